import { randomUUID } from 'node:crypto';
import { AgentLimits, AgentRun, type Notification, type RunFile } from '@agent-platform/core/domain';
import type { NewAgent, NewRun, Store, UsageRecord } from '@agent-platform/core/ports';
import { describe, expect, it } from 'vitest';

/**
 * What runs leave behind for the person (kept run files, usage per day, notifications): part of
 * the Store contract, called from describeStoreContract with its store of the current test.
 */
export function describeRunOutputsContract(storeOf: () => Store): void {
  const T0 = 1_700_000_000_000;
  const DAY = 24 * 60 * 60 * 1000;
  const id = (prefix: string) => `${prefix}-${randomUUID()}`;
  const refused = (field: string) => ({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) });

  const agentInput = (ownerId: string): NewAgent => ({
    id: id('agent'),
    ownerId,
    spec: {
      name: '주간 리포트',
      description: '',
      instructions: 'Write out/report.csv.',
      schedule: null,
      limits: { timeoutMs: 60_000, maxTurns: 10, maxUsd: 1 },
      notifications: { webhookUrl: null, inApp: true },
    },
    webhookSecret: null,
    now: T0,
  });

  const newRun = (a: { id: string; ownerId: string }, over: Partial<NewRun> = {}): NewRun => ({
    id: id('run'),
    agentId: a.id,
    ownerId: a.ownerId,
    trigger: 'manual',
    sessionId: id('run-session'),
    now: T0 + 1000,
    ...over,
  });

  /** A run of a new agent of a new owner. */
  async function runOf(ownerId = id('user')): Promise<AgentRun> {
    const store = storeOf();
    const agent = await store.createAgent(agentInput(ownerId));
    return (await store.createRun(newRun(agent))).run;
  }

  /** Bytes that catch lossy encodings: every byte value, a zero and a high byte at the ends. */
  const bytes = (n: number, seed = 0): Uint8Array => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 256;
    return b;
  };
  /** Large contents compared as a whole: an element-wise diff of 512 KiB takes seconds. */
  const expectBytes = (actual: Uint8Array | undefined, expected: Uint8Array) => {
    expect(actual).toBeInstanceOf(Uint8Array);
    expect(actual!.byteLength).toBe(expected.byteLength);
    expect(Buffer.compare(actual!, expected)).toBe(0);
  };

  describe('kept run files', () => {
    it('keeps a file of a run for its owner, and replaces it when put again', async () => {
      const store = storeOf();
      const run = await runOf();
      const file = {
        runId: run.id,
        ownerId: run.ownerId,
        path: 'out/리포트 2024.csv',
        contentType: 'text/csv; charset=utf-8',
        data: bytes(1000),
      };
      await store.putRunFile(file);
      const read = await store.getRunFile(run.ownerId, run.id, file.path);
      expect(read).toStrictEqual({ ...file, data: bytes(1000) });
      expect(read?.data).toBeInstanceOf(Uint8Array);

      const empty = { ...file, path: 'out/empty.txt', contentType: 'text/plain', data: new Uint8Array(0) };
      await store.putRunFile(empty);
      expect(await store.getRunFile(run.ownerId, run.id, empty.path)).toStrictEqual(empty);

      const replaced = { ...file, contentType: 'text/plain', data: bytes(10, 7) };
      await store.putRunFile(replaced);
      expect(await store.getRunFile(run.ownerId, run.id, file.path)).toStrictEqual(replaced);
      expect(await store.getRunFile(run.ownerId, run.id, empty.path)).toStrictEqual(empty);
      expect(await store.getRunFile(run.ownerId, run.id, 'out/other.csv')).toBeNull();
      expect(await store.getRunFile(run.ownerId, id('run'), file.path)).toBeNull();
    });

    it("keeps a file per run: another run's file of the same path is another file", async () => {
      const store = storeOf();
      const a = await runOf();
      const b = await runOf(a.ownerId);
      await store.putRunFile({
        runId: a.id,
        ownerId: a.ownerId,
        path: 'out.md',
        contentType: 'text/markdown',
        data: bytes(3),
      });
      await store.putRunFile({
        runId: b.id,
        ownerId: b.ownerId,
        path: 'out.md',
        contentType: 'text/plain',
        data: bytes(5),
      });
      expect((await store.getRunFile(a.ownerId, a.id, 'out.md'))?.data).toStrictEqual(bytes(3));
      expect((await store.getRunFile(b.ownerId, b.id, 'out.md'))?.data).toStrictEqual(bytes(5));
    });

    it("neither shows a file to another owner nor lets them put one in the owner's run", async () => {
      const store = storeOf();
      const run = await runOf();
      const stranger = id('user');
      const file = { runId: run.id, ownerId: run.ownerId, path: 'a.png', contentType: 'image/png', data: bytes(64) };
      await store.putRunFile(file);
      expect(await store.getRunFile(stranger, run.id, file.path)).toBeNull();
      await expect(store.putRunFile({ ...file, ownerId: stranger, data: bytes(8) })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(store.putRunFile({ ...file, ownerId: stranger, path: 'b.png' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(store.putRunFile({ ...file, runId: id('run') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.getRunFile(run.ownerId, run.id, file.path)).toStrictEqual(file);
      expect(await store.getRunFile(run.ownerId, run.id, 'b.png')).toBeNull();
    });

    it('refuses a file over the size limit and bad input, storing nothing', async () => {
      const store = storeOf();
      const run = await runOf();
      const file = { runId: run.id, ownerId: run.ownerId, path: 'big.bin', contentType: 'application/octet-stream' };
      const max = AgentLimits.runStoredFileBytes;
      await expect(store.putRunFile({ ...file, data: new Uint8Array(max + 1) })).rejects.toMatchObject(refused('data'));
      expect(await store.getRunFile(run.ownerId, run.id, file.path)).toBeNull();
      await store.putRunFile({ ...file, data: bytes(max) });
      expectBytes((await store.getRunFile(run.ownerId, run.id, file.path))?.data, bytes(max));

      const bad: [string, Partial<typeof file & { data: Uint8Array }>][] = [
        ['path', { path: '' }],
        ['path', { path: 'p'.repeat(AgentLimits.runFilePathChars + 1) }],
        ['contentType', { contentType: '' }],
        ['contentType', { contentType: 'text/plain\r\nX-Injected: 1' }],
        ['contentType', { contentType: `text/${'x'.repeat(AgentLimits.contentTypeChars)}` }],
        ['runId', { runId: '' }],
        ['data', { data: 'text' as unknown as Uint8Array }],
      ];
      for (const [field, over] of bad) {
        await expect(
          store.putRunFile({ ...file, path: 'x.txt', data: bytes(1), ...over }),
          field,
        ).rejects.toMatchObject(refused(field));
      }
      expect(await store.getRunFile(run.ownerId, run.id, 'x.txt')).toBeNull();
    });

    it('refuses a file that would bring the run over its total, but takes a replacement that fits', async () => {
      const store = storeOf();
      const run = await runOf();
      const max = AgentLimits.runStoredFileBytes;
      const count = AgentLimits.runStoredTotalBytes / max;
      const put = (i: number, data: Uint8Array) =>
        store.putRunFile({ runId: run.id, ownerId: run.ownerId, path: `f${i}.bin`, contentType: 'image/png', data });
      for (let i = 0; i < count; i++) await put(i, bytes(max, i));
      await expect(put(count, bytes(1))).rejects.toMatchObject(refused('data'));
      expect(await store.getRunFile(run.ownerId, run.id, `f${count}.bin`)).toBeNull();
      // Replacing a file counts its new size instead of the old one.
      await put(0, bytes(max, 99));
      expectBytes((await store.getRunFile(run.ownerId, run.id, 'f0.bin'))?.data, bytes(max, 99));
      await put(1, bytes(10));
      await put(count, bytes(max - 10));
      // Other runs have their own total.
      const other = await runOf(run.ownerId);
      await store.putRunFile({
        runId: other.id,
        ownerId: other.ownerId,
        path: 'f.bin',
        contentType: 'image/png',
        data: bytes(max),
      });
    });

    it("holds the run's total when puts race: exactly as many as fit are kept", async () => {
      const store = storeOf();
      const run = await runOf();
      const max = AgentLimits.runStoredFileBytes;
      const put = (path: string, seed: number) =>
        store.putRunFile({
          runId: run.id,
          ownerId: run.ownerId,
          path,
          contentType: 'image/png',
          data: bytes(max, seed),
        });
      // Room for two more files; four race for it.
      const room = 2;
      const before = AgentLimits.runStoredTotalBytes / max - room;
      for (let i = 0; i < before; i++) await put(`f${i}.bin`, i);
      const racers = ['r0.bin', 'r1.bin', 'r2.bin', 'r3.bin'];
      const results = await Promise.allSettled(racers.map((path, i) => put(path, i)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(room);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject(refused('data'));
      }
      const kept = await Promise.all(racers.map((path) => store.getRunFile(run.ownerId, run.id, path)));
      expect(kept.filter((f) => f !== null)).toHaveLength(room);
    });

    it("keeps contentType and stored of a run's listed files, and leaves them out when not set", async () => {
      const store = storeOf();
      const run = await runOf();
      await store.transitionRun(run.id, ['queued'], 'running', { runnerId: 'runner-a' }, T0 + 2000);
      const files: RunFile[] = [
        { path: 'out/report.csv', bytes: 1200, changeKind: 'created', contentType: 'text/csv', stored: true },
        { path: 'out/big.parquet', bytes: 9_000_000, changeKind: 'modified', stored: false },
        { path: 'old.txt', bytes: 0, changeKind: 'deleted' },
      ];
      const withUndefined: RunFile[] = [
        ...files,
        { path: 'x.md', bytes: 3, changeKind: 'created', contentType: undefined, stored: undefined },
      ];
      const done = await store.transitionRun(run.id, ['running'], 'succeeded', { files: withUndefined }, T0 + 3000);
      const expected = [...files, { path: 'x.md', bytes: 3, changeKind: 'created' }];
      expect(done?.files).toStrictEqual(expected);
      const read = await store.getRun(run.ownerId, run.id);
      expect(read?.files).toStrictEqual(expected);
      expect(AgentRun.parse(read)).toStrictEqual(read);
    });
  });

  describe('usage by day', () => {
    const usage = (userId: string, at: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
      id: id('usage'),
      userId,
      claudeSessionId: null,
      model: 'claude-sonnet-4-5',
      inputTokens: 100,
      outputTokens: 10,
      cacheReadTokens: 1000,
      cacheCreationTokens: 1,
      costUsd: 0.25,
      at,
      ...over,
    });
    /** 2023-11-14T00:00:00Z. */
    const D0 = Date.UTC(2023, 10, 14);

    it('returns no days for a user without usage', async () => {
      expect(await storeOf().usageByDay(id('user'), 0)).toStrictEqual([]);
    });

    it("sums a user's records per UTC day, oldest first, skipping days without records", async () => {
      const store = storeOf();
      const me = id('user');
      const records = [
        usage(me, D0),
        usage(me, D0 + DAY - 1, { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheCreationTokens: 4 }),
        usage(me, D0 + DAY, { costUsd: 1.5 }),
        // Two days later: the day between has no records.
        usage(me, D0 + 3 * DAY + 5, { costUsd: 0.01 }),
        usage(me, D0 + 3 * DAY + 6, { costUsd: 0.02 }),
        usage(me, D0 + 3 * DAY + 7, { costUsd: 0.03 }),
      ];
      for (const r of records) await store.recordUsage(r);
      await store.recordUsage(usage(id('user'), D0 + 12, { costUsd: 9 }));
      await store.recordUsage(records[0]!);

      expect(await store.usageByDay(me, 0)).toStrictEqual([
        {
          day: '2023-11-14',
          costUsd: expect.closeTo(0.5, 12),
          inputTokens: 101,
          outputTokens: 12,
          cacheReadTokens: 1003,
          cacheCreationTokens: 5,
          responses: 2,
        },
        {
          day: '2023-11-15',
          costUsd: 1.5,
          inputTokens: 100,
          outputTokens: 10,
          cacheReadTokens: 1000,
          cacheCreationTokens: 1,
          responses: 1,
        },
        {
          day: '2023-11-17',
          costUsd: expect.closeTo(0.06, 12),
          inputTokens: 300,
          outputTokens: 30,
          cacheReadTokens: 3000,
          cacheCreationTokens: 3,
          responses: 3,
        },
      ]);
      // The days agree with usageSince.
      const days = await store.usageByDay(me, 0);
      expect(days.reduce((sum, d) => sum + d.responses, 0)).toBe((await store.usageSince(me, 0)).responses);
    });

    it('counts only records at or after sinceMs, also within the first day', async () => {
      const store = storeOf();
      const me = id('user');
      for (const at of [D0 + 10, D0 + 20, D0 + 30, D0 + DAY + 1]) await store.recordUsage(usage(me, at));
      expect((await store.usageByDay(me, D0 + 20)).map((d) => [d.day, d.responses])).toStrictEqual([
        ['2023-11-14', 2],
        ['2023-11-15', 1],
      ]);
      expect((await store.usageByDay(me, D0 + 31)).map((d) => [d.day, d.responses])).toStrictEqual([['2023-11-15', 1]]);
      expect(await store.usageByDay(me, D0 + DAY + 2)).toStrictEqual([]);
      await expect(store.usageByDay(me, 1.5)).rejects.toMatchObject(refused('sinceMs'));
    });
  });

  describe('notifications', () => {
    const notification = (userId: string, over: Partial<Notification> = {}): Notification => ({
      id: id('notification'),
      userId,
      kind: 'run.finished',
      runId: id('run'),
      agentId: id('agent'),
      agentName: '주간 리포트',
      status: 'succeeded',
      reason: null,
      costUsd: 0.0123,
      at: T0,
      readAt: null,
      ...over,
    });

    it('stores a notification once by id: a repeat, even with other fields, changes nothing', async () => {
      const store = storeOf();
      const me = id('user');
      const n = notification(me, { status: 'failed', reason: 'RUNNER_LOST' });
      await store.addNotification(n);
      await store.addNotification(n);
      await store.addNotification({ ...n, status: 'succeeded', reason: null, at: T0 + 5 });
      await Promise.all(Array.from({ length: 4 }, () => store.addNotification(n)));
      expect(await store.listNotifications(me, 10)).toStrictEqual({ notifications: [n], unread: 1 });
      expect(await store.listNotifications(id('user'), 10)).toStrictEqual({ notifications: [], unread: 0 });
    });

    it('lists newest first by (at, id), at most limit, with the count of all unread ones', async () => {
      const store = storeOf();
      const me = id('user');
      const made: Notification[] = [];
      for (const at of [T0 + 1, T0 + 3, T0 + 2, T0 + 3, T0 + 3, T0 + 4]) {
        const n = notification(me, { at });
        made.push(n);
        await store.addNotification(n);
      }
      await store.addNotification(notification(id('user'), { at: T0 + 9 }));
      const newest = [...made].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
      expect(await store.listNotifications(me, 50)).toStrictEqual({ notifications: newest, unread: 6 });
      expect(await store.listNotifications(me, 2)).toStrictEqual({ notifications: newest.slice(0, 2), unread: 6 });
      expect(await store.listNotifications(me, 0)).toStrictEqual({ notifications: [], unread: 6 });
      await expect(store.listNotifications(me, -1)).rejects.toMatchObject(refused('limit'));
    });

    it('marks the unread ones up to a time as read, keeping the first readAt of those read before', async () => {
      const store = storeOf();
      const me = id('user');
      const [n1, n2, n3] = [T0 + 10, T0 + 20, T0 + 30].map((at) => notification(me, { at }));
      for (const n of [n1!, n2!, n3!]) await store.addNotification(n);
      const other = notification(id('user'), { at: T0 });
      await store.addNotification(other);

      await store.markNotificationsRead(me, T0 + 10, T0 + 100);
      expect(await store.listNotifications(me, 10)).toStrictEqual({
        notifications: [n3, n2, { ...n1, readAt: T0 + 100 }],
        unread: 2,
      });
      await store.markNotificationsRead(me, T0 + 20, T0 + 200);
      expect(await store.listNotifications(me, 10)).toStrictEqual({
        notifications: [n3, { ...n2, readAt: T0 + 200 }, { ...n1, readAt: T0 + 100 }],
        unread: 1,
      });
      // A later notification stays unread; another user's is untouched.
      await store.markNotificationsRead(me, T0 + 29, T0 + 300);
      expect((await store.listNotifications(me, 10)).unread).toBe(1);
      expect(await store.listNotifications(other.userId, 10)).toStrictEqual({ notifications: [other], unread: 1 });
      await store.markNotificationsRead(me, T0 + 1000, T0 + 400);
      expect(await store.listNotifications(me, 1)).toStrictEqual({
        notifications: [{ ...n3, readAt: T0 + 400 }],
        unread: 0,
      });
      await store.markNotificationsRead(id('user'), T0 + 1000, T0 + 500);
      await expect(store.markNotificationsRead(me, 1.5, T0)).rejects.toMatchObject(refused('upTo'));
    });

    it('refuses a notification that is not valid, storing nothing', async () => {
      const store = storeOf();
      const me = id('user');
      const bad: [string, Partial<Notification>][] = [
        ['id', { id: '' }],
        ['kind', { kind: 'run.started' as 'run.finished' }],
        ['status', { status: 'lost' as 'failed' }],
        ['agentId', { agentId: '../x' }],
        ['costUsd', { costUsd: -1 }],
        ['at', { at: 1.5 }],
        ['agentName', { agentName: 'n'.repeat(AgentLimits.nameChars + 1) }],
      ];
      for (const [field, over] of bad) {
        await expect(store.addNotification(notification(me, over)), field).rejects.toMatchObject(refused(field));
      }
      expect(await store.listNotifications(me, 10)).toStrictEqual({ notifications: [], unread: 0 });
    });
  });
}
