export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = Record<LogLevel, (msg: string, fields?: Record<string, unknown>) => void>;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One JSON line per entry on stderr. Callers never pass secrets in fields. */
export function createLogger(level: LogLevel, name = 'runner'): Logger {
  const make =
    (l: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (order[l] < order[level]) return;
      const extra = fields ? Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, serialize(v)])) : {};
      process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: l, name, msg, ...extra })}\n`);
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

function serialize(v: unknown): unknown {
  return v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v;
}
