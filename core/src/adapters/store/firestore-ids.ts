import { createHash } from 'node:crypto';

/** Document ids of the Firestore store, shared by firestore.ts and firestore-agents.ts. */

/**
 * A document id for a record id. Ids that are safe and readable are kept as they are; anything else
 * (a `/`, `.` or `..`, `__x__`, odd characters, very long) is replaced by `~` + its SHA-256, which
 * no kept id can equal because `~` is not in the kept alphabet.
 */
export function docId(id: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9_.:@+=-]{0,254}$/.test(id) && !/^__.*__$/.test(id)) return id;
  return `~${sha256(id)}`;
}

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
