import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Content security policy of the UI page: scripts and styles from the page's own origin, images also inline. */
export function contentSecurityPolicy(wsOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${wsOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the built renderer (renderer/dist) for GET requests. Paths are resolved inside `root`,
 * so "../" cannot reach other files. Without a build it serves a page that says how to make one.
 */
export function serveStatic(root: string, urlPath: string, response: ServerResponse, csp: string): void {
  const relative = decodeURIComponent(urlPath.split('?')[0]!).replace(/^\/+/, '') || 'index.html';
  const file = path.resolve(root, relative);
  if (!file.startsWith(path.resolve(root) + path.sep)) {
    response.writeHead(403).end('forbidden');
    return;
  }

  if (!existsSync(path.join(root, 'index.html'))) {
    response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`the UI is not built (${path.join(root, 'index.html')} is missing): run \`npm run build:renderer\` and reload`);
    return;
  }
  const found = existsSync(file) && statSync(file).isFile() ? file : path.join(root, 'index.html');
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(found)] ?? 'application/octet-stream',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  });
  response.end(readFileSync(found));
}
