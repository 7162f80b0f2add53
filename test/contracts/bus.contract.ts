import { randomUUID } from 'node:crypto';
import type { Bus, BusMessage } from '@agent-platform/core/ports';
import { DeadLetterAttributes } from '@agent-platform/core/ports';
import { afterEach, describe, expect, it } from 'vitest';

/** Settings the suite needs from the bus under test; `make` applies them. */
export interface BusContractOptions {
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDeliveryAttempts: number;
  /** Fresh for each test. */
  deadLetterTopic: string;
}

export interface BusUnderTest {
  bus: Bus;
  /** Closes the bus (it may be closed already) and deletes what the test created, if anything. */
  cleanup: () => Promise<void>;
}

export interface BusContractTiming {
  /** How long to wait for something that must happen. Default 10_000. */
  waitMs?: number;
  /** How long to watch for something that must not happen. Default 300. */
  quietMs?: number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every Bus must do. Written for a remote bus too (the Pub/Sub emulator): every test uses
 * fresh topic and subscription names, publishes only after `subscribe` resolved, and never relies
 * on timing except generous waits for things that must happen and short quiet periods for things
 * that must not.
 */
export function describeBusContract(
  name: string,
  make: (opts: BusContractOptions) => Promise<BusUnderTest>,
  timing: BusContractTiming = {},
): void {
  const waitMs = timing.waitMs ?? 10_000;
  const quietMs = timing.quietMs ?? 300;

  describe(`Bus contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    const gates: Deferred<void>[] = [];

    afterEach(async () => {
      // Open every gate first: a failed test must not leave a handler blocked and the close hanging.
      for (const g of gates.splice(0)) g.resolve();
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** A promise a handler can wait on; opened by the test, or after it at the latest. */
    const gate = () => {
      const g = deferred();
      gates.push(g);
      return g;
    };

    const fresh = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

    async function setup(over: Partial<BusContractOptions> = {}) {
      const opts: BusContractOptions = {
        minBackoffMs: 10,
        maxBackoffMs: 50,
        // Pub/Sub's smallest allowed dead-letter setting.
        maxDeliveryAttempts: 5,
        deadLetterTopic: fresh('dead'),
        ...over,
      };
      const made = await make(opts);
      cleanups.push(made.cleanup);
      return { bus: made.bus, opts, topic: fresh('topic') };
    }

    async function waitFor(what: string, cond: () => boolean): Promise<void> {
      const deadline = Date.now() + waitMs;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${waitMs} ms waiting for ${what}.`);
        await sleep(5);
      }
    }

    /** Subscribes a handler that records every delivery and acknowledges it. */
    async function collect(bus: Bus, topic: string, subscription = fresh('sub')) {
      const got: BusMessage[] = [];
      const unsubscribe = await bus.subscribe(topic, subscription, async (m) => {
        got.push(m);
      });
      return { got, unsubscribe, subscription };
    }

    it('delivers every message to each subscription with its data and attributes', async () => {
      const { bus, topic } = await setup();
      const a = await collect(bus, topic);
      const b = await collect(bus, topic);
      const payloads = [{ n: 0, text: '첫 번째' }, { n: 1, nested: { list: [1, null, 'x'] } }, { n: 2 }];
      const ids: string[] = [];
      for (const [i, data] of payloads.entries()) {
        ids.push(
          await bus.publish(topic, data, { attributes: { index: String(i) }, orderingKey: i === 2 ? 'k' : undefined }),
        );
      }
      expect(new Set(ids).size).toBe(3);

      await waitFor('both subscriptions to receive 3 messages', () => a.got.length >= 3 && b.got.length >= 3);
      await sleep(quietMs);
      for (const { got } of [a, b]) {
        expect(got).toHaveLength(3);
        const byId = new Map(got.map((m) => [m.id, m]));
        for (const [i, id] of ids.entries()) {
          const m = byId.get(id);
          expect(m?.data).toEqual(payloads[i]);
          expect(m?.attributes).toMatchObject({ index: String(i) });
          expect(m?.deliveryAttempt).toBe(1);
        }
        expect(byId.get(ids[2]!)?.orderingKey).toBe('k');
      }
    });

    it('does not deliver messages published before the subscription existed', async () => {
      const { bus, topic } = await setup();
      await bus.publish(topic, { which: 'before' });
      const s = await collect(bus, topic);
      await bus.publish(topic, { which: 'after' });
      await waitFor('the message published after subscribing', () => s.got.length >= 1);
      await sleep(quietMs);
      expect(s.got.map((m) => m.data)).toEqual([{ which: 'after' }]);
    });

    it('delivers the messages of one ordering key one at a time in publish order', async () => {
      const { bus, topic } = await setup();
      const perKey = 12;
      const keys = ['alpha', 'beta'];
      const seen = new Map<string, number[]>(keys.map((k) => [k, []]));
      const active = new Map<string, number>();
      let overlapWithinKey = false;
      let total = 0;
      await bus.subscribe<{ key: string; n: number }>(topic, fresh('sub'), async (m) => {
        const { key, n } = m.data;
        active.set(key, (active.get(key) ?? 0) + 1);
        if (active.get(key)! > 1) overlapWithinKey = true;
        // Slow and uneven handlers: a bus that does not serialise a key would let later ones overtake.
        await sleep((n * 7) % 4);
        seen.get(key)!.push(n);
        active.set(key, active.get(key)! - 1);
        total += 1;
      });

      // Published concurrently and interleaved across keys; publish order is the call order.
      const publishes: Promise<string>[] = [];
      for (let n = 0; n < perKey; n++) {
        for (const key of keys) publishes.push(bus.publish(topic, { key, n }, { orderingKey: key }));
      }
      await Promise.all(publishes);

      await waitFor('every message', () => total >= perKey * keys.length);
      const inOrder = Array.from({ length: perKey }, (_, n) => n);
      for (const key of keys) expect(seen.get(key)).toEqual(inOrder);
      expect(overlapWithinKey).toBe(false);
    });

    it('processes different ordering keys concurrently', async () => {
      const { bus, topic } = await setup();
      // A's handler can only finish once B's handler has run: a bus that ran one message at a time
      // across keys would never finish A.
      const bRan = gate();
      const done: string[] = [];
      await bus.subscribe<{ key: string }>(topic, fresh('sub'), async (m) => {
        if (m.data.key === 'A') await bRan.promise;
        else bRan.resolve();
        done.push(m.data.key);
      });
      await bus.publish(topic, { key: 'A' }, { orderingKey: 'A' });
      await bus.publish(topic, { key: 'B' }, { orderingKey: 'B' });
      await waitFor('both keys to finish', () => done.length === 2);
      expect(done).toEqual(['B', 'A']);
    });

    it('processes messages without an ordering key concurrently', async () => {
      const { bus, topic } = await setup();
      const secondRan = gate();
      const done: number[] = [];
      await bus.subscribe<{ n: number }>(topic, fresh('sub'), async (m) => {
        if (m.data.n === 1) await secondRan.promise;
        else secondRan.resolve();
        done.push(m.data.n);
      });
      await bus.publish(topic, { n: 1 });
      await bus.publish(topic, { n: 2 });
      await waitFor('both messages to finish', () => done.length === 2);
      expect(done).toEqual([2, 1]);
    });

    it('redelivers a nacked message with deliveryAttempt 2', async () => {
      const { bus, topic } = await setup();
      const deliveries: BusMessage[] = [];
      await bus.subscribe(topic, fresh('sub'), async (m) => {
        deliveries.push(m);
        if (m.deliveryAttempt === 1) throw new Error('transient failure');
      });
      const id = await bus.publish(topic, { job: 1 }, { attributes: { a: 'b' } });
      await waitFor('the redelivery', () => deliveries.length >= 2);
      await sleep(quietMs);
      expect(deliveries.map((m) => [m.id, m.deliveryAttempt])).toEqual([
        [id, 1],
        [id, 2],
      ]);
      expect(deliveries[1]?.data).toEqual({ job: 1 });
      expect(deliveries[1]?.attributes).toMatchObject({ a: 'b' });
    });

    it('redelivers under the same id, so a handler idempotent on the id applies a message once', async () => {
      const { bus, topic } = await setup();
      // The handler's effect, keyed by message id: what a job consumer keeps in its store.
      const applied = new Map<string, number>();
      const deliveries: BusMessage<{ amount: number }>[] = [];
      await bus.subscribe<{ amount: number }>(topic, fresh('sub'), async (m) => {
        deliveries.push(m);
        if (!applied.has(m.id)) applied.set(m.id, m.data.amount);
        // The effect is stored but the acknowledgement is lost (a crash, a timeout): at least once.
        if (m.deliveryAttempt === 1) throw new Error('lost before acknowledging');
      });
      // Two messages with equal data are still two messages.
      const first = await bus.publish(topic, { amount: 5 });
      const second = await bus.publish(topic, { amount: 5 });
      expect(second).not.toBe(first);

      await waitFor('both messages twice', () => deliveries.length >= 4);
      await sleep(quietMs);
      const byId = (id: string) => deliveries.filter((m) => m.id === id).map((m) => m.deliveryAttempt);
      expect(byId(first)).toEqual([1, 2]);
      expect(byId(second)).toEqual([1, 2]);
      expect(deliveries).toHaveLength(4);
      expect([...applied.entries()].sort()).toEqual(
        [
          [first, 5],
          [second, 5],
        ].sort(),
      );
    });

    it('holds back later messages of a key until a failing one succeeds', async () => {
      const { bus, topic } = await setup();
      const log: string[] = [];
      await bus.subscribe<{ n: number }>(topic, fresh('sub'), async (m) => {
        log.push(`${m.data.n}@${m.deliveryAttempt}`);
        if (m.data.n === 0 && m.deliveryAttempt < 3) throw new Error('not yet');
      });
      await Promise.all([0, 1, 2].map((n) => bus.publish(topic, { n }, { orderingKey: 'K' })));
      await waitFor('all three messages', () => log.length >= 5);
      await sleep(quietMs);
      expect(log).toEqual(['0@1', '0@2', '0@3', '1@1', '2@1']);
    });

    it('keeps each key in order through several failures, counting only the attempts its handler saw', async () => {
      const { bus, topic } = await setup();
      const keys = ['a', 'b', 'c'];
      const perKey = 6;
      const logs = new Map<string, string[]>(keys.map((k) => [k, []]));
      let succeeded = 0;
      await bus.subscribe<{ key: string; n: number }>(topic, fresh('sub'), async (m) => {
        const { key, n } = m.data;
        logs.get(key)!.push(`${n}@${m.deliveryAttempt}`);
        // Every third message of a key fails once; the ones behind it wait, and are not charged for it.
        if (n % 3 === 0 && m.deliveryAttempt === 1) throw new Error('transient');
        succeeded += 1;
      });
      const publishes: Promise<string>[] = [];
      for (let n = 0; n < perKey; n++) {
        for (const key of keys) publishes.push(bus.publish(topic, { key, n }, { orderingKey: key }));
      }
      await Promise.all(publishes);

      await waitFor('every message to succeed', () => succeeded >= keys.length * perKey);
      await sleep(quietMs);
      for (const key of keys) {
        expect(logs.get(key)).toEqual(['0@1', '0@2', '1@1', '2@1', '3@1', '3@2', '4@1', '5@1']);
      }
    });

    it('dead-letters a message after maxDeliveryAttempts and then carries on with its key', async () => {
      const { bus, topic, opts } = await setup();
      const dead = await collect(bus, opts.deadLetterTopic);
      const log: string[] = [];
      const subscription = fresh('sub');
      await bus.subscribe<{ name: string }>(topic, subscription, async (m) => {
        log.push(`${m.data.name}@${m.deliveryAttempt}`);
        if (m.data.name === 'poison') throw new Error(`cannot parse (attempt ${m.deliveryAttempt})`);
      });
      const poisonId = await bus.publish(topic, { name: 'poison' }, { orderingKey: 'K', attributes: { kind: 'job' } });
      await bus.publish(topic, { name: 'next' }, { orderingKey: 'K' });

      await waitFor('the dead letter and the next message', () => dead.got.length >= 1 && log.includes('next@1'));
      await sleep(quietMs);
      const max = opts.maxDeliveryAttempts;
      expect(log).toEqual([...Array.from({ length: max }, (_, i) => `poison@${i + 1}`), 'next@1']);
      expect(dead.got).toHaveLength(1);
      const letter = dead.got[0]!;
      expect(letter.data).toEqual({ name: 'poison' });
      expect(letter.attributes).toMatchObject({
        kind: 'job',
        [DeadLetterAttributes.sourceTopic]: topic,
        [DeadLetterAttributes.sourceSubscription]: subscription,
        [DeadLetterAttributes.sourceMessageId]: poisonId,
        [DeadLetterAttributes.deliveryAttempts]: String(max),
      });
      expect(letter.attributes[DeadLetterAttributes.lastError]).toContain(`cannot parse (attempt ${max})`);
    });

    it('stops delivering on unsubscribe, after waiting for the handler in flight', async () => {
      const { bus, topic } = await setup();
      const release = gate();
      const started = gate();
      const got: unknown[] = [];
      let finished = false;
      const unsubscribe = await bus.subscribe(topic, fresh('sub'), async (m) => {
        got.push(m.data);
        if (got.length === 1) {
          started.resolve();
          await release.promise;
          finished = true;
        }
      });
      await bus.publish(topic, 1);
      await started.promise;

      let unsubscribed = false;
      const stopping = unsubscribe().then(() => {
        unsubscribed = true;
      });
      await sleep(quietMs);
      expect(unsubscribed).toBe(false);
      release.resolve();
      await stopping;
      expect(finished).toBe(true);

      await bus.publish(topic, 2);
      await sleep(quietMs);
      expect(got).toEqual([1]);
      await unsubscribe();
    });

    it('keeps messages for a subscription without a handler and delivers them on re-subscribe', async () => {
      const { bus, topic } = await setup();
      const first = await collect(bus, topic);
      await first.unsubscribe();
      await bus.publish(topic, { while: 'away' });
      const again = await collect(bus, topic, first.subscription);
      await waitFor('the kept message', () => again.got.length >= 1);
      expect(again.got.map((m) => m.data)).toEqual([{ while: 'away' }]);
      expect(first.got).toEqual([]);
    });

    it('close stops delivery, waits for handlers in flight and refuses to publish', async () => {
      const { bus, topic } = await setup();
      const release = gate();
      const started = gate();
      const got: unknown[] = [];
      let finished = false;
      await bus.subscribe(topic, fresh('sub'), async (m) => {
        got.push(m.data);
        started.resolve();
        await release.promise;
        finished = true;
      });
      await bus.publish(topic, 1);
      await started.promise;
      const closing = bus.close();
      setTimeout(() => release.resolve(), 20);
      await closing;
      expect(finished).toBe(true);
      await expect(bus.publish(topic, 2)).rejects.toThrow();
      await bus.close();
      expect(got).toEqual([1]);
    });
  });
}
