import type { Sandbox } from '@agent-platform/core/ports';
import type { Options } from '@anthropic-ai/claude-agent-sdk';

/**
 * What every Claude Code process of the platform is started with, in a conversation or an agent's
 * run: the sandbox's environment, streamed partial messages, no permission prompts (the sandbox is
 * the boundary), Claude Code's own system prompt with the platform's text appended, and the model.
 */
export function claudeBaseOptions(o: {
  sandbox: Sandbox;
  /** The Claude Code process's environment in this sandbox (model endpoint, proxy token, flags). */
  env: Record<string, string>;
  cwd: string;
  appendSystemPrompt: string;
  model?: string | undefined;
}): Options {
  return {
    cwd: o.cwd,
    // The runtimes put Claude's config under the sandbox's home; the SDK must know it too, because it
    // maps the transcript files Claude reports to session-store keys relative to that folder.
    env: { ...o.env, CLAUDE_CONFIG_DIR: `${o.sandbox.homeDir}/.claude` },
    includePartialMessages: true,
    // The sandbox is the boundary; inside it Claude acts without asking, as the user expects.
    permissionMode: 'bypassPermissions',
    allowDangerouslySkipPermissions: true,
    systemPrompt: { type: 'preset', preset: 'claude_code', append: o.appendSystemPrompt },
    ...(o.model ? { model: o.model } : {}),
  };
}
