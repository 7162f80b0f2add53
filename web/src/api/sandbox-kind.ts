import type { HealthResponse } from '@agent-platform/core/protocol';

/**
 * Which sandbox runs Claude for this user (host, bubblewrap, docker), or null while unknown.
 * /api/me says; from a server whose /me does not (yet), /api/health says it for the whole server.
 */
export function sandboxKind(me: object | null | undefined, health: HealthResponse | undefined): string | null {
  const fromMe = me && 'sandbox' in me && typeof me.sandbox === 'string' ? me.sandbox : null;
  return fromMe ?? health?.sandbox ?? null;
}
