import { randomUUID } from 'node:crypto';
import type { BusMessage } from '@agent-platform/core/ports';
import { DeadLetterAttributes } from '@agent-platform/core/ports';
import { Duration, type Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeBusContract } from '../../../../test/contracts/bus.contract.js';
import { type PubsubEmulator, startPubsubEmulator } from '../../../../test/fixtures/pubsub-emulator.js';
import { createPubSubBus, type PubSubBus, type PubSubBusOptions, runnerAttribute } from './pubsub.js';

// Never skipped: without gcloud and its Pub/Sub emulator the start fails, with the reason.
let emulator: PubsubEmulator;
beforeAll(async () => {
  emulator = await startPubsubEmulator();
  console.info(`Pub/Sub emulator ${emulator.host} answered after ${emulator.startMs} ms`);
}, 90_000);
afterAll(async () => {
  await emulator?.stop();
});

const busOptions = (over: Partial<PubSubBusOptions> = {}): PubSubBusOptions => ({
  projectId: emulator.projectId,
  emulatorHost: emulator.host,
  // Pub/Sub's smallest; the contract's waits are sized for it.
  ackDeadlineSeconds: 10,
  ...over,
});

describeBusContract(
  'pubsub',
  async (opts) => {
    const bus = await createPubSubBus(busOptions(opts));
    return { bus, cleanup: () => bus.close() };
  },
  // The emulator redelivers a nacked message after ~150 ms, a second time on a ~2 s tick.
  { waitMs: 15_000, quietMs: 500 },
);

