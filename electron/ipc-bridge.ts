import { type IpcMainEvent, type IpcMainInvokeEvent, ipcMain } from 'electron';
import { STUDIO_TOPICS, type StudioTopic } from '../src/service/api.js';
import { dispatchCall } from '../src/service/dispatch.js';
import type { StudioService } from '../src/service/studio-service.js';
import { APP_ORIGIN } from './app-protocol.js';

/** Answers the preload bridge: calls through the same dispatcher as the WebSocket, events per window and topic. */
export function serveIpc(service: StudioService): void {
  const subscriptions = new Map<number, Map<StudioTopic, () => void>>();
  const fromApp = (event: IpcMainEvent | IpcMainInvokeEvent) => event.senderFrame?.url.startsWith(`${APP_ORIGIN}/`) === true;

  ipcMain.handle('rdvla:invoke', (event, method: unknown, params: unknown) => {
    if (!fromApp(event)) return { error: 'calls are accepted from the Studio window only' };
    return dispatchCall(service, method, params);
  });

  ipcMain.on('rdvla:subscribe', (event, topic: unknown) => {
    if (!fromApp(event) || !STUDIO_TOPICS.includes(topic as StudioTopic)) return;
    const sender = event.sender;
    let topics = subscriptions.get(sender.id);
    if (!topics) {
      topics = new Map();
      subscriptions.set(sender.id, topics);
      sender.once('destroyed', () => {
        for (const remove of subscriptions.get(sender.id)?.values() ?? []) remove();
        subscriptions.delete(sender.id);
      });
    }
    if (topics.has(topic as StudioTopic)) return;
    topics.set(topic as StudioTopic, service.events.on(topic as StudioTopic, (data) => {
      if (!sender.isDestroyed()) sender.send('rdvla:event', topic, data);
    }));
  });

  ipcMain.on('rdvla:unsubscribe', (event, topic: unknown) => {
    const topics = subscriptions.get(event.sender.id);
    topics?.get(topic as StudioTopic)?.();
    topics?.delete(topic as StudioTopic);
  });
}
