import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../../../test/contracts/store.contract.js';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../../../test/fixtures/firestore-emulator.js';
import { CHUNK_BYTES, docId, type FirestoreStore, openFirestoreStore, splitUtf8 } from './firestore.js';

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
      const owner = await store.recordSighting({
        id: `u/${randomUUID()}`,
        name: 'Lee',
        email: null,
        photoUrl: null,
        now: 1,
      });
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
      const owner = await a.recordSighting({ id: randomUUID(), name: 'Lee', email: null, photoUrl: null, now: 1 });
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

  it('keeps a transcript in chunk documents under 1 MiB, and a very large entry in parts linked by one chunk', async () => {
    const store = open();
    try {
      const key = { ownerId: randomUUID(), projectKey: '-work', sessionId: randomUUID() };
      const ref = store.db.collection('transcripts').doc(
        // The same hash the store uses: the whole key.
        createHash('sha256')
          .update(JSON.stringify([key.ownerId, key.projectKey, key.sessionId, '']))
          .digest('hex'),
      );
      const small = { type: 'user', uuid: randomUUID(), text: 'hi' };
      const big = { type: 'assistant', uuid: randomUUID(), text: '가'.repeat(500_000) }; // 1.5 MB
      const huge = { type: 'assistant', uuid: randomUUID(), text: 'x'.repeat(3_500_000) };
      await store.appendTranscript(key, [small, big]);
      const chunks = async () => (await ref.collection('chunks').orderBy('seq').get()).docs.map((d) => d.data());
      const inline = await chunks();
      expect(inline).toHaveLength(2);
      for (const c of inline) expect(Buffer.byteLength(c['text'] as string)).toBeLessThanOrEqual(CHUNK_BYTES);

      await store.appendTranscript(key, [huge]);
      const all = await chunks();
      expect(all).toHaveLength(3);
      expect(all[2]).toMatchObject({ seq: 2, partCount: 4 });
      expect((await ref.collection('parts').get()).size).toBe(4);
      expect((await ref.get()).data()).toMatchObject({ entryCount: 3, chunkCount: 3, subpath: '' });

      // A repeat of the huge entry writes parts, finds the uuid taken, and removes them again.
      await store.appendTranscript(key, [huge]);
      expect((await ref.collection('parts').get()).size).toBe(4);
      expect(await store.loadTranscript(key)).toStrictEqual([small, big, huge]);
    } finally {
      await store.close();
    }
  });

  it('cuts text into pieces of bounded UTF-8 size without splitting a character', () => {
    const text = 'a가👋'.repeat(1000);
    for (const max of [4, 5, 7, 100, 1023]) {
      const pieces = splitUtf8(text, max);
      expect(pieces.join('')).toBe(text);
      for (const p of pieces) {
        expect(Buffer.byteLength(p)).toBeLessThanOrEqual(max);
        expect(p).not.toMatch(/\uFFFD/);
      }
    }
    expect(splitUtf8('', 10)).toEqual([]);
  });

  it('clears its project on the emulator', async () => {
    const store = open();
    try {
      const u = await store.recordSighting({ id: randomUUID(), name: 'Lee', email: null, photoUrl: null, now: 1 });
      await emulator.clear();
      expect(await store.getUser(u.id)).toBeNull();
    } finally {
      await store.close();
    }
  });
});
