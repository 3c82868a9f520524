import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { STUDIO_TOPICS, type StudioApi, type StudioTopic } from './api.js';
import { dispatchCall } from './dispatch.js';
import type { ServiceEvents } from './service-events.js';
import { contentSecurityPolicy, serveStatic } from './static-files.js';
import { StreamGate, latestWinsKey } from './stream-gate.js';

const log = createLogger('server');

/** Bytes buffered on a socket above which streamed events wait (the newest per stream is kept). */
const HIGH_WATER_BYTES = 512 * 1024;
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface StudioServerOptions {
  api: StudioApi;
  events: ServiceEvents;
  /** Address to bind; 127.0.0.1 keeps the service off the network. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Folder of the built renderer. */
  staticDir: string;
  /** Access token; a random one per run by default. */
  token?: string;
}

export interface StudioServer {
  readonly port: number;
  readonly token: string;
  /** Address of the UI with the token in the fragment, which the browser never sends to a server. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the UI and the service API on one port. HTTP GET returns the built renderer; the
 * WebSocket at /ws carries JSON calls {id, method, params} -> {id, result | error}, and events
 * {topic, data} for the topics a client subscribed to (method "subscribe", params {topic}).
 * A WebSocket must present the run's token and come from the page's own origin.
 */
export async function startStudioServer(options: StudioServerOptions): Promise<StudioServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const http: Server = createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end('only GET is served here');
      return;
    }
    if (!hostAllowed(request, options.host)) {
      response.writeHead(421).end('unexpected Host header');
      return;
    }
    serveStatic(options.staticDir, request.url ?? '/', response, contentSecurityPolicy(`ws://${request.headers.host ?? ''}`));
  });

  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    maxPayload: MAX_MESSAGE_BYTES,
    verifyClient: ({ req }: { req: IncomingMessage }) => clientAllowed(req, options.host, token),
  });
  wss.on('connection', (socket) => serveClient(socket, options));
  // The WebSocket server re-emits the HTTP server's errors; listen() below reports them.
  wss.on('error', (error) => log.debug(`websocket server: ${error.message}`));

  await new Promise<void>((resolve, reject) => {
    const onListenError = (error: NodeJS.ErrnoException): void => {
      if (error.code === 'EADDRINUSE') {
        reject(new UserError(`port ${options.port} on ${options.host} is already in use (another rdvla serve?): pass another --port, or --port 0 for a free one`));
      } else if (error.code === 'EACCES') {
        reject(new UserError(`no permission to listen on port ${options.port}: pass a port above 1023 with --port`));
      } else {
        reject(error);
      }
    };
    http.once('error', onListenError);
    http.listen(options.port, options.host, () => {
      http.off('error', onListenError);
      http.on('error', (error) => log.error(`http server: ${error.message}`));
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  log.info(`serving on http://${shownHost}:${port}/`);

  return {
    port,
    token,
    url: `http://${shownHost}:${port}/#token=${token}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function serveClient(socket: WebSocket, options: StudioServerOptions): void {
  const subscriptions = new Map<StudioTopic, () => void>();
  const gate = new StreamGate(
    (text) => socket.send(text),
    () => socket.readyState === socket.OPEN && socket.bufferedAmount < HIGH_WATER_BYTES,
  );
  const reply = (message: unknown): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };

  socket.on('message', (raw, isBinary) => {
    let message: { id?: unknown; method?: unknown; params?: unknown };
    try {
      if (isBinary) throw new Error('binary messages are not accepted');
      message = JSON.parse(raw.toString());
      if (typeof message !== 'object' || message === null) throw new Error('expected a JSON object');
    } catch (error) {
      reply({ id: null, error: `invalid message: ${errorMessage(error)}: send {id, method, params} as JSON text` });
      return;
    }

    const { id, method, params } = message;
    if (method === 'subscribe' || method === 'unsubscribe') {
      const topic = (params as { topic?: unknown } | undefined)?.topic;
      if (!STUDIO_TOPICS.includes(topic as StudioTopic)) {
        reply({ id, error: `unknown topic ${JSON.stringify(topic)}: use one of ${STUDIO_TOPICS.join(', ')}` });
        return;
      }
      const name = topic as StudioTopic;
      subscriptions.get(name)?.();
      subscriptions.delete(name);
      if (method === 'subscribe') {
        subscriptions.set(name, options.events.on(name, (data) => gate.offer(latestWinsKey(name, data), JSON.stringify({ topic: name, data }))));
      }
      reply({ id, result: null });
      return;
    }

    void dispatchCall(options.api, method, params).then((outcome) => reply({ id, ...outcome }));
  });

  socket.on('close', () => {
    for (const remove of subscriptions.values()) remove();
    subscriptions.clear();
    gate.close();
  });
  socket.on('error', (error) => log.warn(`client connection failed: ${error.message}`));
}

/** Accepts Host headers naming the bound address, or localhost when bound to a loopback address (stops DNS rebinding). */
function hostAllowed(request: IncomingMessage, boundHost: string): boolean {
  const host = request.headers.host;
  if (!host) return false;
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const loopback = ['127.0.0.1', 'localhost', '::1'];
  if (loopback.includes(boundHost)) return loopback.includes(name);
  return true;
}

function clientAllowed(request: IncomingMessage, boundHost: string, token: string): boolean {
  if (!hostAllowed(request, boundHost)) return false;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}`) {
    log.warn(`rejected a WebSocket from origin ${origin}`);
    return false;
  }
  const given = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
  const ok = given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));
  if (!ok) log.warn('rejected a WebSocket with a missing or wrong token');
  return ok;
}
