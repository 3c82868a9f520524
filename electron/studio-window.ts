import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow } from 'electron';
import { APP_ORIGIN } from './app-protocol.js';

/** Opens the sandboxed UI window: no Node in the page, isolated preload, no navigation away, no new windows. */
export function openStudioWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 960,
    title: 'RD-VLA Studio',
    webPreferences: {
      preload: path.join(path.dirname(fileURLToPath(import.meta.url)), 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    },
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
