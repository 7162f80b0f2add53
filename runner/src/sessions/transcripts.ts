import type { Sandbox, SandboxRuntime, Store, TranscriptEntry, TranscriptKey } from '@agent-platform/core/ports';
import type { SessionStore } from '@anthropic-ai/claude-agent-sdk';

/**
 * Claude transcripts kept in the Store, so a conversation survives the runner (and the disk) it
 * started on.
 *
 * Writing: the Agent SDK's session store mirrors every transcript line Claude Code writes to its
 * own disk into `append()`.
 *
 * Reading: the SDK would materialize a stored transcript into a temporary folder of this process
 * and point CLAUDE_CONFIG_DIR at it, which a process in a container or a bubblewrap sandbox cannot
 * see. So `load()` answers null and the transcript is written into the sandbox itself, where
 * Claude Code looks for it (`$CLAUDE_CONFIG_DIR/projects/<cwd, sanitized>/<session id>.jsonl`),
 * before the process starts; a transcript already on the sandbox's disk is left as it is.
 *
 * Transcripts are stored under one project key for every working folder: a Claude session id is
 * unique, and the folder's absolute path differs between runners (it holds the runner's data dir
 * for the host runtime).
 */
export class TranscriptMirror {
  static readonly projectKey = 'workspace';

  constructor(
    private readonly store: Store,
    private readonly runtime: SandboxRuntime,
  ) {}

  /** The SDK's session store for one user's conversations. */
  sessionStoreFor(ownerId: string): SessionStore {
    const key = (k: { sessionId: string; subpath?: string | undefined }): TranscriptKey => ({
      ownerId,
      projectKey: TranscriptMirror.projectKey,
      sessionId: k.sessionId,
      subpath: k.subpath,
    });
    return {
      append: (k, entries) => this.store.appendTranscript(key(k), entries as TranscriptEntry[]),
      load: async () => null,
    };
  }

  /**
   * Makes sure the sandbox holds the transcript of `claudeSessionId` for a process started in `cwd`.
   * Returns what it found: the sandbox had it, it was restored from the Store, or the Store has
   * none either (Claude then starts the conversation afresh).
   */
  async materialize(
    sandbox: Sandbox,
    ownerId: string,
    claudeSessionId: string,
    cwd: string,
  ): Promise<'present' | 'restored' | 'missing'> {
    if (!/^[A-Za-z0-9-]{1,100}$/.test(claudeSessionId)) throw new RangeError('not a Claude session id');
    const entries = await this.store.loadTranscript({
      ownerId,
      projectKey: TranscriptMirror.projectKey,
      sessionId: claudeSessionId,
    });
    const file = `${sandbox.homeDir}/.claude/projects/${claudeProjectDir(cwd)}/${claudeSessionId}.jsonl`;
    const jsonl = entries ? entries.map((e) => JSON.stringify(e)).join('\n') + '\n' : '';
    // Exit 10: the sandbox has it already; 0: written from stdin (to a temporary name first, so a
    // half-written file never looks like a transcript); anything else: failed.
    const script =
      'f="$1"; if [ -s "$f" ]; then cat >/dev/null; exit 10; fi; [ -n "$2" ] || { cat >/dev/null; exit 11; }; ' +
      'mkdir -p "$(dirname "$f")" && cat >"$f.part" && mv "$f.part" "$f"';
    const code = await this.run(sandbox, ['-c', script, 'sh', file, entries ? 'write' : ''], jsonl);
    if (code === 10) return 'present';
    if (code === 11) return 'missing';
    if (code !== 0) throw new Error(`could not restore the transcript in the sandbox (exit ${code})`);
    return 'restored';
  }

  private run(sandbox: Sandbox, args: string[], input: string): Promise<number | null> {
    const proc = this.runtime.spawn(sandbox, { command: 'sh', args, cwd: sandbox.homeDir, env: {} });
    return new Promise((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code) => resolve(code));
      proc.stdout.resume();
      proc.stdin.end(input);
    });
  }
}

/**
 * The folder name Claude Code gives a working directory under `projects/`: every character that is
 * not a letter or digit becomes `-` (paths longer than 200 characters are cut and hashed; ours are
 * far shorter).
 */
export function claudeProjectDir(cwd: string): string {
  if (cwd.length > 200) throw new RangeError('working directory path too long for a transcript folder');
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}
