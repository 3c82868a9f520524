// A sandboxed preload is CommonJS and may require only 'electron', so the topic list is
// repeated here and the compiler checks it against the API's topics.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { CallOutcome, StudioBridge, StudioTopic } from '../src/service/api.js';

const TOPICS = ['rig.status', 'loop', 'joints', 'frame', 'recording', 'calibration', 'rollout', 'inference', 'export.progress', 'episodes.changed', 'log'] as const satisfies readonly StudioTopic[];
const allTopicsListed: Exclude<StudioTopic, (typeof TOPICS)[number]> extends never ? true : false = true;
void allTopicsListed;
const { contextBridge, ipcRenderer } = electron;
const METHOD_NAME = /^[a-z]+\.[a-zA-Z]+$/;

// One IPC subscription per topic; the page's listeners share it.
const listeners = new Map<string, Set<(data: unknown) => void>>();
ipcRenderer.on('rdvla:event', (_event: Electron.IpcRendererEvent, topic: string, data: unknown) => listeners.get(topic)?.forEach((listener) => listener(data)));

const bridge: StudioBridge = {
  invoke(method, params): Promise<CallOutcome> {
    if (typeof method !== 'string' || !METHOD_NAME.test(method)) return Promise.resolve({ error: `invalid method name ${JSON.stringify(method)}` });
    return ipcRenderer.invoke('rdvla:invoke', method, params);
  },
  subscribe(topic, listener) {
    if (!(TOPICS as readonly string[]).includes(topic)) throw new Error(`unknown topic ${JSON.stringify(topic)}`);
    let set = listeners.get(topic);
    if (!set) {
      set = new Set();
      listeners.set(topic, set);
      ipcRenderer.send('rdvla:subscribe', topic);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || listeners.get(topic) !== set) return;
      listeners.delete(topic);
      ipcRenderer.send('rdvla:unsubscribe', topic);
    };
  },
};

contextBridge.exposeInMainWorld('rdvla', bridge);
