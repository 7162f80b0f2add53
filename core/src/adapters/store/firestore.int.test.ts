import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../../../test/contracts/store.contract.js';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../../../test/fixtures/firestore-emulator.js';
import { docId, type FirestoreStore, openFirestoreStore } from './firestore.js';

// One emulator for this file (about 3 s to start); the contract uses fresh random ids in every
// test, so the tests do not need it wiped between them. Never skipped: without gcloud this fails
// and says how to install it.
let emulator: FirestoreEmulator;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  console.info(`Firestore emulator on ${emulator.host} answered after ${emulator.startMs} ms.`);
});

afterAll(async () => {
  await emulator?.stop();
});

const open = (): FirestoreStore => openFirestoreStore({ projectId: emulator.projectId, emulatorHost: emulator.host });

describeStoreContract('firestore', async () => {
  const store = open();
  return { store, cleanup: () => store.close() };
});

describe('FirestoreStore', () => {
  it('keeps safe ids as document ids and hashes the rest', () => {
    expect(docId('user-1')).toBe('user-1');
    expect(docId('b7c1e0f2-4c1a-4d7e-9a55-3a6f0c2d9e11')).toBe('b7c1e0f2-4c1a-4d7e-9a55-3a6f0c2d9e11');
    for (const odd of ['a/b', '.', '..', '__id__', '', '세션', 'x'.repeat(300), '~abc']) {
      expect(docId(odd)).toMatch(/^~[0-9a-f]{64}$/);
    }
    expect(docId('a/b')).not.toBe(docId('a/c'));
  });

  it('stores and finds records whose ids are not valid document ids', async () => {
    const store = open();
    try {
      const owner = await store.upsertUser({ id: `u/${randomUUID()}`, name: 'Lee', email: null, createdAt: 1 });
      const s = await store.createSession({
        id: `s/../${randomUUID()}`,
        ownerId: owner.id,
        title: 't',
        context: 'workspace',
        now: 10,
      });
      expect(await store.getSession(owner.id, s.id)).toStrictEqual(s);
      expect((await store.listSessions(owner.id, { limit: 5 })).map((x) => x.id)).toEqual([s.id]);
      const { message } = await store.insertMessage({
        id: '__m__',
        sessionId: s.id,
        ownerId: owner.id,
        clientMessageId: 'c/1',
        text: 'hello',
        now: 20,
      });
      expect(await store.getMessage(s.id, '__m__')).toStrictEqual(message);
      const event = {
        v: 1,
        sessionId: s.id,
        seq: 0,
        messageId: '__m__',
        at: 30,
        type: 'status',
        state: 'idle',
      } as const;
      await store.appendEvents([event]);
      expect(await store.listEvents(s.id, -1)).toStrictEqual([event]);
    } finally {
      await store.close();
    }
  });

  it('rejects events for a session that does not exist', async () => {
    const store = open();
    try {
      const event = {
        v: 1,
        sessionId: randomUUID(),
        seq: 0,
        messageId: null,
        at: 1,
        type: 'status',
        state: 'idle',
      } as const;
      await expect(store.appendEvents([event])).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    } finally {
      await store.close();
    }
  });

  it('sees what another store (another process, in production) wrote', async () => {
    const a = open();
    const b = open();
    try {
      const owner = await a.upsertUser({ id: randomUUID(), name: 'Lee', email: null, createdAt: 1 });
      const s = await a.createSession({
        id: randomUUID(),
        ownerId: owner.id,
        title: 't',
        context: 'workspace',
        now: 1,
      });
      expect(await b.getSession(owner.id, s.id)).toStrictEqual(s);
      await b.touchSession(s.id, 50);
      expect((await a.getSession(owner.id, s.id))?.updatedAt).toBe(50);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('clears its project on the emulator', async () => {
    const store = open();
    try {
      const u = await store.upsertUser({ id: randomUUID(), name: 'Lee', email: null, createdAt: 1 });
      await emulator.clear();
      expect(await store.getUser(u.id)).toBeNull();
    } finally {
      await store.close();
    }
  });
});
