import type { CallOutcome } from '../../../src/service/api.js';
import type { Transport } from './transport.js';

const RECONNECT_MS = 1000;

type Pending = (outcome: CallOutcome) => void;

/**
 * Transport over the service's WebSocket. Calls wait for the connection; subscriptions are
 * counted per topic and sent again after a reconnect.
 */
export function webSocketTransport(url: string): Transport {
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let socket: WebSocket | null = null;
  let open: Promise<WebSocket>;
  let nextId = 1;

  const send = (message: object): Promise<CallOutcome> => {
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      void open.then((ws) => ws.send(JSON.stringify({ id, ...message })));
    });
  };

  const connect = (): void => {
    open = new Promise((resolve) => {
      const ws = new WebSocket(url);
      socket = ws;
      ws.onopen = () => {
        for (const topic of listeners.keys()) ws.send(JSON.stringify({ id: nextId++, method: 'subscribe', params: { topic } }));
        connectionListeners.forEach((listener) => listener(true));
        resolve(ws);
      };
      ws.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as { id?: number; topic?: string; data?: unknown; result?: unknown; error?: string };
        if (message.topic !== undefined) {
          listeners.get(message.topic)?.forEach((listener) => listener(message.data));
          return;
        }
        const settle = message.id === undefined ? undefined : pending.get(message.id);
        if (!settle) return;
        pending.delete(message.id!);
        settle(message.error !== undefined ? { error: message.error } : { result: message.result });
      };
      ws.onclose = () => {
        if (socket !== ws) return;
        connectionListeners.forEach((listener) => listener(false));
        for (const settle of pending.values()) settle({ error: 'the connection to the service was lost: the call may not have finished, so check its result' });
        pending.clear();
        setTimeout(connect, RECONNECT_MS);
      };
    });
  };
  connect();

  return {
    invoke: (method, params) => send({ method, params }),
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) {
        set = new Set();
        listeners.set(topic, set);
        void send({ method: 'subscribe', params: { topic } });
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size > 0 || listeners.get(topic) !== set) return;
        listeners.delete(topic);
        void send({ method: 'unsubscribe', params: { topic } });
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      if (socket?.readyState === WebSocket.OPEN) listener(true);
      return () => connectionListeners.delete(listener);
    },
  };
}

/** Reads the access token from the page address: #token=... (preferred) or ?token=... */
export function tokenFromLocation(location: Location): string | null {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  return fromHash ?? new URLSearchParams(location.search).get('token');
}
