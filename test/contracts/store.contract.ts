import { randomBytes, randomUUID } from 'node:crypto';
import {
  Agent,
  AgentRun,
  type AgentSpec,
  isRunnerHealthy,
  Limits,
  type Message,
  type RunnerRecord,
  RunReasons,
  type RunStatus,
  type SessionContext,
} from '@agent-platform/core/domain';
import type {
  AgentUpdate,
  NewAgent,
  NewMessage,
  NewRun,
  NewSession,
  RunnerHeartbeat,
  RunPatch,
  Store,
  TranscriptEntry,
  TranscriptKey,
  UsageRecord,
  UserSighting,
} from '@agent-platform/core/ports';
import type { SessionEvent } from '@agent-platform/core/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeRunOutputsContract } from './store-outputs.contract.js';

export interface StoreUnderTest {
  store: Store;
  /** Closes the store and removes what it stored (a temp file, an emulator's data). */
  cleanup: () => Promise<void>;
}

/**
 * What every Store must do. Each test gets a fresh store from `make`, and also uses fresh random
 * ids, so the suite passes as well against a shared backend (an emulator) that `cleanup` does not
 * wipe.
 */
export function describeStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const made = await make();
      store = made.store;
      cleanup = made.cleanup;
    });

    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    const id = (prefix: string) => `${prefix}-${randomUUID()}`;

    const newSighting = (over: Partial<UserSighting> = {}): UserSighting => ({
      id: id('user'),
      name: 'Kim Minji',
      email: 'minji@example.com',
      photoUrl: 'https://lh3.googleusercontent.com/a/minji=s96-c',
      now: 1_700_000_000_000,
      ...over,
    });

    const newSession = (ownerId: string, over: Partial<NewSession> = {}): NewSession => ({
      id: id('session'),
      ownerId,
      title: 'Weekly sales report',
      context: 'workspace' satisfies SessionContext,
      now: 1_700_000_000_000,
      ...over,
    });

    const newMessage = (s: { id: string; ownerId: string }, over: Partial<NewMessage> = {}): NewMessage => ({
      id: id('msg'),
      sessionId: s.id,
      ownerId: s.ownerId,
      clientMessageId: id('client'),
      text: 'Summarise sales.csv by region',
      now: 1_700_000_001_000,
      ...over,
    });

    /** One event of every type, numbered from `from`, with values that catch lossy encodings. */
    const eventsFor = (sessionId: string, from: number, count: number): SessionEvent[] => {
      const base = (seq: number) => ({ v: 1 as const, sessionId, seq, messageId: 'm-1', at: 1_700_000_002_000 + seq });
      const kinds: ((seq: number) => SessionEvent)[] = [
        (seq) => ({ ...base(seq), type: 'status', state: 'tool', tool: 'Bash' }),
        (seq) => ({
          ...base(seq),
          type: 'assistant.delta',
          assistantId: 'a-1',
          block: 0,
          text: '안녕하세요 👋 "quoted"\n',
        }),
        (seq) => ({ ...base(seq), type: 'assistant.message', assistantId: 'a-1', text: 'Done.\u0000 tail' }),
        (seq) => ({
          ...base(seq),
          type: 'tool.use',
          toolUseId: 't-1',
          name: 'Write',
          input: { path: 'out/리포트.csv', lines: [1, 2.5, -3e-7], nested: { ok: true, none: null }, empty: {} },
        }),
        (seq) => ({
          ...base(seq),
          type: 'tool.result',
          toolUseId: 't-1',
          output: 'x'.repeat(5000),
          isError: false,
          truncated: true,
        }),
        (seq) => ({
          ...base(seq),
          messageId: null,
          type: 'turn.result',
          usage: { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 0, cacheCreationTokens: 17 },
          costUsd: 0.012345,
          durationMs: 4321.5,
          numTurns: 3,
          isError: false,
          subtype: 'success',
        }),
        (seq) => ({ ...base(seq), type: 'error', code: 'TURN_FAILED', message: 'model overloaded', retryable: true }),
      ];
      return Array.from({ length: count }, (_, i) => {
        const make = kinds[(from + i) % kinds.length]!;
        return make(from + i);
      });
    };

    async function ownedSession(over: Partial<NewSession> = {}) {
      const owner = await store.recordSighting(newSighting());
      return store.createSession(newSession(owner.id, over));
    }

    describe('users', () => {
      it('returns null for an unknown user', async () => {
        expect(await store.getUser(id('nobody'))).toBeNull();
      });

      it('creates a user on first sight: no locale, no answers, lastSeenAt = createdAt = now', async () => {
        const s = newSighting({ now: 1000 });
        const expected = {
          id: s.id,
          name: s.name,
          email: s.email,
          photoUrl: s.photoUrl,
          locale: null,
          onboarding: {},
          createdAt: 1000,
          lastSeenAt: 1000,
        };
        expect(await store.recordSighting(s)).toStrictEqual(expected);
        expect(await store.getUser(s.id)).toStrictEqual(expected);
      });

      it("refreshes the provider's fields and lastSeenAt on a later sighting, keeping createdAt, locale and answers", async () => {
        const s = newSighting({ now: 1000 });
        await store.recordSighting(s);
        await store.updateUserSettings(s.id, { locale: 'ko', onboarding: { role: 'marketer' } });
        const again = await store.recordSighting({
          ...s,
          name: 'Minji K.',
          email: null,
          photoUrl: null,
          now: 5000,
        });
        const expected = {
          id: s.id,
          name: 'Minji K.',
          email: null,
          photoUrl: null,
          locale: 'ko',
          onboarding: { role: 'marketer' },
          createdAt: 1000,
          lastSeenAt: 5000,
        };
        expect(again).toStrictEqual(expected);
        expect(await store.getUser(s.id)).toStrictEqual(expected);
        // A late sighting (another instance's older clock) refreshes the profile but not lastSeenAt.
        const late = await store.recordSighting({ ...s, name: 'Minji', email: null, photoUrl: null, now: 3000 });
        expect(late).toStrictEqual({ ...expected, name: 'Minji', lastSeenAt: 5000 });
      });

      it('sets, keeps and clears the locale, and merges onboarding answers by question id', async () => {
        const s = newSighting();
        const created = await store.recordSighting(s);
        const a = await store.updateUserSettings(s.id, { locale: 'en-US', onboarding: { role: 'analyst', team: '1' } });
        expect(a).toStrictEqual({ ...created, locale: 'en-US', onboarding: { role: 'analyst', team: '1' } });
        const b = await store.updateUserSettings(s.id, { onboarding: { team: '5', goal: '주간 보고서 자동화' } });
        expect(b).toStrictEqual({
          ...created,
          locale: 'en-US',
          onboarding: { role: 'analyst', team: '5', goal: '주간 보고서 자동화' },
        });
        const c = await store.updateUserSettings(s.id, { locale: null, onboarding: undefined });
        expect(c).toStrictEqual({ ...b, locale: null });
        expect(await store.updateUserSettings(s.id, {})).toStrictEqual(c);
        expect(await store.getUser(s.id)).toStrictEqual(c);
      });

      it('answers null for the settings of an unknown user and creates nobody', async () => {
        const unknown = id('user');
        expect(await store.updateUserSettings(unknown, { locale: 'ko' })).toBeNull();
        expect(await store.getUser(unknown)).toBeNull();
      });

      it('refuses invalid settings and sightings with the field named, storing nothing', async () => {
        const s = newSighting();
        const created = await store.recordSighting(s);
        const refused = (field: string) => ({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) });
        await expect(store.updateUserSettings(s.id, { locale: 'not a tag' })).rejects.toMatchObject(refused('locale'));
        await expect(store.updateUserSettings(s.id, { onboarding: { 'Bad-Id': 'x' } })).rejects.toMatchObject(
          refused('onboarding'),
        );
        await expect(store.updateUserSettings(s.id, { onboarding: { role: 'x'.repeat(501) } })).rejects.toMatchObject(
          refused('onboarding'),
        );
        // At most 20 answers once merged: 15 stored + 6 new is refused as a whole.
        const answers = (from: number, n: number) =>
          Object.fromEntries(Array.from({ length: n }, (_, i) => [`q${from + i}`, 'yes']));
        const fifteen = await store.updateUserSettings(s.id, { onboarding: answers(0, 15) });
        await expect(store.updateUserSettings(s.id, { onboarding: answers(100, 6) })).rejects.toMatchObject(
          refused('onboarding'),
        );
        expect(await store.getUser(s.id)).toStrictEqual(fifteen);
        expect(fifteen).toStrictEqual({ ...created, onboarding: answers(0, 15) });

        const other = newSighting();
        await expect(store.recordSighting({ ...other, name: 'x'.repeat(201) })).rejects.toMatchObject(refused('name'));
        await expect(store.recordSighting({ ...other, now: 1.5 })).rejects.toMatchObject(refused('now'));
        expect(await store.getUser(other.id)).toBeNull();
      });
    });

    describe('sessions', () => {
      it('creates a session and reads it back for its owner', async () => {
        const owner = await store.recordSighting(newSighting());
        const input = newSession(owner.id, { context: 'agent-create', title: '뉴스 요약 에이전트' });
        const created = await store.createSession(input);
        expect(created).toStrictEqual({
          id: input.id,
          ownerId: owner.id,
          title: '뉴스 요약 에이전트',
          context: 'agent-create',
          claudeSessionId: null,
          createdAt: input.now,
          updatedAt: input.now,
        });
        expect(await store.getSession(owner.id, input.id)).toStrictEqual(created);
      });

      it('refuses a second session with the same id', async () => {
        const s = await ownedSession();
        await expect(store.createSession(newSession(s.ownerId, { id: s.id }))).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        expect(await store.getSession(s.ownerId, s.id)).toStrictEqual(s);
      });

      it("returns null for another owner's session and for an unknown id", async () => {
        const s = await ownedSession();
        const other = await store.recordSighting(newSighting());
        expect(await store.getSession(other.id, s.id)).toBeNull();
        expect(await store.getSession(s.ownerId, id('session'))).toBeNull();
      });

      it("lists only the owner's sessions, newest first, and pages with an exclusive `before`", async () => {
        const owner = await store.recordSighting(newSighting());
        const other = await store.recordSighting(newSighting());
        const times = [3000, 1000, 5000, 2000, 4000];
        for (const t of times) await store.createSession(newSession(owner.id, { title: `t${t}`, now: t }));
        await store.createSession(newSession(other.id, { title: 'not mine', now: 9000 }));

        const titles = (ss: { title: string }[]) => ss.map((s) => s.title);
        expect(titles(await store.listSessions(owner.id, { limit: 10 }))).toEqual([
          't5000',
          't4000',
          't3000',
          't2000',
          't1000',
        ]);
        const page1 = await store.listSessions(owner.id, { limit: 2 });
        expect(titles(page1)).toEqual(['t5000', 't4000']);
        const page2 = await store.listSessions(owner.id, { limit: 2, before: page1.at(-1)! });
        expect(titles(page2)).toEqual(['t3000', 't2000']);
        const page3 = await store.listSessions(owner.id, { limit: 2, before: page2.at(-1)! });
        expect(titles(page3)).toEqual(['t1000']);
        expect(await store.listSessions(owner.id, { limit: 2, before: page3[0]! })).toEqual([]);
        expect(await store.listSessions(owner.id, { limit: 10, before: undefined })).toHaveLength(5);
        expect(await store.listSessions(id('nobody'), { limit: 10 })).toEqual([]);
      });

      it('pages through sessions with the same updatedAt without skipping or repeating any', async () => {
        const owner = await store.recordSighting(newSighting());
        const made = [];
        for (let i = 0; i < 5; i++) made.push(await store.createSession(newSession(owner.id, { now: 7000 })));
        const seen: string[] = [];
        let before: { updatedAt: number; id: string } | undefined;
        for (;;) {
          const page = await store.listSessions(owner.id, { limit: 2, before });
          if (page.length === 0) break;
          seen.push(...page.map((s) => s.id));
          before = page.at(-1);
        }
        expect([...seen].sort()).toEqual(made.map((s) => s.id).sort());
        expect(new Set(seen).size).toBe(5);
      });

      it('sets the Claude session id and bumps updatedAt', async () => {
        const s = await ownedSession({ now: 1000 });
        await store.setClaudeSessionId(s.id, 'claude-abc', 2000);
        expect(await store.getSession(s.ownerId, s.id)).toStrictEqual({
          ...s,
          claudeSessionId: 'claude-abc',
          updatedAt: 2000,
        });
        await store.setClaudeSessionId(s.id, 'claude-def', 3000);
        expect((await store.getSession(s.ownerId, s.id))?.claudeSessionId).toBe('claude-def');
      });

      it('touchSession bumps updatedAt (reordering the list) and sets the title only when given', async () => {
        const owner = await store.recordSighting(newSighting());
        const a = await store.createSession(newSession(owner.id, { title: 'a', now: 1000 }));
        const b = await store.createSession(newSession(owner.id, { title: 'b', now: 2000 }));
        await store.touchSession(a.id, 3000);
        expect((await store.listSessions(owner.id, { limit: 10 })).map((s) => s.id)).toEqual([a.id, b.id]);
        expect(await store.getSession(owner.id, a.id)).toStrictEqual({ ...a, updatedAt: 3000 });

        await store.touchSession(b.id, 4000, 'renamed');
        expect(await store.getSession(owner.id, b.id)).toStrictEqual({ ...b, title: 'renamed', updatedAt: 4000 });
      });

      it('never moves updatedAt backwards', async () => {
        const s = await ownedSession({ now: 5000 });
        await store.touchSession(s.id, 4000, 'late writer');
        await store.setClaudeSessionId(s.id, 'claude-1', 3000);
        const got = await store.getSession(s.ownerId, s.id);
        expect(got).toMatchObject({ updatedAt: 5000, title: 'late writer', claudeSessionId: 'claude-1' });
      });

      it('keeps the newest time when many updates race (no lost update)', async () => {
        const s = await ownedSession({ now: 1000 });
        // Interleaved so that a read-then-write without a transaction would let an older time win.
        const times = [1007, 1002, 1010, 1001, 1009, 1004, 1006, 1003, 1008, 1005];
        await Promise.all(
          times.map((t, i) =>
            i % 2 === 0 ? store.touchSession(s.id, t) : store.setClaudeSessionId(s.id, `claude-${t}`, t),
          ),
        );
        const got = await store.getSession(s.ownerId, s.id);
        expect(got?.updatedAt).toBe(1010);
        expect(times.map((t) => `claude-${t}`)).toContain(got?.claudeSessionId);
      });

      it('refuses to update a session that does not exist', async () => {
        const missing = id('session');
        await expect(store.touchSession(missing, 1000)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
        await expect(store.setClaudeSessionId(missing, 'c', 1000)).rejects.toMatchObject({
          code: 'SESSION_NOT_FOUND',
        });
      });
    });

    describe('messages', () => {
      it('stores a pending message, reads it back and bumps the session', async () => {
        const owner = await store.recordSighting(newSighting());
        const s = await store.createSession(newSession(owner.id, { now: 1000 }));
        const newer = await store.createSession(newSession(owner.id, { now: 2000 }));
        const input = newMessage(s, { now: 3000 });

        const { message, created } = await store.insertMessage(input);
        expect(created).toBe(true);
        expect(message).toStrictEqual({
          id: input.id,
          sessionId: s.id,
          ownerId: owner.id,
          clientMessageId: input.clientMessageId,
          text: input.text,
          status: 'pending',
          createdAt: 3000,
        });
        expect(await store.getMessage(s.id, input.id)).toStrictEqual(message);
        expect((await store.getSession(owner.id, s.id))?.updatedAt).toBe(3000);
        expect((await store.listSessions(owner.id, { limit: 10 })).map((x) => x.id)).toEqual([s.id, newer.id]);
      });

      it('is idempotent on clientMessageId: a repeat returns the stored message with created=false', async () => {
        const s = await ownedSession({ now: 1000 });
        const first = await store.insertMessage(newMessage(s, { clientMessageId: 'c-1', now: 2000 }));
        const again = await store.insertMessage(
          newMessage(s, { clientMessageId: 'c-1', text: 'a retried body that differs', now: 5000 }),
        );
        expect(again.created).toBe(false);
        expect(again.message).toStrictEqual(first.message);
        expect(await store.listMessages(s.id)).toStrictEqual([first.message]);
        // A repeat is not activity: the session keeps the time of the real message.
        expect((await store.getSession(s.ownerId, s.id))?.updatedAt).toBe(2000);
      });

      it('treats the same clientMessageId in another session as another message', async () => {
        const s1 = await ownedSession();
        const s2 = await store.createSession(newSession(s1.ownerId));
        const a = await store.insertMessage(newMessage(s1, { clientMessageId: 'same' }));
        const b = await store.insertMessage(newMessage(s2, { clientMessageId: 'same' }));
        expect(a.created && b.created).toBe(true);
        expect(a.message.id).not.toBe(b.message.id);
      });

      it('lets exactly one of many concurrent duplicates create the message', async () => {
        const s = await ownedSession();
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            store.insertMessage(newMessage(s, { clientMessageId: 'dup', text: `${i}` })),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)!.message;
        for (const r of results) expect(r.message).toStrictEqual(winner);
        expect(await store.listMessages(s.id)).toStrictEqual([winner]);
      });

      it('stores every one of many concurrent messages with distinct client ids', async () => {
        const s = await ownedSession({ now: 1000 });
        const inputs = Array.from({ length: 8 }, (_, i) => newMessage(s, { text: `${i}`, now: 2000 + (i % 3) }));
        const results = await Promise.all(inputs.map((m) => store.insertMessage(m)));
        expect(results.every((r) => r.created)).toBe(true);
        const listed = await store.listMessages(s.id);
        expect(listed.map((m) => m.id).sort()).toEqual(inputs.map((m) => m.id).sort());
        expect(listed.map((m) => m.createdAt)).toEqual([...listed.map((m) => m.createdAt)].sort((a, b) => a - b));
        expect((await store.getSession(s.ownerId, s.id))?.updatedAt).toBe(2002);
      });

      it("refuses a message for an unknown session or another owner's session", async () => {
        const s = await ownedSession();
        const stranger = await store.recordSighting(newSighting());
        await expect(store.insertMessage(newMessage({ id: id('session'), ownerId: s.ownerId }))).rejects.toMatchObject({
          code: 'SESSION_NOT_FOUND',
        });
        await expect(store.insertMessage(newMessage({ id: s.id, ownerId: stranger.id }))).rejects.toMatchObject({
          code: 'SESSION_NOT_FOUND',
        });
        expect(await store.listMessages(s.id)).toEqual([]);
      });

      it('returns null for an unknown message or one looked up under another session', async () => {
        const s = await ownedSession();
        const other = await store.createSession(newSession(s.ownerId));
        const { message } = await store.insertMessage(newMessage(s));
        expect(await store.getMessage(s.id, id('msg'))).toBeNull();
        expect(await store.getMessage(other.id, message.id)).toBeNull();
      });

      it("lists a session's messages oldest first", async () => {
        const s = await ownedSession({ now: 0 });
        const other = await store.createSession(newSession(s.ownerId));
        const m3 = await store.insertMessage(newMessage(s, { text: 'third', now: 3000 }));
        const m1 = await store.insertMessage(newMessage(s, { text: 'first', now: 1000 }));
        const m2 = await store.insertMessage(newMessage(s, { text: 'second', now: 2000 }));
        await store.insertMessage(newMessage(other, { text: 'elsewhere', now: 1500 }));
        expect(await store.listMessages(s.id)).toStrictEqual([m1.message, m2.message, m3.message]);
        expect(await store.listMessages(id('session'))).toEqual([]);
      });

      it('lists messages stored in the same millisecond in the order they were stored', async () => {
        const s = await ownedSession({ now: 0 });
        const stored = [];
        for (const text of ['b', 'c', 'a', 'd']) {
          const { message } = await store.insertMessage(newMessage(s, { text, now: 1000 }));
          stored.push(message);
        }
        expect(await store.listMessages(s.id)).toStrictEqual(stored);
      });

      it('moves a message through its statuses', async () => {
        const s = await ownedSession();
        const { message } = await store.insertMessage(newMessage(s));
        for (const status of ['running', 'done', 'failed', 'pending'] as const) {
          await store.setMessageStatus(s.id, message.id, status);
          expect(await store.getMessage(s.id, message.id)).toStrictEqual({ ...message, status });
        }
      });

      it('refuses to set the status of a message that does not exist', async () => {
        const s = await ownedSession();
        const other = await store.createSession(newSession(s.ownerId));
        const { message } = await store.insertMessage(newMessage(s));
        await expect(store.setMessageStatus(s.id, id('msg'), 'done')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(store.setMessageStatus(other.id, message.id, 'done')).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        expect((await store.getMessage(s.id, message.id))?.status).toBe('pending');
      });
    });

    describe('events', () => {
      it('reports -1 and lists nothing for a session without events', async () => {
        const s = await ownedSession();
        expect(await store.lastEventSeq(s.id)).toBe(-1);
        expect(await store.listEvents(s.id, -1)).toEqual([]);
      });

      it("sums a session's turn costs, and only that session's", async () => {
        const s = await ownedSession();
        const other = await ownedSession();
        expect(await store.sessionCostUsd(s.id)).toBe(0);
        // Every seventh event is a turn.result costing 0.012345: 20 events hold three.
        await store.appendEvents(eventsFor(s.id, 0, 20));
        await store.appendEvents(eventsFor(other.id, 0, 7));
        expect(await store.sessionCostUsd(s.id)).toBeCloseTo(3 * 0.012345, 9);
        expect(await store.sessionCostUsd(other.id)).toBeCloseTo(0.012345, 9);
      });

      it('round-trips every event type exactly', async () => {
        const s = await ownedSession();
        const events = eventsFor(s.id, 0, 7);
        expect(new Set(events.map((e) => e.type)).size).toBe(7);
        await store.appendEvents(events);
        expect(await store.listEvents(s.id, -1)).toStrictEqual(events);
        expect(await store.lastEventSeq(s.id)).toBe(6);
      });

      it('lists ascending after a seq, bounded by limit, across several appends', async () => {
        const s = await ownedSession();
        const events = eventsFor(s.id, 0, 20);
        await store.appendEvents(events.slice(0, 5));
        await store.appendEvents(events.slice(5, 6));
        await store.appendEvents(events.slice(6));
        const seqs = (es: SessionEvent[]) => es.map((e) => e.seq);
        expect(seqs(await store.listEvents(s.id, -1))).toEqual(events.map((e) => e.seq));
        expect(seqs(await store.listEvents(s.id, 4))).toEqual(events.slice(5).map((e) => e.seq));
        expect(seqs(await store.listEvents(s.id, 4, 3))).toEqual([5, 6, 7]);
        expect(seqs(await store.listEvents(s.id, 18, 10))).toEqual([19]);
        expect(await store.listEvents(s.id, 19)).toEqual([]);
        expect(await store.listEvents(s.id, -1, 0)).toEqual([]);
        expect(await store.lastEventSeq(s.id)).toBe(19);
      });

      it('keeps sessions apart', async () => {
        const a = await ownedSession();
        const b = await store.createSession(newSession(a.ownerId));
        await store.appendEvents(eventsFor(a.id, 0, 3));
        await store.appendEvents(eventsFor(b.id, 0, 10));
        expect(await store.listEvents(a.id, -1)).toStrictEqual(eventsFor(a.id, 0, 3));
        expect(await store.lastEventSeq(a.id)).toBe(2);
        expect(await store.lastEventSeq(b.id)).toBe(9);
      });

      it('treats an empty batch as nothing to do', async () => {
        const s = await ownedSession();
        await store.appendEvents([]);
        expect(await store.lastEventSeq(s.id)).toBe(-1);
      });

      it('refuses a batch that repeats a stored seq and writes none of it', async () => {
        const s = await ownedSession();
        const events = eventsFor(s.id, 0, 8);
        await store.appendEvents(events.slice(0, 4));
        // New seqs first, the conflicting one last: a non-atomic writer would leave 4 and 5 behind.
        const batch = [events[4]!, events[5]!, events[3]!];
        await expect(store.appendEvents(batch)).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await store.listEvents(s.id, -1)).toStrictEqual(events.slice(0, 4));
        expect(await store.lastEventSeq(s.id)).toBe(3);
        await store.appendEvents(events.slice(4));
        expect(await store.listEvents(s.id, -1)).toStrictEqual(events);
      });

      it('refuses a batch that repeats a seq within itself and writes none of it', async () => {
        const s = await ownedSession();
        const [e0, e1] = eventsFor(s.id, 0, 2);
        await expect(store.appendEvents([e0!, e1!, { ...e1!, at: 1 }])).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await store.lastEventSeq(s.id)).toBe(-1);
      });

      it('lets exactly one of two concurrent writers of the same seqs win, without interleaving', async () => {
        const s = await ownedSession();
        const mine = eventsFor(s.id, 0, 5);
        const theirs = mine.map((e) => ({ ...e, at: e.at + 1 }));
        const results = await Promise.allSettled([store.appendEvents(mine), store.appendEvents(theirs)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(loser.reason).toMatchObject({ code: 'CONFLICT' });
        const stored = await store.listEvents(s.id, -1);
        expect([mine, theirs]).toContainEqual(stored);
      });

      it('lands concurrent appends of distinct seqs and counts every turn of them', async () => {
        const s = await ownedSession();
        // Four writers of seven events each: every batch holds exactly one turn.result.
        const batches = [0, 7, 14, 21].map((from) => eventsFor(s.id, from, 7));
        await Promise.all(batches.map((b) => store.appendEvents(b)));
        expect(await store.listEvents(s.id, -1)).toStrictEqual(batches.flat());
        expect(await store.lastEventSeq(s.id)).toBe(27);
        expect(await store.sessionCostUsd(s.id)).toBeCloseTo(4 * 0.012345, 9);
      });

      it('refuses an invalid event and writes none of the batch', async () => {
        const s = await ownedSession();
        const [e0, e1] = eventsFor(s.id, 0, 2);
        const broken = { ...e1!, seq: -1 } as SessionEvent;
        await expect(store.appendEvents([e0!, broken])).rejects.toThrow();
        expect(await store.lastEventSeq(s.id)).toBe(-1);
      });
    });

    describe('usage', () => {
      const usage = (userId: string, over: Partial<UsageRecord> = {}): UsageRecord => ({
        id: id('usage'),
        userId,
        claudeSessionId: randomUUID(),
        model: 'claude-sonnet-4-5-20250929',
        inputTokens: 1200,
        outputTokens: 340,
        cacheReadTokens: 5000,
        cacheCreationTokens: 17,
        costUsd: 0.012345,
        at: 1_700_000_000_000,
        ...over,
      });
      const zero = {
        costUsd: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        responses: 0,
      };

      it('sums to zero for a user without usage', async () => {
        expect(await store.usageSince(id('user'), 0)).toStrictEqual(zero);
      });

      it("sums a user's records since a time (inclusive), without other users' records", async () => {
        const me = id('user');
        const other = id('user');
        await store.recordUsage(usage(me, { at: 999, inputTokens: 1, costUsd: 100 }));
        await store.recordUsage(usage(me, { at: 1000, costUsd: 0.25, claudeSessionId: null }));
        await store.recordUsage(
          usage(me, {
            at: 5000,
            model: 'claude-haiku-4-5',
            inputTokens: 3,
            outputTokens: 4,
            cacheReadTokens: 0,
            cacheCreationTokens: 1,
            costUsd: 0.5,
          }),
        );
        await store.recordUsage(usage(other, { at: 2000, costUsd: 7 }));

        const sum = await store.usageSince(me, 1000);
        expect(sum).toStrictEqual({
          costUsd: expect.closeTo(0.75, 12),
          inputTokens: 1203,
          outputTokens: 344,
          cacheReadTokens: 5000,
          cacheCreationTokens: 18,
          responses: 2,
        });
        expect((await store.usageSince(me, 0)).responses).toBe(3);
        expect(await store.usageSince(me, 5001)).toStrictEqual(zero);
        expect(await store.usageSince(other, 0)).toMatchObject({ costUsd: 7, inputTokens: 1200, responses: 1 });
      });

      it('keeps cost exact enough to compare with a budget over many small records', async () => {
        const me = id('user');
        for (let i = 0; i < 100; i++) await store.recordUsage(usage(me, { costUsd: 0.01 }));
        expect((await store.usageSince(me, 0)).costUsd).toBeCloseTo(1, 9);
      });

      it('is idempotent on id: a repeat (even with other numbers) counts once', async () => {
        const me = id('user');
        const first = usage(me, { costUsd: 1 });
        await store.recordUsage(first);
        await store.recordUsage(first);
        await store.recordUsage({ ...first, costUsd: 50, inputTokens: 9 });
        await Promise.all(Array.from({ length: 5 }, () => store.recordUsage(first)));
        expect(await store.usageSince(me, 0)).toMatchObject({ costUsd: 1, inputTokens: 1200, responses: 1 });
      });

      it('counts every one of many concurrent records', async () => {
        const me = id('user');
        await Promise.all(
          Array.from({ length: 20 }, () => store.recordUsage(usage(me, { costUsd: 0.05, inputTokens: 3 }))),
        );
        expect(await store.usageSince(me, 0)).toMatchObject({
          costUsd: expect.closeTo(1, 9),
          inputTokens: 60,
          responses: 20,
        });
      });

      it('refuses negative or fractional token counts and a non-finite cost, storing nothing', async () => {
        const me = id('user');
        await expect(store.recordUsage(usage(me, { inputTokens: -1 }))).rejects.toThrow(/inputTokens/);
        await expect(store.recordUsage(usage(me, { outputTokens: 1.5 }))).rejects.toThrow(/outputTokens/);
        await expect(store.recordUsage(usage(me, { costUsd: Number.NaN }))).rejects.toThrow(/costUsd/);
        await expect(store.recordUsage(usage(me, { costUsd: -0.01 }))).rejects.toThrow(/costUsd/);
        expect(await store.usageSince(me, 0)).toStrictEqual(zero);
      });
    });

    describe('open messages', () => {
      it("lists the owner's pending and running messages across sessions, oldest first", async () => {
        const s1 = await ownedSession({ now: 0 });
        const s2 = await store.createSession(newSession(s1.ownerId, { now: 0 }));
        const stranger = await ownedSession({ now: 0 });
        const put = async (s: { id: string; ownerId: string }, now: number, status: Message['status']) => {
          const { message } = await store.insertMessage(newMessage(s, { now, text: `${status} at ${now}` }));
          if (status !== 'pending') await store.setMessageStatus(s.id, message.id, status);
          return { ...message, status };
        };
        const a = await put(s1, 3000, 'pending');
        const b = await put(s2, 1000, 'running');
        await put(s1, 2000, 'done');
        await put(s2, 4000, 'failed');
        const c = await put(s2, 5000, 'pending');
        await put(stranger, 500, 'pending');
        expect(await store.listOpenMessages(s1.ownerId)).toStrictEqual([b, a, c]);
        expect(await store.listOpenMessages(id('user'))).toEqual([]);
      });

      it('drops a message from the open list once its turn ends, and lists it again when it is retried', async () => {
        const s = await ownedSession({ now: 0 });
        const { message } = await store.insertMessage(newMessage(s, { now: 1000 }));
        await store.setMessageStatus(s.id, message.id, 'done');
        expect(await store.listOpenMessages(s.ownerId)).toEqual([]);
        await store.setMessageStatus(s.id, message.id, 'pending');
        expect(await store.listOpenMessages(s.ownerId)).toStrictEqual([message]);
      });
    });

    describe('runner pool', () => {
      // The pool is one per store, not per user, and a shared backend keeps the runners of earlier
      // tests. Each test therefore runs at its own time, past every lease of the tests before it, so
      // those runners are unhealthy here and never chosen.
      let clock = 2_000_000_000_000;
      let t = 0;
      beforeEach(() => {
        clock += 1_000_000_000;
        t = clock;
      });
      const leaseMs = 15_000;
      const runnerId = (suffix = '') => `runner-${randomUUID()}${suffix}`;
      const beat = (rid: string, over: Partial<RunnerHeartbeat> = {}) =>
        store.heartbeatRunner({
          id: rid,
          wsUrl: `ws://${rid}:8080/ws`,
          capacity: 2,
          activeSessions: 0,
          now: t,
          leaseMs,
          ...over,
        });
      const runner = async (rid: string): Promise<RunnerRecord | undefined> =>
        (await store.listRunners()).find((r) => r.id === rid);
      const placed = async (rid: string) => (await store.listPlacements(rid)).map((p) => p.userId);

      it('registers a runner on its first heartbeat and refreshes it on the next', async () => {
        const rid = runnerId();
        const first = await beat(rid, { capacity: 3, activeSessions: 1 });
        expect(first).toStrictEqual({
          id: rid,
          wsUrl: `ws://${rid}:8080/ws`,
          capacity: 3,
          placedUsers: 0,
          activeSessions: 1,
          startedAt: t,
          heartbeatAt: t,
          leaseUntil: t + leaseMs,
          state: 'up',
        });
        expect(await runner(rid)).toStrictEqual(first);
        const next = await beat(rid, { capacity: 4, activeSessions: 7, now: t + 5000, wsUrl: 'wss://r.example/ws' });
        expect(next).toStrictEqual({
          ...first,
          wsUrl: 'wss://r.example/ws',
          capacity: 4,
          activeSessions: 7,
          heartbeatAt: t + 5000,
          leaseUntil: t + 5000 + leaseMs,
        });
        expect(await runner(rid)).toStrictEqual(next);
        const ids = (await store.listRunners()).map((r) => r.id);
        expect(ids).toEqual([...ids].sort());
      });

      it('places users on the least loaded healthy runner (load, then active sessions, then id) until all are full', async () => {
        const p = runnerId();
        const [a, b, c, stale, down] = [`${p}-a`, `${p}-b`, `${p}-c`, `${p}-0-stale`, `${p}-0-down`];
        await beat(a, { capacity: 2 });
        await beat(b, { capacity: 4 });
        await beat(c, { capacity: 4, activeSessions: 5 });
        // Emptier than all, but not healthy: one's lease has ended, the other was taken over.
        await beat(stale, { capacity: 100, now: t - 2 * leaseMs });
        await beat(down, { capacity: 100, now: t - 2 * leaseMs });
        expect(await store.takeOverRunner(down, t)).toBe(true);

        const users = Array.from({ length: 11 }, () => id('user'));
        const chosen: string[] = [];
        for (const u of users.slice(0, 10)) {
          const r = await store.placeUser(u, t);
          expect(r.previousRunnerId).toBeNull();
          chosen.push(r.runner.id);
        }
        // a 0/2, b 0/4, c 0/4 (busy) → a; then b; c; b (tie .25, fewer sessions); c; a (all .5, id);
        // b (tie, fewer sessions); c; b (.75 tie); c.
        expect(chosen).toEqual([a, b, c, b, c, a, b, c, b, c]);
        await expect(store.placeUser(users[10]!, t)).rejects.toMatchObject({ code: 'NO_RUNNER', status: 503 });
        await expect(store.placeUser(users[10]!, t)).rejects.toThrow(/No runner .* has room/);
        expect(await store.getPlacement(users[10]!)).toBeNull();

        expect((await runner(a))?.placedUsers).toBe(2);
        expect((await runner(b))?.placedUsers).toBe(4);
        expect((await runner(c))?.placedUsers).toBe(4);
        expect((await runner(stale))?.placedUsers).toBe(0);
        expect((await runner(down))?.placedUsers).toBe(0);
        expect(await placed(a)).toEqual([users[0]!, users[5]!].sort());
        expect(await store.getPlacement(users[1]!)).toStrictEqual({ userId: users[1], runnerId: b, placedAt: t });
      });

      it('keeps a user on their runner while it is healthy (sticky), even when another is less loaded', async () => {
        const p = runnerId();
        const [a, b] = [`${p}-a`, `${p}-b`];
        await beat(a, { capacity: 10 });
        await beat(b, { capacity: 10 });
        const [u, v, w] = [id('user'), id('user'), id('user')];
        expect((await store.placeUser(u, t)).runner.id).toBe(a);
        expect((await store.placeUser(v, t)).runner.id).toBe(b);
        expect((await store.placeUser(w, t)).runner.id).toBe(a);
        await beat(a, { capacity: 10, now: t + 5000, activeSessions: 9 });

        const again = await store.placeUser(u, t + 6000);
        expect(again).toStrictEqual({ runner: await runner(a), previousRunnerId: null });
        expect(again.runner.placedUsers).toBe(2);
        expect(await store.getPlacement(u)).toStrictEqual({ userId: u, runnerId: a, placedAt: t });
        expect((await runner(b))?.placedUsers).toBe(1);
      });

      it('moves a user off a runner whose lease ended, and moves the count with them', async () => {
        const p = runnerId();
        const [a, b] = [`${p}-a`, `${p}-b`];
        await beat(a);
        await beat(b);
        const u = id('user');
        expect((await store.placeUser(u, t)).runner.id).toBe(a);
        await beat(b, { now: t + 10_000 });
        // a stays silent: at t + leaseMs its lease has ended (not yet taken over).
        expect(isRunnerHealthy((await runner(a))!, t + leaseMs)).toBe(false);

        const moved = await store.placeUser(u, t + leaseMs);
        expect(moved.previousRunnerId).toBe(a);
        expect(moved.runner).toMatchObject({ id: b, placedUsers: 1 });
        expect((await runner(a))?.placedUsers).toBe(0);
        expect(await store.getPlacement(u)).toStrictEqual({ userId: u, runnerId: b, placedAt: t + leaseMs });
        expect(await placed(a)).toEqual([]);
        expect(await placed(b)).toEqual([u]);
        // Moved once: the next call (another runner sweeping the same dead peer) sees it stay.
        expect(await store.placeUser(u, t + leaseMs + 1)).toMatchObject({ runner: { id: b }, previousRunnerId: null });
        expect((await runner(b))?.placedUsers).toBe(1);
      });

      it('takes over a silent runner exactly once; its placements stay until placeUser moves each user', async () => {
        const p = runnerId();
        const [a, b] = [`${p}-a`, `${p}-b`];
        await beat(a, { capacity: 5 });
        await beat(b, { capacity: 5 });
        const [u1, u2, u3] = [id('user'), id('user'), id('user')];
        await store.placeUser(u1, t); // a
        await store.placeUser(u2, t); // b
        await store.placeUser(u3, t); // a
        expect(await store.takeOverRunner(a, t + 1000)).toBe(false);
        expect(await runner(a)).toMatchObject({ state: 'up', placedUsers: 2 });

        await beat(b, { capacity: 5, now: t + 10_000 });
        expect(await store.takeOverRunner(a, t + leaseMs)).toBe(true);
        expect(await store.takeOverRunner(a, t + leaseMs + 1)).toBe(false);
        expect(await store.takeOverRunner(runnerId(), t + leaseMs)).toBe(false);
        expect(await runner(a)).toMatchObject({ state: 'down', placedUsers: 0, leaseUntil: t + leaseMs });
        expect(await placed(a)).toEqual([u1, u3].sort());

        // The take-over counted u1 off already: moving u1 does not take a's count below 0.
        expect(await store.placeUser(u1, t + leaseMs)).toMatchObject({
          runner: { id: b, placedUsers: 2 },
          previousRunnerId: a,
        });
        expect((await runner(a))?.placedUsers).toBe(0);
        expect(await placed(a)).toEqual([u3]);

        // A heartbeat brings a back up, with the count it has (0); u3, still placed there, stays and
        // is counted again.
        const back = await beat(a, { capacity: 5, now: t + leaseMs + 2000 });
        expect(back).toMatchObject({ state: 'up', placedUsers: 0, startedAt: t + leaseMs + 2000 });
        expect(await store.placeUser(u3, t + leaseMs + 2000)).toMatchObject({
          runner: { id: a, placedUsers: 1 },
          previousRunnerId: null,
        });
        expect(await store.placeUser(u3, t + leaseMs + 2001)).toMatchObject({ runner: { id: a, placedUsers: 1 } });
      });

      it('lets exactly one of many concurrent takeOverRunner calls win', async () => {
        const a = runnerId();
        await beat(a);
        const results = await Promise.all(Array.from({ length: 6 }, () => store.takeOverRunner(a, t + leaseMs)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await runner(a)).toMatchObject({ state: 'down', placedUsers: 0 });
      });

      it('retireRunner ends the lease now (state stays up), so one peer takes the runner over', async () => {
        const p = runnerId();
        const [a, b] = [`${p}-a`, `${p}-b`];
        await beat(a, { capacity: 5 });
        await beat(b, { capacity: 1 });
        const u = id('user');
        expect((await store.placeUser(u, t)).runner.id).toBe(a);
        await store.retireRunner(a, t + 1000);
        expect(await runner(a)).toMatchObject({ state: 'up', leaseUntil: t + 1000, placedUsers: 1 });
        expect(isRunnerHealthy((await runner(a))!, t + 1000)).toBe(false);
        // Never placed on a retired runner, even with room.
        expect((await store.placeUser(id('user'), t + 1000)).runner.id).toBe(b);
        await expect(store.placeUser(id('user'), t + 1000)).rejects.toMatchObject({ code: 'NO_RUNNER' });

        const results = await Promise.all([store.takeOverRunner(a, t + 1000), store.takeOverRunner(a, t + 1000)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await runner(a)).toMatchObject({ state: 'down', placedUsers: 0 });
        await store.retireRunner(runnerId(), t); // unknown: nothing to do
      });

      it('lands two concurrent placements on two runners of capacity 1 on different runners', async () => {
        const p = runnerId();
        const [a, b] = [`${p}-a`, `${p}-b`];
        await beat(a, { capacity: 1 });
        await beat(b, { capacity: 1 });
        const [u, v] = [id('user'), id('user')];
        const [x, y] = await Promise.all([store.placeUser(u, t), store.placeUser(v, t)]);
        expect([x.runner.id, y.runner.id].sort()).toEqual([a, b]);
        expect(await runner(a)).toMatchObject({ placedUsers: 1 });
        expect(await runner(b)).toMatchObject({ placedUsers: 1 });
        expect((await store.getPlacement(u))?.runnerId).toBe(x.runner.id);
        expect((await store.getPlacement(v))?.runnerId).toBe(y.runner.id);
        await expect(store.placeUser(id('user'), t)).rejects.toMatchObject({ code: 'NO_RUNNER' });
      });

      it('never overfills a runner when many placements race', async () => {
        const p = runnerId();
        const rids = [`${p}-a`, `${p}-b`, `${p}-c`];
        for (const rid of rids) await beat(rid, { capacity: 2 });
        const users = Array.from({ length: 7 }, () => id('user'));
        const results = await Promise.allSettled(users.map((u) => store.placeUser(u, t)));
        const ok = results.filter((r) => r.status === 'fulfilled');
        expect(ok).toHaveLength(6);
        const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(refused.reason).toMatchObject({ code: 'NO_RUNNER' });
        for (const rid of rids) {
          expect((await runner(rid))?.placedUsers).toBe(2);
          expect(await placed(rid)).toHaveLength(2);
        }
      });

      it('answers null and [] for unknown users and runners, and refuses an invalid heartbeat', async () => {
        expect(await store.getPlacement(id('user'))).toBeNull();
        expect(await store.listPlacements(runnerId())).toEqual([]);
        await expect(beat('a/b')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(beat(runnerId(), { capacity: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(beat(runnerId(), { leaseMs: -1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      });
    });

    describe('transcripts', () => {
      const keyFor = (over: Partial<TranscriptKey> = {}): TranscriptKey => ({
        ownerId: id('user'),
        projectKey: '-home-user-workspace-agents-news',
        sessionId: randomUUID(),
        ...over,
      });
      let n = 0;
      const entry = (over: Partial<TranscriptEntry> = {}): TranscriptEntry => ({
        type: n % 2 === 0 ? 'user' : 'assistant',
        uuid: randomUUID(),
        parentUuid: null,
        timestamp: `2025-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
        message: { role: 'user', content: [{ type: 'text', text: `line ${n++} 안녕 👋 "q" \\ \n\t` }] },
        costs: [0, -1.5, 1e-7, 12345678901234],
        nested: { empty: {}, list: [], none: null, yes: true },
        ...over,
      });

      it('answers null and no subpaths for a transcript never written', async () => {
        const key = keyFor();
        expect(await store.loadTranscript(key)).toBeNull();
        expect(await store.listTranscriptSubpaths(key)).toEqual([]);
        await store.appendTranscript(key, []);
        expect(await store.loadTranscript(key)).toBeNull();
      });

      it('keeps entries exactly, in the order of the appends', async () => {
        const key = keyFor();
        const batches = [[entry(), entry()], [entry({ uuid: undefined })], [entry(), entry(), entry()], [entry()]];
        for (const b of batches) await store.appendTranscript(key, b);
        // JSON drops undefined members: the stored entry is what its JSON says.
        const expected = batches.flat().map((e) => JSON.parse(JSON.stringify(e)));
        expect(await store.loadTranscript(key)).toStrictEqual(expected);
        expect(await store.loadTranscript({ ...key, subpath: '' })).toStrictEqual(expected);
      });

      it('skips an entry whose uuid is stored already (the first wins); entries without uuid always go in', async () => {
        const key = keyFor();
        const [e1, e2, e3, e4] = [entry(), entry(), entry(), entry()];
        const plain = { type: 'summary', summary: 'no uuid here' };
        await store.appendTranscript(key, [e1!, e2!, plain]);
        await store.appendTranscript(key, [{ ...e2!, message: 'a retried copy that differs' }, e3!, plain]);
        await store.appendTranscript(key, [e4!, { ...e4!, type: 'again' }, e1!]);
        expect(await store.loadTranscript(key)).toStrictEqual([e1, e2, plain, e3, plain, e4]);
        // The same uuid under another key is another entry.
        const other = keyFor({
          ownerId: key.ownerId,
          projectKey: key.projectKey,
          sessionId: key.sessionId,
          subpath: 'x',
        });
        await store.appendTranscript(other, [e1!]);
        expect(await store.loadTranscript(other)).toStrictEqual([e1]);
      });

      it("keeps keys apart and lists a session's subagent transcripts, not the main one", async () => {
        const key = keyFor();
        const sub = (subpath: string) => ({ ...key, subpath });
        const [main, s1, s2] = [[entry()], [entry()], [entry(), entry()]];
        await store.appendTranscript(key, main);
        await store.appendTranscript(sub('subagents/agent-b1'), s2);
        await store.appendTranscript(sub('subagents/agent-a1'), s1);
        await store.appendTranscript({ ...key, ownerId: id('user') }, [entry()]);
        await store.appendTranscript({ ...key, sessionId: randomUUID(), subpath: 'subagents/agent-zz' }, [entry()]);
        await store.appendTranscript({ ...key, projectKey: '-other', subpath: 'subagents/agent-yy' }, [entry()]);

        expect(await store.loadTranscript(key)).toStrictEqual(main);
        expect(await store.loadTranscript(sub('subagents/agent-a1'))).toStrictEqual(s1);
        expect(await store.loadTranscript(sub('subagents/agent-b1'))).toStrictEqual(s2);
        expect(await store.listTranscriptSubpaths(key)).toEqual(['subagents/agent-a1', 'subagents/agent-b1']);
        expect(await store.loadTranscript({ ...key, ownerId: id('user') })).toBeNull();
      });

      it('round-trips an entry larger than 1 MiB, between small ones, in one append and across appends', async () => {
        const key = keyFor();
        // 8 bytes per repeat in UTF-8 (1 + 3 + 4; the emoji is a surrogate pair): cuts at byte
        // boundaries would split characters unless done with care.
        const big = entry({ message: { role: 'assistant', content: 'a가👋'.repeat(160_000) } });
        expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(1.2 * 1024 * 1024);
        // Over 3 MiB: more than one request to Firestore's emulator carries.
        const bigger = entry({ toolUseResult: { stdout: 'x가'.repeat(850_000) } });
        expect(Buffer.byteLength(JSON.stringify(bigger))).toBeGreaterThan(3.2 * 1024 * 1024);
        const [before, between, after] = [entry(), entry(), entry()];
        await store.appendTranscript(key, [before, big, between, bigger, after]);
        const last = entry({ toolUseResult: { stdout: '가'.repeat(400_000) } });
        await store.appendTranscript(key, [last]);
        expect(await store.loadTranscript(key)).toStrictEqual([before, big, between, bigger, after, last]);
        // A repeat of a large entry is skipped like any other.
        await store.appendTranscript(key, [bigger]);
        expect(await store.loadTranscript(key)).toHaveLength(6);
      });

      it('accepts an entry of exactly the size limit and refuses one byte more, storing nothing of that call', async () => {
        const key = keyFor();
        const sized = (bytes: number) => {
          const e = entry({ pad: '' });
          const overhead = Buffer.byteLength(JSON.stringify(e));
          return { ...e, pad: 'p'.repeat(bytes - overhead) };
        };
        const atLimit = sized(Limits.transcriptEntryBytes);
        expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(Limits.transcriptEntryBytes);
        const first = entry();
        await store.appendTranscript(key, [first, atLimit]);

        const small = entry();
        await expect(
          store.appendTranscript(key, [small, sized(Limits.transcriptEntryBytes + 1)]),
        ).rejects.toMatchObject({
          code: 'PAYLOAD_TOO_LARGE',
          details: expect.objectContaining({ index: 1 }),
        });
        expect(await store.loadTranscript(key)).toStrictEqual([first, atLimit]);

        const fresh = keyFor();
        await expect(store.appendTranscript(fresh, [sized(Limits.transcriptEntryBytes + 1)])).rejects.toMatchObject({
          code: 'PAYLOAD_TOO_LARGE',
        });
        expect(await store.loadTranscript(fresh)).toBeNull();
        // The refused call stored nothing, so its small entry's uuid is free.
        await store.appendTranscript(key, [small]);
        expect((await store.loadTranscript(key))?.at(-1)).toStrictEqual(small);
      });

      it('keeps each concurrent append whole and in its own order', async () => {
        const key = keyFor();
        const batches = Array.from({ length: 4 }, (_, b) =>
          Array.from({ length: 3 }, (_, i) => entry({ batch: b, index: i })),
        );
        await Promise.all(batches.map((b) => store.appendTranscript(key, b)));
        const stored = (await store.loadTranscript(key)) ?? [];
        expect(stored).toHaveLength(12);
        for (let i = 0; i < 12; i += 3) {
          const b = stored[i]!['batch'] as number;
          expect(stored.slice(i, i + 3)).toStrictEqual(batches[b]);
        }
        expect(new Set(stored.map((e) => e['batch'])).size).toBe(4);
      });

      it('stores a long append of many entries in order', async () => {
        const key = keyFor();
        const many = Array.from({ length: 450 }, (_, i) => entry({ i }));
        await store.appendTranscript(key, many);
        await store.appendTranscript(key, many.slice(0, 10));
        expect(await store.loadTranscript(key)).toStrictEqual(many);
      });

      it('refuses malformed entries and keys, naming the field', async () => {
        const key = keyFor();
        const bad = [{ uuid: randomUUID() }, null, [], { type: 'user', uuid: 7 }] as unknown as TranscriptEntry[];
        for (const e of bad) {
          await expect(store.appendTranscript(key, [entry(), e])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        }
        await expect(store.appendTranscript({ ...key, projectKey: '' }, [entry()])).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          details: expect.objectContaining({ field: 'projectKey' }),
        });
        expect(await store.loadTranscript(key)).toBeNull();
      });
    });

    describe('agents', () => {
      const T0 = 1_700_000_000_000;
      const refused = (field: string) => ({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) });
      /** 32 base64url characters, as the server makes them. */
      const secret = () => randomBytes(24).toString('base64url');

      const specOf = (over: Partial<AgentSpec> = {}): AgentSpec => ({
        name: '주간 매출 요약',
        description: 'Summarises sales.csv by region every Monday morning.',
        instructions: 'Read sales.csv, sum revenue by region and write out/digest.md.',
        schedule: {
          cron: '0 9 * * 1',
          timeZone: 'Asia/Seoul',
          enabled: true,
          missedRunPolicy: 'skip',
          overlapPolicy: 'skip',
        },
        limits: { timeoutMs: 600_000, maxTurns: 30, maxUsd: 0.5 },
        notifications: { webhookUrl: 'https://hooks.example.com/agents?x=1', inApp: true },
        ...over,
      });

      const newAgent = (ownerId: string, over: Partial<NewAgent> = {}): NewAgent => ({
        id: id('agent'),
        ownerId,
        spec: specOf(),
        webhookSecret: secret(),
        now: T0,
        ...over,
      });

      it('creates an agent with version 1 of its instructions and its folder, and reads it back', async () => {
        const owner = id('user');
        const input = newAgent(owner);
        const created = await store.createAgent(input);
        const expected: Agent = {
          id: input.id,
          ownerId: owner,
          ...input.spec,
          notifications: { ...input.spec.notifications, webhookSecretLast4: input.webhookSecret!.slice(-4) },
          folder: `/home/agent/agents/${input.id}`,
          status: 'active',
          version: 1,
          createdAt: T0,
          updatedAt: T0,
        };
        expect(created).toStrictEqual(expected);
        expect(Agent.parse(created)).toStrictEqual(created);
        expect(await store.getAgent(owner, input.id)).toStrictEqual(expected);
        expect(await store.listAgents(owner)).toStrictEqual([expected]);
        expect(await store.listAgentVersions(owner, input.id)).toStrictEqual([
          { agentId: input.id, version: 1, instructions: input.spec.instructions, createdAt: T0 },
        ]);
        // The secret itself is never read back with the agent, only by its own method.
        expect(JSON.stringify([created, await store.listAgents(owner)])).not.toContain(input.webhookSecret);
        expect(await store.getAgentWebhookSecret(owner, input.id)).toBe(input.webhookSecret);

        const manual = await store.createAgent(
          newAgent(owner, {
            spec: specOf({ schedule: null, notifications: { webhookUrl: null, inApp: false } }),
            webhookSecret: null,
            status: 'paused',
          }),
        );
        expect(manual).toMatchObject({
          schedule: null,
          status: 'paused',
          notifications: { webhookUrl: null, inApp: false, webhookSecretLast4: null },
        });
        expect(await store.getAgent(owner, manual.id)).toStrictEqual(manual);
      });

      it('refuses a second agent with the same id and keeps the first', async () => {
        const a = await store.createAgent(newAgent(id('user')));
        await expect(store.createAgent(newAgent(id('user'), { id: a.id }))).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await store.getAgent(a.ownerId, a.id)).toStrictEqual(a);
        expect(await store.listAgentVersions(a.ownerId, a.id)).toHaveLength(1);
      });

      it("keeps another owner's agent out of sight: reads are null, writes change nothing", async () => {
        const a = await store.createAgent(newAgent(id('user')));
        const other = id('user');
        expect(await store.getAgent(other, a.id)).toBeNull();
        expect(await store.listAgents(other)).toStrictEqual([]);
        expect(await store.updateAgent(other, a.id, { name: 'Mine now', webhookSecret: secret() }, T0 + 1)).toBeNull();
        expect(await store.listAgentVersions(other, a.id)).toBeNull();
        expect(await store.getAgentWebhookSecret(other, a.id)).toBeNull();
        expect(await store.deleteAgent(other, a.id)).toBe(false);
        expect(await store.getAgent(a.ownerId, a.id)).toStrictEqual(a);
        expect(await store.listAgentVersions(a.ownerId, a.id)).toHaveLength(1);

        const unknown = id('agent');
        expect(await store.getAgent(a.ownerId, unknown)).toBeNull();
        expect(await store.updateAgent(a.ownerId, unknown, { name: 'x' }, T0)).toBeNull();
        expect(await store.deleteAgent(a.ownerId, unknown)).toBe(false);
        expect(await store.listAgentVersions(a.ownerId, unknown)).toBeNull();
        expect(await store.getAgent(a.ownerId, unknown)).toBeNull();
      });

      it("lists only the owner's agents, newest first", async () => {
        const owner = id('user');
        const made: Agent[] = [];
        for (const at of [T0 + 20, T0, T0 + 10]) made.push(await store.createAgent(newAgent(owner, { now: at })));
        await store.createAgent(newAgent(id('user')));
        expect((await store.listAgents(owner)).map((a) => a.createdAt)).toStrictEqual([T0 + 20, T0 + 10, T0]);
        expect(new Set((await store.listAgents(owner)).map((a) => a.id))).toStrictEqual(new Set(made.map((a) => a.id)));
      });

      it('applies a patch; instructions that change append a version, the same text again does not', async () => {
        const a = await store.createAgent(newAgent(id('user')));
        const limits = { timeoutMs: 10_000, maxTurns: 200, maxUsd: 100 };
        const renamed = await store.updateAgent(a.ownerId, a.id, { name: 'Renamed', limits }, T0 + 10);
        expect(renamed).toStrictEqual({ ...a, name: 'Renamed', limits, updatedAt: T0 + 10 });

        const v2 = await store.updateAgent(a.ownerId, a.id, { instructions: 'Version two.' }, T0 + 20);
        expect(v2).toMatchObject({ instructions: 'Version two.', version: 2, updatedAt: T0 + 20 });
        const same = await store.updateAgent(
          a.ownerId,
          a.id,
          { instructions: 'Version two.', status: 'paused', schedule: null },
          T0 + 30,
        );
        expect(same).toStrictEqual({ ...v2, status: 'paused', schedule: null, updatedAt: T0 + 30 });
        // A writer with an older clock: a new version, and updatedAt does not move back.
        const v3 = await store.updateAgent(a.ownerId, a.id, { instructions: 'Version three.' }, T0 + 5);
        expect(v3).toMatchObject({ instructions: 'Version three.', version: 3, updatedAt: T0 + 30 });
        expect(await store.getAgent(a.ownerId, a.id)).toStrictEqual(v3);
        expect(await store.listAgentVersions(a.ownerId, a.id)).toStrictEqual([
          { agentId: a.id, version: 3, instructions: 'Version three.', createdAt: T0 + 5 },
          { agentId: a.id, version: 2, instructions: 'Version two.', createdAt: T0 + 20 },
          { agentId: a.id, version: 1, instructions: a.instructions, createdAt: T0 },
        ]);
        expect(await store.updateAgent(a.ownerId, a.id, {}, T0 + 40)).toStrictEqual({ ...v3, updatedAt: T0 + 40 });
      });

      it('shows the webhook secret by its last 4 characters only; a patch rotates or removes it; a webhook needs one', async () => {
        const owner = id('user');
        const input = newAgent(owner);
        const a = await store.createAgent(input);
        const rotated = secret();
        const b = await store.updateAgent(owner, a.id, { webhookSecret: rotated }, T0 + 1);
        expect(b?.notifications.webhookSecretLast4).toBe(rotated.slice(-4));
        expect(await store.getAgentWebhookSecret(owner, a.id)).toBe(rotated);

        await expect(store.updateAgent(owner, a.id, { webhookSecret: null }, T0 + 2)).rejects.toMatchObject(
          refused('webhookSecret'),
        );
        await expect(store.updateAgent(owner, a.id, { webhookSecret: 'too-short' }, T0 + 2)).rejects.toMatchObject(
          refused('webhookSecret'),
        );
        expect(await store.getAgent(owner, a.id)).toStrictEqual(b);

        const off = await store.updateAgent(
          owner,
          a.id,
          { notifications: { webhookUrl: null, inApp: false }, webhookSecret: null },
          T0 + 3,
        );
        expect(off?.notifications).toStrictEqual({ webhookUrl: null, inApp: false, webhookSecretLast4: null });
        expect(await store.getAgentWebhookSecret(owner, a.id)).toBeNull();

        const noSecret = newAgent(owner, { webhookSecret: null });
        await expect(store.createAgent(noSecret)).rejects.toMatchObject(refused('webhookSecret'));
        expect(await store.getAgent(owner, noSecret.id)).toBeNull();
      });

      it('refuses bad input with the field named, storing nothing; accepts the bounds themselves', async () => {
        const owner = id('user');
        const base = specOf();
        const cases: [string, Partial<AgentSpec>][] = [
          ['name', { name: 'x'.repeat(81) }],
          ['name', { name: '   ' }],
          ['description', { description: 'x'.repeat(501) }],
          ['instructions', { instructions: 'x'.repeat(20_001) }],
          ['schedule.cron', { schedule: { ...base.schedule!, cron: '*'.repeat(101) } }],
          ['schedule.timeZone', { schedule: { ...base.schedule!, timeZone: 'x'.repeat(65) } }],
          ['schedule.missedRunPolicy', { schedule: { ...base.schedule!, missedRunPolicy: 'all' as 'skip' } }],
          ['limits.maxUsd', { limits: { ...base.limits, maxUsd: -1 } }],
          ['limits.maxUsd', { limits: { ...base.limits, maxUsd: 100.01 } }],
          ['limits.timeoutMs', { limits: { ...base.limits, timeoutMs: 9_999 } }],
          ['limits.timeoutMs', { limits: { ...base.limits, timeoutMs: 6 * 3600_000 + 1 } }],
          ['limits.maxTurns', { limits: { ...base.limits, maxTurns: 0 } }],
          ['limits.maxTurns', { limits: { ...base.limits, maxTurns: 2.5 } }],
          ['notifications.webhookUrl', { notifications: { webhookUrl: 'ftp://files.example.com', inApp: true } }],
          [
            'notifications.webhookUrl',
            { notifications: { webhookUrl: `https://example.com/${'x'.repeat(2048)}`, inApp: true } },
          ],
        ];
        for (const [field, over] of cases) {
          const input = newAgent(owner, { spec: { ...base, ...over } });
          const error = await store.createAgent(input).then(
            () => null,
            (e: unknown) => e,
          );
          expect(error, field).toMatchObject(refused(field));
          expect((error as Error).message, field).toContain(field);
        }
        await expect(store.createAgent(newAgent(owner, { id: 'a/b' }))).rejects.toMatchObject(refused('id'));
        await expect(store.createAgent(newAgent(owner, { webhookSecret: 'short' }))).rejects.toMatchObject(
          refused('webhookSecret'),
        );
        await expect(
          store.createAgent(newAgent(owner, { spec: { ...base, ownerId: 'someone' } as AgentSpec })),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await store.listAgents(owner)).toStrictEqual([]);

        const edge = await store.createAgent(
          newAgent(owner, {
            spec: specOf({
              name: 'x'.repeat(80),
              description: '',
              instructions: 'y'.repeat(20_000),
              limits: { timeoutMs: 10_000, maxTurns: 1, maxUsd: 0.01 },
            }),
          }),
        );
        expect(await store.getAgent(owner, edge.id)).toStrictEqual(edge);

        // A bad patch changes nothing.
        for (const [field, patch] of [
          ['limits.maxUsd', { limits: { ...base.limits, maxUsd: -0.5 } }],
          ['name', { name: 'x'.repeat(81) }],
          ['status', { status: 'deleted' }],
        ] as [string, AgentUpdate][]) {
          await expect(store.updateAgent(owner, edge.id, patch, T0 + 1)).rejects.toMatchObject(refused(field));
        }
        await expect(
          store.updateAgent(owner, edge.id, { ownerId: 'someone' } as AgentUpdate, T0 + 1),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await store.getAgent(owner, edge.id)).toStrictEqual(edge);
        expect(await store.listAgentVersions(owner, edge.id)).toHaveLength(1);
      });

      it('lists the active agents with an enabled schedule, of every owner', async () => {
        const [ownerA, ownerB] = [id('user'), id('user')];
        const off = { ...specOf().schedule!, enabled: false };
        const scheduledA = await store.createAgent(newAgent(ownerA));
        const scheduledB = await store.createAgent(newAgent(ownerB));
        const paused = await store.createAgent(newAgent(ownerA, { status: 'paused' }));
        const disabled = await store.createAgent(newAgent(ownerA, { spec: specOf({ schedule: off }) }));
        const manual = await store.createAgent(newAgent(ownerB, { spec: specOf({ schedule: null }) }));
        const ours = new Set([scheduledA, scheduledB, paused, disabled, manual].map((a) => a.id));
        const listed = async () => (await store.listScheduledAgents()).filter((a) => ours.has(a.id));

        expect(await listed()).toStrictEqual([scheduledA, scheduledB].sort((x, y) => (x.id < y.id ? -1 : 1)));
        await store.updateAgent(ownerA, scheduledA.id, { status: 'paused' }, T0 + 1);
        const enabled = await store.updateAgent(ownerA, disabled.id, { schedule: { ...off, enabled: true } }, T0 + 1);
        expect((await listed()).map((a) => a.id).sort()).toStrictEqual([scheduledB.id, disabled.id].sort());
        expect((await listed()).find((a) => a.id === disabled.id)).toStrictEqual(enabled);
      });
    });

    describe('runs', () => {
      const T0 = 1_700_000_000_000;
      const refused = (field: string) => ({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) });

      const agentInput = (ownerId: string): NewAgent => ({
        id: id('agent'),
        ownerId,
        spec: {
          name: 'Inbox triage',
          description: '',
          instructions: 'Sort inbox/ into folders.',
          schedule: {
            cron: '*/5 * * * *',
            timeZone: 'UTC',
            enabled: true,
            missedRunPolicy: 'run-once',
            overlapPolicy: 'skip',
          },
          limits: { timeoutMs: 60_000, maxTurns: 10, maxUsd: 1 },
          notifications: { webhookUrl: null, inApp: true },
        },
        webhookSecret: null,
        now: T0,
      });

      const agentOf = (ownerId = id('user')) => store.createAgent(agentInput(ownerId));

      const newRun = (a: { id: string; ownerId: string }, over: Partial<NewRun> = {}): NewRun => ({
        id: id('run'),
        agentId: a.id,
        ownerId: a.ownerId,
        trigger: 'schedule',
        sessionId: id('run-session'),
        now: T0 + 1000,
        ...over,
      });

      const claim = (runId: string, runnerId: string, now = T0 + 2000) =>
        store.transitionRun(runId, ['queued'], 'running', { runnerId }, now);

      it('creates a queued run and reads it back for its owner only', async () => {
        const a = await agentOf();
        const input = newRun(a, { dedupeKey: `${a.id}:${T0}`, scheduledFor: T0, now: T0 + 5 });
        const { run, created } = await store.createRun(input);
        const expected: AgentRun = {
          id: input.id,
          agentId: a.id,
          ownerId: a.ownerId,
          status: 'queued',
          trigger: 'schedule',
          reason: null,
          runnerId: null,
          dedupeKey: `${a.id}:${T0}`,
          sessionId: input.sessionId,
          attempt: 1,
          scheduledFor: T0,
          queuedAt: T0 + 5,
          startedAt: null,
          endedAt: null,
          durationMs: null,
          result: null,
          files: [],
          tokens: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 },
          costUsd: 0,
          agentDeleted: false,
        };
        expect(created).toBe(true);
        expect(run).toStrictEqual(expected);
        expect(AgentRun.parse(run)).toStrictEqual(run);
        expect(await store.getRun(a.ownerId, run.id)).toStrictEqual(expected);
        expect(await store.getRun(id('user'), run.id)).toBeNull();
        expect(await store.getRun(a.ownerId, id('run'))).toBeNull();

        const retry = await store.createRun(
          newRun(a, { trigger: 'retry', attempt: 2, runnerId: 'runner-1', dedupeKey: null }),
        );
        expect(retry.run).toMatchObject({ trigger: 'retry', attempt: 2, runnerId: 'runner-1', dedupeKey: null });
      });

      it('is idempotent on dedupeKey per owner: a repeat returns the stored run with created=false', async () => {
        const a = await agentOf();
        const key = `${a.id}:${T0}`;
        const first = await store.createRun(newRun(a, { dedupeKey: key }));
        const repeat = newRun(a, { dedupeKey: key, trigger: 'manual', now: T0 + 9000 });
        const again = await store.createRun(repeat);
        expect(again).toStrictEqual({ run: first.run, created: false });
        expect(await store.getRun(a.ownerId, repeat.id)).toBeNull();
        // Runs without a key never collide; another owner's key is another key.
        const keyless = await Promise.all([store.createRun(newRun(a)), store.createRun(newRun(a))]);
        expect(keyless.map((r) => r.created)).toStrictEqual([true, true]);
        const b = await agentOf();
        expect((await store.createRun(newRun(b, { dedupeKey: key }))).created).toBe(true);
        expect(await store.listRuns(a.ownerId, { agentId: a.id, limit: 10 })).toHaveLength(3);
      });

      it('lets exactly one of many concurrent createRun calls with one dedupeKey create the run', async () => {
        const a = await agentOf();
        const key = `${a.id}:${T0 + 60_000}`;
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.createRun(newRun(a, { dedupeKey: key, scheduledFor: T0 + 60_000 }))),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        for (const r of results) expect(r.run).toStrictEqual(results[0]!.run);
        expect(await store.listRuns(a.ownerId, { agentId: a.id, limit: 10 })).toStrictEqual([results[0]!.run]);
      });

      it('refuses a run of an unknown or foreign agent, a taken id or sessionId, and bad input, storing nothing', async () => {
        const a = await agentOf();
        const { run } = await store.createRun(newRun(a));
        const conversation = await ownedSession();
        await expect(store.createRun(newRun({ id: id('agent'), ownerId: a.ownerId }))).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(store.createRun(newRun({ id: a.id, ownerId: id('user') }))).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(store.createRun(newRun(a, { id: run.id }))).rejects.toMatchObject({ code: 'CONFLICT' });
        await expect(store.createRun(newRun(a, { sessionId: run.sessionId }))).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        await expect(store.createRun(newRun(a, { sessionId: conversation.id }))).rejects.toMatchObject({
          code: 'CONFLICT',
        });
        const bad: [string, Partial<NewRun>][] = [
          ['attempt', { attempt: 0 }],
          ['reason', { status: 'skipped' }],
          ['status', { status: 'running' as 'queued' }],
          ['dedupeKey', { dedupeKey: 'k'.repeat(257) }],
          ['scheduledFor', { scheduledFor: 1.5 }],
          ['trigger', { trigger: 'cron' as 'schedule' }],
          ['agentId', { agentId: '../other' }],
          ['now', { now: Number.NaN }],
        ];
        for (const [field, over] of bad) {
          await expect(store.createRun(newRun(a, over)), field).rejects.toMatchObject(refused(field));
        }
        expect(await store.listRuns(a.ownerId, { limit: 50 })).toStrictEqual([run]);
      });

      it('claims a queued run once, and finishes it once', async () => {
        const a = await agentOf();
        const { run } = await store.createRun(newRun(a));
        const claimed = await claim(run.id, 'runner-a', T0 + 2000);
        expect(claimed).toStrictEqual({ ...run, status: 'running', runnerId: 'runner-a', startedAt: T0 + 2000 });
        expect(await claim(run.id, 'runner-b', T0 + 2001)).toBeNull();

        const outcome = {
          result: '지역별 합계를 out/digest.md 에 썼습니다.',
          files: [
            { path: 'out/digest.md', bytes: 2048, changeKind: 'created' as const },
            { path: 'sales.csv', bytes: 0, changeKind: 'deleted' as const },
          ],
          tokens: { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5, cacheCreationTokens: 17 },
          costUsd: 0.012345,
        };
        const done = await store.transitionRun(run.id, ['running'], 'succeeded', outcome, T0 + 62_000);
        expect(done).toStrictEqual({
          ...claimed,
          ...outcome,
          status: 'succeeded',
          endedAt: T0 + 62_000,
          durationMs: 60_000,
        });
        expect(await store.transitionRun(run.id, ['running'], 'failed', { reason: 'late' }, T0 + 63_000)).toBeNull();
        expect(await store.transitionRun(run.id, ['queued', 'running'], 'cancelled', {}, T0 + 63_000)).toBeNull();
        expect(await store.getRun(a.ownerId, run.id)).toStrictEqual(done);
        expect(await store.transitionRun(id('run'), ['queued'], 'cancelled', {}, T0)).toBeNull();

        // A queued run can end without running: no start, no duration.
        const { run: queued } = await store.createRun(newRun(a));
        const cancelled = await store.transitionRun(queued.id, ['queued', 'running'], 'cancelled', {}, T0 + 5000);
        expect(cancelled).toStrictEqual({ ...queued, status: 'cancelled', endedAt: T0 + 5000 });
      });

      it('lets exactly one of many concurrent claims of a run win', async () => {
        const a = await agentOf();
        const { run } = await store.createRun(newRun(a));
        const runners = ['runner-1', 'runner-2', 'runner-3', 'runner-4'];
        const results = await Promise.all(runners.map((r) => claim(run.id, r)));
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await store.getRun(a.ownerId, run.id)).toStrictEqual(winners[0]);
        expect(runners).toContain(winners[0]?.runnerId);
      });

      it('refuses impossible transitions and bad patches before anything changes', async () => {
        const a = await agentOf();
        const { run } = await store.createRun(newRun(a));
        const t = (from: RunStatus[], to: RunStatus, patch: RunPatch = {}) =>
          store.transitionRun(run.id, from, to, patch, T0 + 3000);
        await expect(t(['succeeded'], 'running', { runnerId: 'r' })).rejects.toMatchObject(refused('to'));
        await expect(t(['queued'], 'succeeded')).rejects.toMatchObject(refused('to'));
        await expect(t(['queued', 'failed'], 'cancelled')).rejects.toMatchObject(refused('to'));
        await expect(t([], 'cancelled')).rejects.toMatchObject(refused('from'));
        await expect(t(['queued'], 'running')).rejects.toMatchObject(refused('runnerId'));
        await expect(t(['queued'], 'skipped')).rejects.toMatchObject(refused('reason'));
        await expect(t(['queued'], 'failed', { costUsd: -1 })).rejects.toMatchObject(refused('costUsd'));
        await expect(
          t(['queued'], 'failed', {
            tokens: { inputTokens: -1, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 },
          }),
        ).rejects.toMatchObject(refused('tokens.inputTokens'));
        await expect(
          t(['queued'], 'failed', { files: [{ path: 'a', bytes: 1, changeKind: 'renamed' as 'created' }] }),
        ).rejects.toMatchObject(refused('files.0.changeKind'));
        await expect(t(['queued'], 'failed', { result: 'x'.repeat(64 * 1024 + 1) })).rejects.toMatchObject(
          refused('result'),
        );
        expect(await store.getRun(a.ownerId, run.id)).toStrictEqual(run);
      });

      it('records an overlapping run as skipped with its reason, ended at once', async () => {
        const a = await agentOf();
        expect(await store.runningRunOf(a.id)).toBeNull();
        const { run } = await store.createRun(newRun(a));
        const running = await claim(run.id, 'runner-a');
        expect(await store.runningRunOf(a.id)).toStrictEqual(running);
        const { run: skipped } = await store.createRun(
          newRun(a, { status: 'skipped', reason: RunReasons.overlap, now: T0 + 3000 }),
        );
        expect(skipped).toMatchObject({
          status: 'skipped',
          reason: 'OVERLAP',
          queuedAt: T0 + 3000,
          startedAt: null,
          endedAt: T0 + 3000,
          durationMs: null,
        });
        expect(await store.runningRunOf(a.id)).toStrictEqual(running);
        await expect(
          store.transitionRun(skipped.id, ['skipped'], 'running', { runnerId: 'r' }, T0 + 4000),
        ).rejects.toMatchObject(refused('to'));
        await store.transitionRun(run.id, ['running'], 'timed_out', { reason: RunReasons.timeout }, T0 + 9000);
        expect(await store.runningRunOf(a.id)).toBeNull();
      });

      it('lists runs newest first, filtered by agent and status, and pages with an exclusive cursor', async () => {
        const owner = id('user');
        const [a, b] = [await agentOf(owner), await agentOf(owner)];
        const made: AgentRun[] = [];
        // Three runs share a queuedAt: the id orders them.
        for (const [agent, at] of [
          [a, 1],
          [b, 2],
          [a, 3],
          [a, 3],
          [b, 3],
          [a, 4],
          [b, 5],
        ] as const) {
          made.push((await store.createRun(newRun(agent, { now: T0 + at }))).run);
        }
        for (const r of [made[1]!, made[3]!, made[5]!]) {
          made[made.indexOf(r)] = (await claim(r.id, 'runner-x'))!;
        }
        await store.createRun(newRun(await agentOf()));
        const newest = [...made].sort((x, y) => y.queuedAt - x.queuedAt || (x.id < y.id ? 1 : -1));

        expect(await store.listRuns(owner, { limit: 20 })).toStrictEqual(newest);
        expect(await store.listRuns(owner, { limit: 0 })).toStrictEqual([]);
        expect(await store.listRuns(owner, { agentId: a.id, limit: 20 })).toStrictEqual(
          newest.filter((r) => r.agentId === a.id),
        );
        expect(await store.listRuns(owner, { status: 'running', limit: 20 })).toStrictEqual(
          newest.filter((r) => r.status === 'running'),
        );
        expect(await store.listRuns(owner, { agentId: b.id, status: 'queued', limit: 20 })).toStrictEqual(
          newest.filter((r) => r.agentId === b.id && r.status === 'queued'),
        );
        expect(await store.listRuns(id('user'), { limit: 20 })).toStrictEqual([]);
        expect(await store.listRuns(id('user'), { agentId: a.id, limit: 20 })).toStrictEqual([]);

        const pages: AgentRun[] = [];
        let before: { queuedAt: number; id: string } | undefined;
        for (;;) {
          const page = await store.listRuns(owner, { limit: 2, before });
          pages.push(...page);
          const last = page.at(-1);
          if (page.length < 2 || last === undefined) break;
          before = { queuedAt: last.queuedAt, id: last.id };
        }
        expect(pages).toStrictEqual(newest);
        await expect(store.listRuns(owner, { limit: -1 })).rejects.toMatchObject(refused('limit'));
      });

      it("lists runs in a status across owners, oldest first, and a runner's only when asked", async () => {
        const [x, y] = [id('runner'), id('runner')];
        const mine: AgentRun[] = [];
        for (const [at, runner] of [
          [3, x],
          [1, y],
          [2, x],
        ] as const) {
          const { run } = await store.createRun(newRun(await agentOf(), { now: T0 + at }));
          mine.push((await claim(run.id, runner, T0 + 10 + at))!);
        }
        const ids = new Set(mine.map((r) => r.id));
        const oldest = [...mine].sort((p, q) => p.queuedAt - q.queuedAt);
        expect(await store.listRunsByStatus('running', { runnerId: x })).toStrictEqual(
          oldest.filter((r) => r.runnerId === x),
        );
        expect((await store.listRunsByStatus('running')).filter((r) => ids.has(r.id))).toStrictEqual(oldest);
        expect((await store.listRunsByStatus('queued')).filter((r) => ids.has(r.id))).toStrictEqual([]);
        expect(await store.listRunsByStatus('running', { runnerId: id('runner') })).toStrictEqual([]);
        await expect(store.listRunsByStatus('lost' as RunStatus)).rejects.toMatchObject(refused('status'));
      });

      it("sums an agent's run costs since a time, for its owner only", async () => {
        const a = await agentOf();
        const b = await agentOf(a.ownerId);
        const finish = async (agent: Agent, at: number, costUsd: number) => {
          const { run } = await store.createRun(newRun(agent, { now: at }));
          await claim(run.id, 'runner-a', at + 1);
          await store.transitionRun(run.id, ['running'], 'succeeded', { costUsd }, at + 2);
        };
        await finish(a, T0, 0.1);
        await finish(a, T0 + 100, 0.25);
        await finish(a, T0 + 200, 0.5);
        await finish(b, T0 + 200, 7);
        await store.createRun(newRun(a, { now: T0 + 300 }));
        expect(await store.agentCostSince(a.ownerId, a.id, T0 + 100)).toBeCloseTo(0.75, 10);
        expect(await store.agentCostSince(a.ownerId, a.id, 0)).toBeCloseTo(0.85, 10);
        expect(await store.agentCostSince(a.ownerId, a.id, T0 + 301)).toBe(0);
        expect(await store.agentCostSince(id('user'), a.id, 0)).toBe(0);
        expect(await store.agentCostSince(a.ownerId, id('agent'), 0)).toBe(0);
      });

      it("stores a run's live events under its sessionId, as a conversation's", async () => {
        const a = await agentOf();
        const { run } = await store.createRun(newRun(a));
        const events = eventsFor(run.sessionId, 0, 7);
        await store.appendEvents(events.slice(0, 4));
        await store.appendEvents(events.slice(4));
        expect(await store.listEvents(run.sessionId, -1)).toStrictEqual(events);
        expect(await store.lastEventSeq(run.sessionId)).toBe(6);
        expect(await store.sessionCostUsd(run.sessionId)).toBeCloseTo(0.012345, 10);
        // A run's sessionId is no conversation of its owner.
        expect(await store.getSession(a.ownerId, run.sessionId)).toBeNull();
        await expect(store.appendEvents(eventsFor(id('session'), 0, 1))).rejects.toMatchObject({
          code: 'SESSION_NOT_FOUND',
        });
      });

      it('deletes an agent with its versions; its runs stay, marked agentDeleted, and can still finish', async () => {
        const a = await agentOf();
        const keep = await agentOf(a.ownerId);
        await store.updateAgent(a.ownerId, a.id, { instructions: 'Second version.' }, T0 + 1);
        const { run: first } = await store.createRun(newRun(a, { now: T0 + 10 }));
        const { run: second } = await store.createRun(newRun(a, { now: T0 + 20 }));
        const { run: other } = await store.createRun(newRun(keep, { now: T0 + 30 }));
        await claim(second.id, 'runner-a');

        expect(await store.deleteAgent(a.ownerId, a.id)).toBe(true);
        expect(await store.getAgent(a.ownerId, a.id)).toBeNull();
        expect(await store.listAgentVersions(a.ownerId, a.id)).toBeNull();
        expect((await store.listAgents(a.ownerId)).map((x) => x.id)).toStrictEqual([keep.id]);
        expect(await store.deleteAgent(a.ownerId, a.id)).toBe(false);

        const runs = await store.listRuns(a.ownerId, { agentId: a.id, limit: 10 });
        expect(runs.map((r) => [r.id, r.agentDeleted])).toStrictEqual([
          [second.id, true],
          [first.id, true],
        ]);
        expect(await store.getRun(a.ownerId, other.id)).toStrictEqual(other);
        const done = await store.transitionRun(second.id, ['running'], 'succeeded', { costUsd: 0.2 }, T0 + 90);
        expect(done).toMatchObject({ status: 'succeeded', agentDeleted: true });
        expect(await store.agentCostSince(a.ownerId, a.id, 0)).toBeCloseTo(0.2, 10);
        await expect(store.createRun(newRun(a))).rejects.toMatchObject({ code: 'NOT_FOUND' });
        // The id can be used again: the new agent starts its own history.
        const reborn = await store.createAgent({ ...agentInput(a.ownerId), id: a.id, now: T0 + 100 });
        expect(await store.listAgentVersions(a.ownerId, a.id)).toStrictEqual([
          { agentId: a.id, version: 1, instructions: reborn.instructions, createdAt: T0 + 100 },
        ]);
      });
    });

    describeRunOutputsContract(() => store);
  });
}
