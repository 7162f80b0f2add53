import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

export const securityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  // The sign-in link carries a token in its query: never send it on as a referrer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/**
 * Serves the built single-page app: files under `root`, and index.html for any other path so that
 * client-side routes survive a reload. Hashed assets are cached for good; index.html never.
 */
export function staticApp(root: string): (req: Request) => Promise<Response> {
  const index = path.join(root, 'index.html');
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    if (!existsSync(index)) {
      return new Response('The web app is not built yet: run `npm run build:web` (npm start does it for you).', {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response('Bad path', { status: 400 });
    }
    const file = path.join(root, path.normalize(rel));
    const inside = file.startsWith(root + path.sep);
    const isFile = inside && (await stat(file).catch(() => null))?.isFile() === true;
    const target = isFile ? file : index;
    const body = await readFile(target);
    const immutable = isFile && rel.startsWith('/assets/');
    return new Response(req.method === 'HEAD' ? null : body, {
      headers: {
        'content-type': types[path.extname(target)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  };
}
