import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningApp {
  url: string;
  signInUrl: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs the README's start command (`npm start`) as a new user would, and waits for its sign-in link. */
export async function startApp(env: Record<string, string>, timeoutMs = 180_000): Promise<RunningApp> {
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stopping it also stops the server npm started
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const link = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=\S+/.exec(out);
    if (link?.[1]) return { url: link[1], signInUrl: link[0], output: () => out, stop };
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start printed no sign-in link in ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Builds the web app into web/dist with the same command `npm start` runs first (`npm run
 * build:web`), for suites that serve web/dist themselves (the cloud shape's hosting server).
 */
export function buildWebApp(timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', 'build:web'], { cwd: repoRoot, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm run build:web failed: ${error.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
