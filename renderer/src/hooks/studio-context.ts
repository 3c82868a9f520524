import { createContext, useContext, useEffect, useState } from 'react';
import type { StudioEvents, StudioTopic } from '../../../src/service/api.js';
import type { StudioClient } from '../client/studio-client.js';

export const StudioContext = createContext<StudioClient | null>(null);

export function useStudio(): StudioClient {
  const client = useContext(StudioContext);
  if (!client) throw new Error('useStudio needs a StudioContext provider');
  return client;
}

/** Latest event of a topic, or `initial` until the first one arrives. Use for low-rate topics only. */
export function useTopic<T extends StudioTopic>(topic: T, initial: StudioEvents[T]): StudioEvents[T] {
  const client = useStudio();
  const [value, setValue] = useState(initial);
  useEffect(() => client.subscribe(topic, setValue), [client, topic]);
  return value;
}

/** Calls `listener` for every event of a topic without re-rendering (plots, camera views). */
export function useTopicListener<T extends StudioTopic>(topic: T, listener: (data: StudioEvents[T]) => void): void {
  const client = useStudio();
  useEffect(() => client.subscribe(topic, listener), [client, topic, listener]);
}
