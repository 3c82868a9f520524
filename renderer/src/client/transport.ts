import type { CallOutcome } from '../../../src/service/api.js';

/** How the UI reaches the service: the Electron bridge or the WebSocket. The app does not know which. */
export interface Transport {
  invoke(method: string, params: unknown): Promise<CallOutcome>;
  /** Delivers a topic's events to `listener`; returns the function that stops it. */
  subscribe(topic: string, listener: (data: unknown) => void): () => void;
  /** Connection changes: true once connected, false when the connection drops. */
  onConnection(listener: (connected: boolean) => void): () => void;
}
