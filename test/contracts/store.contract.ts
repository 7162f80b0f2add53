import { randomUUID } from 'node:crypto';
import type { SessionContext, User } from '@agent-platform/core/domain';
import type { NewMessage, NewSession, Store, UsageRecord } from '@agent-platform/core/ports';
import type { SessionEvent } from '@agent-platform/core/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

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

    const newUser = (over: Partial<User> = {}): User => ({
      id: id('user'),
      name: 'Kim Minji',
      email: 'minji@example.com',
      createdAt: 1_700_000_000_000,
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
      const owner = await store.upsertUser(newUser());
      return store.createSession(newSession(owner.id, over));
    }

    describe('users', () => {
      it('returns null for an unknown user', async () => {
        expect(await store.getUser(id('nobody'))).toBeNull();
      });

      it('inserts a user and reads it back', async () => {
        const u = newUser();
        expect(await store.upsertUser(u)).toStrictEqual(u);
        expect(await store.getUser(u.id)).toStrictEqual(u);
      });

      it('updates name and email on a repeat but keeps the first createdAt', async () => {
        const u = newUser();
        await store.upsertUser(u);
        const again = await store.upsertUser({ ...u, name: 'Minji K.', email: null, createdAt: u.createdAt + 5000 });
        const expected = { ...u, name: 'Minji K.', email: null };
        expect(again).toStrictEqual(expected);
        expect(await store.getUser(u.id)).toStrictEqual(expected);
      });
    });

    describe('sessions', () => {
      it('creates a session and reads it back for its owner', async () => {
        const owner = await store.upsertUser(newUser());
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
        const other = await store.upsertUser(newUser());
        expect(await store.getSession(other.id, s.id)).toBeNull();
        expect(await store.getSession(s.ownerId, id('session'))).toBeNull();
      });

      it("lists only the owner's sessions, newest first, and pages with an exclusive `before`", async () => {
        const owner = await store.upsertUser(newUser());
        const other = await store.upsertUser(newUser());
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
        const owner = await store.upsertUser(newUser());
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
        const owner = await store.upsertUser(newUser());
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
        const owner = await store.upsertUser(newUser());
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
        const stranger = await store.upsertUser(newUser());
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
  });
}
