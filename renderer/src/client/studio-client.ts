import type { StudioApi, StudioEvents, StudioTopic } from '../../../src/service/api.js';
import { bridgeTransport } from './bridge-transport.js';
import type { Transport } from './transport.js';
import { tokenFromLocation, webSocketTransport } from './ws-transport.js';

/** A failed service call; the message is the service's readable error. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
}

export type StudioClient = StudioApi & {
  subscribe<T extends StudioTopic>(topic: T, listener: (data: StudioEvents[T]) => void): () => void;
  onConnection(listener: (connected: boolean) => void): () => void;
};

/** Wraps a transport in the typed API: `client.rig.connect({ sim: true })` becomes the call "rig.connect". */
export function createStudioClient(transport: Transport): StudioClient {
  const groups = new Map<string, object>();
  const group = (name: string): object =>
    new Proxy(
      {},
      {
        get: (_target, method) => async (params?: unknown) => {
          const outcome = await transport.invoke(`${name}.${String(method)}`, params ?? {});
          if ('error' in outcome) throw new ServiceError(outcome.error);
          return outcome.result;
        },
      },
    );

  return new Proxy({} as StudioClient, {
    get(_target, key) {
      if (key === 'subscribe') return (topic: string, listener: (data: unknown) => void) => transport.subscribe(topic, listener);
      if (key === 'onConnection') return (listener: (connected: boolean) => void) => transport.onConnection(listener);
      if (typeof key !== 'string' || key === 'then') return undefined;
      if (!groups.has(key)) groups.set(key, group(key));
      return groups.get(key);
    },
  });
}

/** Picks the transport of the platform: the Electron bridge when present, else the WebSocket of the serving page. */
export function connectStudio(): StudioClient {
  if (window.rdvla) return createStudioClient(bridgeTransport(window.rdvla));
  const token = tokenFromLocation(window.location);
  if (!token) throw new ServiceError('the page address has no access token: open the address that `rdvla serve` printed, including #token=...');
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createStudioClient(webSocketTransport(`${protocol}//${window.location.host}/ws?token=${encodeURIComponent(token)}`));
}
