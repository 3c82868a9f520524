import path from 'node:path';
import { app } from 'electron';
import { createStudioService } from '../src/service/studio-runtime.js';
import { registerAppProtocol, serveAppProtocol } from './app-protocol.js';
import { serveIpc } from './ipc-bridge.js';
import { openStudioWindow } from './studio-window.js';

// The service, its control loop and the policy's worker thread live in this (main) process,
// never in the sandboxed window. RDVLA_RIG is "sim" or a rig file; `rdvla start` sets it.
registerAppProtocol();

app.whenReady().then(async () => {
  serveAppProtocol();
  const rig = process.env.RDVLA_RIG;
  const service = await createStudioService({
    dbPath: process.env.RDVLA_DB ?? path.join(app.getPath('userData'), 'episodes.db'),
    rig: !rig || rig === 'sim' ? { sim: true } : { rigFile: rig },
    modelsDir: process.env.RDVLA_MODELS,
  });
  serveIpc(service);
  openStudioWindow();

  app.on('window-all-closed', () => {
    void service.close().finally(() => app.quit());
  });
});