describe('PubSubBus on the emulator', () => {
  const closers: (() => Promise<void>)[] = [];
  const fresh = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const newBus = async (over: Partial<PubSubBusOptions> = {}): Promise<PubSubBus> => {
    const bus = await createPubSubBus(busOptions({ deadLetterTopic: fresh('dead'), ...over }));
    closers.push(() => bus.close());
    return bus;
  };
  /** The plain client, for what a Bus cannot do: read metadata, delete, publish raw bytes. */
  const admin = () => {
    const client = new PubSub({
      projectId: emulator.projectId,
      apiEndpoint: emulator.host,
      emulatorMode: true,
      // As the bus does: no search for real credentials (a GCE metadata probe) on the way.
      credentials: { client_email: 'emulator@localhost', private_key: 'unused' },
    });
    closers.push(() => client.close());
    return client;
  };

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
      await sleep(10);
    }
  }

  it('creates subscriptions with ordering, the retry policy and a backstop dead-letter policy', async () => {
    const deadLetterTopic = fresh('dead');
    const bus = await newBus({ deadLetterTopic, minBackoffMs: 1500, maxBackoffMs: 20_000 });
    const topic = fresh('topic');
    const name = fresh('sub');
    await bus.subscribe(topic, name, async () => {});
    const [meta] = await admin().subscription(name).getMetadata();
    expect(meta).toMatchObject({
      topic: `projects/${emulator.projectId}/topics/${topic}`,
      enableMessageOrdering: true,
      ackDeadlineSeconds: 10,
      retryPolicy: { minimumBackoff: { seconds: '1', nanos: 500_000_000 }, maximumBackoff: { seconds: '20' } },
      deadLetterPolicy: {
        deadLetterTopic: `projects/${emulator.projectId}/topics/${deadLetterTopic}`,
        maxDeliveryAttempts: 100,
      },
      filter: '',
    });
    // The dead letters are kept even while nobody reads them.
    const [kept] = await admin().subscription(`${deadLetterTopic}-kept`).getMetadata();
    expect(kept.topic).toBe(`projects/${emulator.projectId}/topics/${deadLetterTopic}`);
    expect(kept.deadLetterPolicy).toBeNull();
  });

  it("filters a runner's subscription on the runner attribute", async () => {
    const topic = fresh('jobs');
    const name = fresh('runner-r1');
    const publisher = await newBus();
    const runner = await newBus({ runnerId: 'r1', runnerTopics: [topic] });
    const got: BusMessage[] = [];
    await runner.subscribe(topic, name, async (m) => {
      got.push(m);
    });
    const [meta] = await admin().subscription(name).getMetadata();
    expect(meta.filter).toBe(`attributes.${runnerAttribute} = "r1"`);

    await publisher.publish(topic, { n: 1 }, { attributes: { [runnerAttribute]: 'r2' } });
    await publisher.publish(topic, { n: 2 }, { attributes: { [runnerAttribute]: 'r1' }, orderingKey: 's' });
    await publisher.publish(topic, { n: 3 });
    await publisher.publish(topic, { n: 4 }, { attributes: { [runnerAttribute]: 'r1' } });
    await waitFor('the two messages for r1', () => got.length >= 2);
    await sleep(500);
    expect(got.map((m) => m.data).sort((a, b) => (a as { n: number }).n - (b as { n: number }).n)).toEqual([
      { n: 2 },
      { n: 4 },
    ]);
  });

  it('checks an existing subscription: a changed filter is refused, a changed retry policy is applied', async () => {
    const topic = fresh('jobs');
    const name = fresh('sub');
    const first = await newBus({ runnerId: 'r1', runnerTopics: [topic], minBackoffMs: 1000 });
    const stop = await first.subscribe(topic, name, async () => {});
    await stop();

    const other = await newBus({ runnerId: 'r2', runnerTopics: [topic] });
    await expect(other.subscribe(topic, name, async () => {})).rejects.toThrow(/cannot change a filter/);
    await expect(other.subscribe(fresh('elsewhere'), name, async () => {})).rejects.toThrow(/belongs to topic/);

    const slower = await newBus({ runnerId: 'r1', runnerTopics: [topic], minBackoffMs: 3000 });
    await slower.subscribe(topic, name, async () => {});
    const [meta] = await admin().subscription(name).getMetadata();
    expect(meta.retryPolicy?.minimumBackoff).toMatchObject({ seconds: '3' });
  });

  it('renews the lease of a handler that outlasts the ack deadline, so it is delivered once', async () => {
    const bus = await newBus({ ackDeadlineSeconds: 10 });
    const topic = fresh('topic');
    const handlerMs = 15_000;
    const deliveries: number[] = [];
    let finished = 0;
    await bus.subscribe(topic, fresh('sub'), async (m) => {
      deliveries.push(m.deliveryAttempt);
      await sleep(handlerMs);
      finished += 1;
    });

    // The control: the same subscription settings, but a client that stops renewing after 1 s. The
    // emulator then does enforce the 10 s deadline and delivers the message again while it runs.
    const client = admin();
    const controlName = fresh('control');
    await client.createSubscription(topic, controlName, { ackDeadlineSeconds: 10, enableMessageOrdering: true });
    const control = client.subscription(controlName, { maxExtensionTime: Duration.from({ seconds: 1 }) });
    const controlDeliveries: number[] = [];
    control.on('message', (m: Message) => {
      controlDeliveries.push(Date.now());
      setTimeout(() => m.ack(), handlerMs).unref();
    });
    closers.push(() => control.close());

    const started = Date.now();
    await bus.publish(topic, { long: true });
    await waitFor('the handler to finish', () => finished >= 1, handlerMs + 10_000);
    await sleep(1000);
    expect(deliveries).toEqual([1]);
    expect(controlDeliveries.length).toBeGreaterThanOrEqual(2);
    expect(controlDeliveries[1]! - started).toBeLessThan(handlerMs);
  }, 40_000);

  it('resumes an ordering key after a failed publish', async () => {
    const topic = fresh('missing');
    const bus = await newBus({ createResources: false });
    await expect(bus.publish(topic, { n: 1 }, { orderingKey: 'K' })).rejects.toThrow(/Publishing to Pub\/Sub topic/);
    await admin().createTopic(topic);
    // Without resumePublishing the client would refuse every later message of the key.
    await expect(bus.publish(topic, { n: 2 }, { orderingKey: 'K' })).resolves.toMatch(/\S/);
  });

  it('dead-letters a message that is not JSON at once, without calling the handler', async () => {
    const deadLetterTopic = fresh('dead');
    const bus = await newBus({ deadLetterTopic });
    const topic = fresh('topic');
    const name = fresh('sub');
    let calls = 0;
    await bus.subscribe(topic, name, async () => {
      calls += 1;
    });
    // Read raw: a dead letter keeps the bytes it came with, which a Bus handler could not parse either.
    const dead: Message[] = [];
    const kept = admin().subscription(`${deadLetterTopic}-kept`);
    kept.on('message', (m: Message) => {
      dead.push(m);
      m.ack();
    });
    closers.push(() => kept.close());
    const id = await admin()
      .topic(topic)
      .publishMessage({ data: Buffer.from('not json {'), attributes: { from: 'elsewhere' } });
    await waitFor('the dead letter', () => dead.length >= 1);
    expect(calls).toBe(0);
    expect(dead[0]?.data.toString()).toBe('not json {');
    expect(dead[0]?.attributes).toMatchObject({
      from: 'elsewhere',
      [DeadLetterAttributes.sourceSubscription]: name,
      [DeadLetterAttributes.sourceMessageId]: id,
      [DeadLetterAttributes.deliveryAttempts]: '1',
    });
    expect(dead[0]?.attributes[DeadLetterAttributes.lastError]).toMatch(/not JSON/);
  });

  it('opens a subscription again when its stream fails for good (here: the subscription was deleted)', async () => {
    const errors: Error[] = [];
    const bus = await newBus({ onError: (e) => errors.push(e) });
    const topic = fresh('topic');
    const name = fresh('sub');
    const got: unknown[] = [];
    await bus.subscribe(topic, name, async (m) => {
      got.push(m.data);
    });
    await bus.publish(topic, 'before');
    await waitFor('the first message', () => got.length >= 1);

    await admin().subscription(name).delete();
    await waitFor('the error report', () => errors.some((e) => /stopped pulling/.test(e.message)));
    const exists = async () => (await admin().subscription(name).exists())[0];
    const deadline = Date.now() + 10_000;
    while (!(await exists())) {
      if (Date.now() > deadline) throw new Error('The subscription was not created again.');
      await sleep(100);
    }
    await bus.publish(topic, 'after');
    await waitFor('the message published after the re-creation', () => got.length >= 2);
    expect(got).toEqual(['before', 'after']);
  });
});
