import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { StudioApi } from './api.js';
import { ServiceEvents } from './service-events.js';
import { type StudioServer, startStudioServer } from './studio-server.js';

const api = { rig: { status: async () => ({ connected: false }) } } as unknown as StudioApi;

function open(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function request(socket: WebSocket, message: object): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('message', (raw) => resolve(JSON.parse(raw.toString())));
    socket.send(JSON.stringify(message));
  });
}

describe('studio server', () => {
  const events = new ServiceEvents();
  let dir: string;
  let server: StudioServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rdvla-server-'));
    writeFileSync(path.join(dir, 'index.html'), '<p>studio</p>');
    server = await startStudioServer({ api, events, host: '127.0.0.1', port: 0, staticDir: dir, token: 'secret-token' });
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=secret-token`);
  });

  it('serves the UI with a content security policy', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(await response.text()).toBe('<p>studio</p>');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`http://127.0.0.1:${server.port}/..%2f..%2fetc/passwd`)).status).toBe(403);
  });

  it('rejects a WebSocket without the token or from another origin', async () => {
    await expect(open(`ws://127.0.0.1:${server.port}/ws?token=wrong`)).rejects.toThrow('401');
    await expect(open(`ws://127.0.0.1:${server.port}/ws?token=secret-token`, 'http://evil.example')).rejects.toThrow('401');
  });

  it('answers calls and delivers subscribed events', async () => {
    const socket = await open(`ws://127.0.0.1:${server.port}/ws?token=secret-token`, `http://127.0.0.1:${server.port}`);
    expect(await request(socket, { id: 1, method: 'rig.status', params: {} })).toEqual({ id: 1, result: { connected: false } });
    expect(await request(socket, { id: 2, method: 'subscribe', params: { topic: 'joints' } })).toEqual({ id: 2, result: null });

    const event = new Promise((resolve) => socket.once('message', (raw) => resolve(JSON.parse(raw.toString()))));
    events.emit('joints', { tS: 1.5, state: [0.1], action: [0.2] });
    expect(await event).toEqual({ topic: 'joints', data: { tS: 1.5, state: [0.1], action: [0.2] } });
    socket.close();
  });

  it('names a port already in use', async () => {
    const second = startStudioServer({ api, events, host: '127.0.0.1', port: server.port, staticDir: dir, token: 'other' });
    await expect(second).rejects.toThrow(`port ${server.port} on 127.0.0.1 is already in use (another rdvla serve?): pass another --port, or --port 0 for a free one`);
  });
});
