import type { Request as FfRequest, Response as FfResponse } from '@google-cloud/functions-framework';
import { http } from '@google-cloud/functions-framework';
import { type ApiDeps, createApi } from './app.js';

/**
 * Adapts a fetch-style app to the functions framework's Express request/response. The framework
 * has already read the body (it keeps the bytes in `rawBody`), so the Request is rebuilt from them.
 */
export function toFunctionHandler(app: { fetch: (req: Request) => Response | Promise<Response> }) {
  return async (req: FfRequest, res: FfResponse): Promise<void> => {
    const url = new URL(req.originalUrl || req.url, `http://${req.headers.host ?? 'localhost'}`);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const response = await app.fetch(
      new Request(url, {
        method: req.method,
        headers,
        body: hasBody && req.rawBody ? new Uint8Array(req.rawBody) : null,
      }),
    );
    res.status(response.status);
    response.headers.forEach((v, k) => {
      res.setHeader(k, v);
    });
    res.send(Buffer.from(await response.arrayBuffer()));
  };
}

/** Registers the `api` HTTP function with the given adapters (the composition root picks them). */
export function registerApiFunction(deps: ApiDeps): void {
  http('api', toFunctionHandler(createApi(deps)));
}
