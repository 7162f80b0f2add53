import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '@anthropic-ai/claude-agent-sdk';

const cases: Array<{ status: number; type: string; shouldRetry?: string }> = [
  { status: 400, type: 'invalid_request_error' },
  { status: 402, type: 'billing_error' },
  { status: 403, type: 'permission_error' },
  { status: 429, type: 'rate_limit_error', shouldRetry: 'false' },
  { status: 429, type: 'rate_limit_error' },
];
const which = process.argv[2] ? [cases[Number(process.argv[2])]!] : cases;
for (const c of which) {
  let count = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      console.error(
        'REQ',
        req.method,
        req.url,
        req.headers['x-claude-code-session-id'],
        req.headers['x-stainless-retry-count'],
      );
      const body = JSON.stringify({
        type: 'error',
        error: {
          type: c.type,
          message: `Your monthly budget of $5.00 on Agent Platform is spent (BUDGETMARK ${c.status}).`,
        },
      });
      const h: Record<string, string> = { 'content-type': 'application/json', 'request-id': 'req_x' };
      if (c.shouldRetry) h['x-should-retry'] = c.shouldRetry;
      res.writeHead(c.status, h);
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const t0 = Date.now();
  const msgs: unknown[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 90_000);
  try {
    for await (const m of query({
      prompt: 'hi',
      options: {
        abortController: ac,
        cwd: mkdtempSync(join(tmpdir(), 'cwd-')),
        env: {
          ...process.env,
          ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
          ANTHROPIC_API_KEY: 'ap-sbx-x',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          IS_SANDBOX: '1',
          CLAUDE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'cfg-')),
          CLAUDE_CODE_TMPDIR: mkdtempSync(join(tmpdir(), 'tmp-')),
        },
        permissionMode: 'bypassPermissions',
        allowDangerouslySkipPermissions: true,
      },
    })) {
      if (m.type === 'assistant' || m.type === 'result') msgs.push(m);
    }
  } catch (e) {
    msgs.push({ thrown: String(e) });
  }
  clearTimeout(timer);
  console.log(
    JSON.stringify(
      {
        case: c,
        ms: Date.now() - t0,
        count,
        msgs: msgs.map((m: any) =>
          m.type === 'assistant'
            ? { type: 'assistant', error: m.error, content: m.message.content, model: m.message.model }
            : m.type === 'result'
              ? {
                  type: 'result',
                  subtype: m.subtype,
                  is_error: m.is_error,
                  result: m.result,
                  errors: m.errors,
                  api_error_status: m.api_error_status,
                }
              : m,
        ),
      },
      null,
      1,
    ),
  );
  server.closeAllConnections();
  server.close();
}
