import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { packageRoot } from '../src/common/package-root.js';
import { contentSecurityPolicy } from '../src/service/static-files.js';

export const APP_SCHEME = 'rdvla';
export const APP_ORIGIN = `${APP_SCHEME}://studio`;

/** Must run before the app is ready: a standard, secure scheme gets an origin of its own. */
export function registerAppProtocol(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
}

/** Serves renderer/dist at rdvla://studio/ with the content security policy; nothing outside that folder. */
export function serveAppProtocol(): void {
  const root = path.join(packageRoot(), 'renderer', 'dist');
  protocol.handle(APP_SCHEME, async (request) => {
    const file = path.resolve(root, decodeURIComponent(new URL(request.url).pathname).replace(/^\/+/, '') || 'index.html');
    if (!file.startsWith(root + path.sep)) return new Response('forbidden', { status: 403 });
    const response = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(response.headers);
    headers.set('content-security-policy', contentSecurityPolicy("'none'"));
    return new Response(response.body, { status: response.status, headers });
  });
}
