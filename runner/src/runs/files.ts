import { AgentLimits, type RunFile } from '@agent-platform/core/domain';
import type { Sandbox, SandboxRuntime } from '@agent-platform/core/ports';

/** A file as a snapshot saw it: size and modification time. */
export interface FileStat {
  bytes: number;
  mtime: string;
}

/** Absolute path in the sandbox → what it was. */
export type Snapshot = Map<string, FileStat>;

/** Folders whose files are tools, not results: virtual environments, caches, repositories. */
const PRUNED = [
  '.venv',
  'venv',
  'node_modules',
  '__pycache__',
  '.git',
  'site-packages',
  '.cache',
  '.ipynb_checkpoints',
];

/** Files listed per snapshot at most (a folder with more is not a run's result folder). */
const SNAPSHOT_FILES = 20_000;

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs a shell script in the sandbox and collects its output, at most `maxBytes` of it. */
export function runInSandbox(
  runtime: SandboxRuntime,
  sandbox: Sandbox,
  script: string,
  maxBytes: number,
): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    let proc: ReturnType<SandboxRuntime['spawn']>;
    try {
      proc = runtime.spawn(sandbox, { command: 'sh', args: ['-c', script], cwd: sandbox.homeDir, env: {} });
    } catch (e) {
      reject(e);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    proc.stdout.on('data', (d: Buffer | string) => {
      const b = typeof d === 'string' ? Buffer.from(d) : d;
      if (size < maxBytes) chunks.push(b.subarray(0, maxBytes - size));
      size += b.length;
    });
    proc.once('error', reject);
    proc.once('exit', (code) => {
      // The exit may come before the last data events are read.
      setImmediate(() => resolve({ code, stdout: Buffer.concat(chunks) }));
    });
    proc.stdin.end();
  });
}

/**
 * Makes the folders (the agent's folder may not exist yet) and lists every file under them with
 * size and modification time, tool folders (virtual environments, caches) left out.
 */
export async function snapshot(runtime: SandboxRuntime, sandbox: Sandbox, roots: readonly string[]): Promise<Snapshot> {
  const quoted = roots.map(shellQuote).join(' ');
  const prune = PRUNED.map((n) => `-name ${shellQuote(n)}`).join(' -o ');
  const script = [
    `mkdir -p ${quoted}`,
    `find ${quoted} \\( ${prune} \\) -prune -o -type f -printf '%p\\t%s\\t%T@\\n' 2>/dev/null | head -n ${SNAPSHOT_FILES}`,
  ].join(' && ');
  const { code, stdout } = await runInSandbox(runtime, sandbox, script, 8 * 1024 * 1024);
  if (code !== 0) throw new Error(`listing the run's folders failed (exit ${code})`);
  const out: Snapshot = new Map();
  for (const line of stdout.toString('utf8').split('\n')) {
    const [p, bytes, mtime] = line.split('\t');
    if (p && bytes !== undefined && mtime !== undefined) out.set(p, { bytes: Number(bytes), mtime });
  }
  return out;
}

/** What changed between two snapshots: created, modified and deleted files, the largest first, bounded. */
export function diffSnapshots(before: Snapshot, after: Snapshot, display: (p: string) => string): RunFile[] {
  const files: RunFile[] = [];
  for (const [p, s] of after) {
    const was = before.get(p);
    if (!was) files.push({ path: display(p), bytes: s.bytes, changeKind: 'created' });
    else if (was.mtime !== s.mtime || was.bytes !== s.bytes) {
      files.push({ path: display(p), bytes: s.bytes, changeKind: 'modified' });
    }
  }
  for (const p of before.keys()) if (!after.has(p)) files.push({ path: display(p), bytes: 0, changeKind: 'deleted' });
  files.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  return files
    .slice(0, AgentLimits.runFiles)
    .map((f) => ({ ...f, path: f.path.slice(0, AgentLimits.runFilePathChars) }));
}

const TYPES: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  html: 'text/html',
  xml: 'application/xml',
  yaml: 'text/yaml',
  yml: 'text/yaml',
  py: 'text/x-python',
  sh: 'text/x-shellscript',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The content type a file's name suggests; undefined when unknown. */
export function contentTypeOf(p: string): string | undefined {
  const dot = p.lastIndexOf('.');
  return dot > p.lastIndexOf('/') ? TYPES[p.slice(dot + 1).toLowerCase()] : undefined;
}

/** Whether the run page can show a file of this type (text, tables, images). */
export const viewable = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^(text\/|image\/|application\/(json|xml)$)/.test(contentType);

/** Reads a file's first `maxBytes` in the sandbox. */
export async function readInSandbox(
  runtime: SandboxRuntime,
  sandbox: Sandbox,
  file: string,
  maxBytes: number,
): Promise<Buffer> {
  const { code, stdout } = await runInSandbox(runtime, sandbox, `head -c ${maxBytes} -- ${shellQuote(file)}`, maxBytes);
  if (code !== 0) throw new Error(`reading ${file} failed (exit ${code})`);
  return stdout;
}
