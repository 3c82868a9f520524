import type { StudioBridge } from '../../../src/service/api.js';
import type { Transport } from './transport.js';

declare global {
  interface Window {
    /** Present in the Electron window, exposed by the preload script. */
    rdvla?: StudioBridge;
  }
}

/** Transport over the Electron preload bridge (IPC invoke/handle to the main process). */
export function bridgeTransport(bridge: StudioBridge): Transport {
  return {
    invoke: (method, params) => bridge.invoke(method, params),
    subscribe: (topic, listener) => bridge.subscribe(topic, listener),
    onConnection(listener) {
      listener(true);
      return () => undefined;
    },
  };
}
