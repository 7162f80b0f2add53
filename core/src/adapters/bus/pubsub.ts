import {
  type Bus,
  type BusHandler,
  type BusMessage,
  DeadLetterAttributes,
  deadLetterErrorChars,
  type PublishOptions,
} from '@agent-platform/core/ports';
import { runnerAttribute, Topics } from '@agent-platform/core/protocol';
import {
  type ClientConfig,
  type CreateSubscriptionOptions,
  Duration,
  type Message,
  PubSub,
  type Subscription,
  SubscriptionCloseBehaviors,
  type SubscriptionMetadata,
  type Topic,
} from '@google-cloud/pubsub';
import type { DroppedMessage } from './memory.js';

export type { DroppedMessage } from './memory.js';

export { runnerAttribute };

export interface PubSubBusOptions {
  projectId: string;
  /**
   * `host:port` of a Pub/Sub emulator (plaintext, no credentials). Default: the real Pub/Sub, with
   * Application Default Credentials. Given explicitly rather than through PUBSUB_EMULATOR_HOST so that
   * several buses in one process can reach different emulators.
   */
  emulatorHost?: string;
  /**
   * This runner's id. Subscriptions on `runnerTopics` then get the filter
   * `attributes.runner = "<runnerId>"`, so this runner receives only the jobs addressed to it (Pub/Sub
   * acknowledges the others for it). Default: none (no filter).
   */
  runnerId?: string;
  /** Topics whose subscriptions are filtered on `runnerId`. Default `[Topics.runnerJobs]`. */
  runnerTopics?: readonly string[];
  /** Handler failures of one message before it is dead-lettered. Default 5 (Pub/Sub's own minimum). */
  maxDeliveryAttempts?: number;
  /** Where dead messages go, with `DeadLetterAttributes`. Created at start-up. Default `dead-letters`. */
  deadLetterTopic?: string;
  /**
   * A subscription on the dead-letter topic, created at start-up, that keeps the dead letters: a topic
   * without subscriptions drops what is published to it. `false` for none. Default
   * `<deadLetterTopic>-kept`.
   */
  deadLetterSubscription?: string | false;
  /** The subscriptions' retry policy: first wait before a nacked message comes again. Default 10 000 (Pub/Sub's). */
  minBackoffMs?: number;
  /** The retry policy's cap on that wait. Default 600 000 (Pub/Sub's, and its maximum). */
  maxBackoffMs?: number;
  /**
   * The subscriptions' ack deadline, and the lease the client renews while a handler runs (10 to 600).
   * A runner that dies mid-job gives its jobs back after about this long. Default 60.
   */
  ackDeadlineSeconds?: number;
  /**
   * How long one message may be held (its handler running, or waiting behind earlier messages of its
   * ordering key) before the client stops renewing its lease and Pub/Sub delivers it again.
   * Default 3 600 000 (an hour).
   */
  maxLeaseMs?: number;
  /** Messages one subscription holds at once, running or waiting for their ordering key. Default 100. */
  maxMessagesInFlight?: number;
  /** Topics to create at start-up, besides the dead-letter topic. Others are created on first use. */
  topics?: readonly string[];
  /**
   * Create missing topics and subscriptions (ALREADY_EXISTS is fine) and check that an existing
   * subscription has this bus's settings. Turn off where the infrastructure owns them and the service
   * account may only publish and subscribe. Default true.
   */
  createResources?: boolean;
  /**
   * Told about a dead letter that failed on the dead-letter topic itself (it is dropped there rather
   * than sent round again). Default: one line on stderr, so the loss is never silent.
   */
  onDropped?: (dropped: DroppedMessage) => void;
  /**
   * Told about faults that do not belong to one call: a subscriber stream that stopped (the bus opens
   * it again), a dead letter that could not be published (the message is nacked and comes again).
   * Default: one line on stderr.
   */
  onError?: (error: Error) => void;
}

/** gRPC status codes the bus tells apart. */
const GrpcCode = { NOT_FOUND: 5, ALREADY_EXISTS: 6 } as const;

/**
 * Pub/Sub's own dead-letter policy, as a backstop only. Pub/Sub counts every delivery, including
 * those this bus hands back unprocessed (the later messages of an ordering key while an earlier one
 * is retried), so its counter runs ahead of the handler's; the bus dead-letters on its own count (with
 * `DeadLetterAttributes`), and Pub/Sub's policy, at its maximum, only catches a message that never
 * reaches a handler outcome (a runner that crashes on it every time). Pub/Sub forwards those with its
 * own `CloudPubSubDeadLetter*` attributes.
 */
const backstopDeliveryAttempts = 100;

/** Tallies of messages not seen for this long are forgotten (they were settled by another process). */
const tallyTtlMs = 3_600_000;
const tallyPruneAbove = 10_000;

const reopenFirstDelayMs = 500;
const reopenMaxDelayMs = 30_000;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const grpcCode = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;

function assertName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`The ${what} name must be a non-empty string.`);
}

/** What the bus knows of one message of one subscription across its deliveries to this process. */
interface Tally {
  /** Deliveries handed back without running the handler (Pub/Sub counted them all the same). */
  skipped: number;
  /** Handler runs, the count used where Pub/Sub gives none (subscriptions without a dead-letter policy). */
  runs: number;
  seenAt: number;
}

/** The messages of one ordering key, run one at a time. */
interface Lane {
  queue: Message[];
  busy: boolean;
  /**
   * After a nack: Pub/Sub will deliver the nacked message again and then the rest of the key, so
   * everything of the key that arrives before it is handed back. Ends when that message arrives (or
   * at `untilMs`, should it never come back).
   */
  rewind: { id: string; untilMs: number } | undefined;
}

interface Attachment {
  topic: string;
  name: string;
  sub: Subscription;
  handler: BusHandler<unknown>;
  /** The runner id this subscription is filtered on, if any (checked here too: the emulator does not filter). */
  runnerFilter: string | undefined;
  lanes: Map<string, Lane>;
  inflight: Set<Promise<void>>;
  stopping: Promise<void> | undefined;
  reopenTimer: NodeJS.Timeout | undefined;
  reopenDelayMs: number;
}

function durationMs(d: { seconds?: unknown; nanos?: unknown } | null | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6);
}

const protoDuration = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/**
 * The cloud Bus: Google Cloud Pub/Sub, with the in-process bus's delivery rules.
 *
 * - Every subscription has message ordering on, the bus's retry policy, and a dead-letter policy (so
 *   that Pub/Sub counts delivery attempts). Publishing with an ordering key uses an ordering publisher
 *   and resumes the key after a failed publish.
 * - Pub/Sub delivers the messages of a key in order but does not wait for one handler before giving
 *   out the next, so the bus runs each key's messages one at a time. When a handler fails, the bus
 *   nacks its message and hands back the later messages of the key it holds; Pub/Sub then delivers
 *   them again in order, and the handed-back deliveries are not counted in `deliveryAttempt` (that
 *   tally lives in this process: after a restart a message may show a higher count than its handler
 *   saw, never a lower one).
 * - After `maxDeliveryAttempts` failures the bus publishes the message to the dead-letter topic with
 *   `DeadLetterAttributes` and acknowledges it.
 * - The client library renews the lease of every message held (running or waiting for its key) up to
 *   `maxLeaseMs`, so a long handler is not redelivered when the ack deadline passes.
 * - Data travels as JSON (the in-process bus clones it): publish plain JSON data.
 * - With `runnerId`, subscriptions on `runnerTopics` are filtered on the `runner` attribute by Pub/Sub
 *   and checked again here (the emulator does not apply filters).
 */
export class PubSubBus implements Bus {
  readonly projectId: string;
  private readonly client: PubSub;
  private readonly runnerId: string | undefined;
  private readonly runnerTopics: ReadonlySet<string>;
  private readonly maxDeliveryAttempts: number;
  private readonly deadLetterTopic: string;
  private readonly deadLetterSubscription: string | undefined;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly ackDeadlineSeconds: number;
  private readonly maxLeaseMs: number;
  private readonly maxMessagesInFlight: number;
  private readonly startupTopics: readonly string[];
  private readonly createResources: boolean;
  private readonly onDropped: (d: DroppedMessage) => void;
  private readonly onError: (e: Error) => void;
  private readonly topicClients = new Map<string, Topic>();
  private readonly ensuredTopics = new Map<string, Promise<void>>();
  /** Subscription names with a handler (or one being attached) in this bus. */
  private readonly attachments = new Map<string, Attachment | 'attaching'>();
  private readonly tallies = new Map<string, Tally>();
  private closing: Promise<void> | undefined;

  constructor(opts: PubSubBusOptions) {
    assertName('project', opts.projectId);
    this.projectId = opts.projectId;
    this.runnerId = opts.runnerId;
    this.runnerTopics = new Set(opts.runnerTopics ?? [Topics.runnerJobs]);
    this.maxDeliveryAttempts = opts.maxDeliveryAttempts ?? 5;
    this.deadLetterTopic = opts.deadLetterTopic ?? 'dead-letters';
    const kept = opts.deadLetterSubscription ?? `${this.deadLetterTopic}-kept`;
    this.deadLetterSubscription = kept === false ? undefined : kept;
    this.minBackoffMs = opts.minBackoffMs ?? 10_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 600_000;
    this.ackDeadlineSeconds = opts.ackDeadlineSeconds ?? 60;
    this.maxLeaseMs = opts.maxLeaseMs ?? 3_600_000;
    this.maxMessagesInFlight = opts.maxMessagesInFlight ?? 100;
    this.startupTopics = opts.topics ?? [];
    this.createResources = opts.createResources ?? true;
    this.onDropped =
      opts.onDropped ??
      ((d) =>
        console.error(
          `bus: dropped message ${d.message.id} of ${d.topic}/${d.subscription} after ` +
            `${d.message.deliveryAttempt} attempts (it failed on the dead-letter topic): ${errorText(d.error)}`,
        ));
    this.onError = opts.onError ?? ((e) => console.error(`bus: ${e.message}`));

    if (!(this.minBackoffMs >= 0 && this.maxBackoffMs >= this.minBackoffMs && this.maxBackoffMs <= 600_000)) {
      throw new RangeError(
        'PubSubBus: need 0 <= minBackoffMs <= maxBackoffMs <= 600000 (Pub/Sub retry policy limits).',
      );
    }
    if (!Number.isInteger(this.maxDeliveryAttempts) || this.maxDeliveryAttempts < 1) {
      throw new RangeError('PubSubBus: maxDeliveryAttempts must be an integer >= 1.');
    }
    if (!Number.isInteger(this.ackDeadlineSeconds) || this.ackDeadlineSeconds < 10 || this.ackDeadlineSeconds > 600) {
      throw new RangeError('PubSubBus: ackDeadlineSeconds must be an integer from 10 to 600 (Pub/Sub limits).');
    }
    if (!(this.maxLeaseMs >= this.ackDeadlineSeconds * 1000)) {
      throw new RangeError('PubSubBus: maxLeaseMs must be at least ackDeadlineSeconds * 1000.');
    }
    if (!Number.isInteger(this.maxMessagesInFlight) || this.maxMessagesInFlight < 1) {
      throw new RangeError('PubSubBus: maxMessagesInFlight must be an integer >= 1.');
    }
    assertName('dead-letter topic', this.deadLetterTopic);
    // The id goes into a filter expression between double quotes.
    if (this.runnerId !== undefined && !/^[A-Za-z0-9._~-]{1,200}$/.test(this.runnerId)) {
      throw new RangeError('PubSubBus: runnerId may hold only letters, digits and . _ ~ - (1 to 200 characters).');
    }

    const config: ClientConfig = { projectId: opts.projectId };
    if (opts.emulatorHost !== undefined) {
      config.apiEndpoint = opts.emulatorHost;
      config.emulatorMode = true;
      // The emulator takes no credentials; stating some keeps the auth library from looking for
      // Application Default Credentials (a probe of the GCE metadata server) on the way.
      config.credentials = { client_email: 'emulator@localhost', private_key: 'unused' };
    }
    this.client = new PubSub(config);
  }

  /** Creates the start-up topics, the dead-letter topic and its keeping subscription. */
  async start(): Promise<void> {
    if (!this.createResources) return;
    await Promise.all([...this.startupTopics, this.deadLetterTopic].map((t) => this.ensureTopic(t)));
    if (this.deadLetterSubscription !== undefined) {
      await this.ensureSubscription(this.deadLetterTopic, this.deadLetterSubscription);
    }
  }

  async publish(topic: string, data: unknown, opts: PublishOptions = {}): Promise<string> {
    this.assertOpen('publish to');
    assertName('topic', topic);
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.attributes ?? {})) {
      if (typeof v !== 'string') throw new TypeError(`Bus attribute "${k}" must be a string, got ${typeof v}.`);
      attributes[k] = v;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (e) {
      throw new TypeError(`Bus message data must be JSON-serialisable: ${errorText(e)}`);
    }
    if (json === undefined) throw new TypeError('Bus message data must be JSON-serialisable, got undefined.');
    await this.ensureTopic(topic);
    // Pub/Sub treats an empty key as no key.
    return this.publishRaw(topic, Buffer.from(json, 'utf8'), attributes, opts.orderingKey || undefined);
  }

  async subscribe<T = unknown>(
    topic: string,
    subscription: string,
    handler: BusHandler<T>,
  ): Promise<() => Promise<void>> {
    this.assertOpen('subscribe to');
    assertName('topic', topic);
    assertName('subscription', subscription);
    if (this.attachments.has(subscription)) {
      throw new Error(
        `Subscription "${subscription}" already has a handler on this bus; a second one would only take ` +
          'messages away from the first. Call the first unsubscribe function, or use another subscription name.',
      );
    }
    this.attachments.set(subscription, 'attaching');
    let att: Attachment;
    try {
      await this.ensureTopic(topic);
      await this.ensureSubscription(topic, subscription);
      if (this.closing) throw new Error(`The bus was closed while subscribing to "${subscription}".`);
      att = {
        topic,
        name: subscription,
        sub: this.client.subscription(subscription, {
          flowControl: { maxMessages: this.maxMessagesInFlight, allowExcessMessages: false },
          minAckDeadline: Duration.from({ seconds: this.ackDeadlineSeconds }),
          maxAckDeadline: Duration.from({ seconds: this.ackDeadlineSeconds }),
          maxExtensionTime: Duration.from({ milliseconds: this.maxLeaseMs }),
          // One stream carries far more than a runner's jobs; more would only load the emulator.
          streamingOptions: { maxStreams: 1 },
          // Closing stops pulling at once, lets the handlers in flight finish and acknowledge, and
          // only then gives back what is left.
          closeOptions: {
            behavior: SubscriptionCloseBehaviors.WaitForProcessing,
            timeout: Duration.from({ milliseconds: this.maxLeaseMs }),
          },
        }),
        handler: handler as BusHandler<unknown>,
        runnerFilter: this.filterFor(topic),
        lanes: new Map(),
        inflight: new Set(),
        stopping: undefined,
        reopenTimer: undefined,
        reopenDelayMs: reopenFirstDelayMs,
      };
    } catch (e) {
      this.attachments.delete(subscription);
      throw e;
    }
    this.attachments.set(subscription, att);
    att.sub.on('error', (e: Error) =>
      this.onError(new Error(`subscription "${att.name}" of "${att.topic}": ${errorText(e)}`, { cause: e })),
    );
    att.sub.on('close', () => this.onSubscriberClosed(att));
    // Adding the first message listener opens the stream.
    att.sub.on('message', (m: Message) => this.onMessage(att, m));
    return () => this.detach(att);
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      const atts = [...this.attachments.values()].filter((a): a is Attachment => a !== 'attaching');
      await Promise.all(atts.map((a) => this.detach(a)));
      // Send what the publishers still batch, then drop the connections. A batch that fails rejects
      // its own publish() calls, which report it.
      await Promise.allSettled([...this.topicClients.values()].map((t) => t.flush()));
      await this.client.close();
    })();
    return this.closing;
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new Error(`Cannot ${what} a closed bus; create a new one.`);
  }

  private filterFor(topic: string): string | undefined {
    return this.runnerId !== undefined && this.runnerTopics.has(topic) ? this.runnerId : undefined;
  }

  private topicClient(topic: string): Topic {
    let t = this.topicClients.get(topic);
    if (!t) {
      // A message goes out as soon as it is published: each one is someone waiting (a chat turn), and
      // the client's default (wait up to 10 ms for more) is paid on every turn. Messages of a key
      // published while its previous request is in flight still go together in the next one.
      t = this.client.topic(topic, { messageOrdering: true, batching: { maxMessages: 1, maxMilliseconds: 0 } });
      this.topicClients.set(topic, t);
    }
    return t;
  }

  private ensureTopic(topic: string): Promise<void> {
    if (!this.createResources) return Promise.resolve();
    let p = this.ensuredTopics.get(topic);
    if (!p) {
      p = this.client.createTopic(topic).then(
        () => undefined,
        (e: unknown) => {
          if (grpcCode(e) === GrpcCode.ALREADY_EXISTS) return;
          this.ensuredTopics.delete(topic);
          throw new Error(
            `Could not create Pub/Sub topic "${topic}" in project "${this.projectId}": ${errorText(e)}. ` +
              'Check that Pub/Sub (or its emulator) is reachable and that the service account may create topics, ' +
              'or create the topic beforehand and set createResources: false.',
            { cause: e },
          );
        },
      );
      this.ensuredTopics.set(topic, p);
    }
    return p;
  }

  private subscriptionSettings(topic: string): CreateSubscriptionOptions {
    const filterOn = this.filterFor(topic);
    return {
      enableMessageOrdering: true,
      ackDeadlineSeconds: this.ackDeadlineSeconds,
      retryPolicy: {
        minimumBackoff: protoDuration(this.minBackoffMs),
        maximumBackoff: protoDuration(this.maxBackoffMs),
      },
      // None on the dead-letter topic's own subscriptions: it would send their failures round again.
      deadLetterPolicy:
        topic === this.deadLetterTopic
          ? null
          : {
              deadLetterTopic: this.client.topic(this.deadLetterTopic).name,
              maxDeliveryAttempts: backstopDeliveryAttempts,
            },
      ...(filterOn === undefined ? {} : { filter: `attributes.${runnerAttribute} = "${filterOn}"` }),
    };
  }

  /**
   * Creates the subscription, or checks the existing one: settings Pub/Sub cannot change (topic,
   * filter, ordering) must match; the others (ack deadline, retry and dead-letter policies) are updated.
   */
  private async ensureSubscription(topic: string, name: string): Promise<void> {
    if (!this.createResources) return;
    const want = this.subscriptionSettings(topic);
    try {
      await this.client.createSubscription(topic, name, want);
      return;
    } catch (e) {
      if (grpcCode(e) !== GrpcCode.ALREADY_EXISTS) {
        throw new Error(
          `Could not create Pub/Sub subscription "${name}" on topic "${topic}" in project "${this.projectId}": ` +
            `${errorText(e)}. Check that Pub/Sub (or its emulator) is reachable and that the service account may ` +
            'create subscriptions, or create it beforehand and set createResources: false.',
          { cause: e },
        );
      }
    }
    const sub = this.client.subscription(name);
    const [have] = await sub.getMetadata();
    const haveTopic = (have.topic ?? '').split('/').pop();
    const fix = `delete it (gcloud pubsub subscriptions delete ${name} --project=${this.projectId}) or use another subscription name`;
    if (haveTopic !== topic) {
      throw new Error(`Subscription "${name}" belongs to topic "${haveTopic}", not "${topic}"; ${fix}.`);
    }
    if ((have.filter ?? '') !== (want.filter ?? '')) {
      throw new Error(
        `Subscription "${name}" has the filter ${JSON.stringify(have.filter ?? '')} but this bus needs ` +
          `${JSON.stringify(want.filter ?? '')}; Pub/Sub cannot change a filter: ${fix}.`,
      );
    }
    if (have.enableMessageOrdering !== true) {
      throw new Error(
        `Subscription "${name}" was created without message ordering, which cannot be turned on; ${fix}.`,
      );
    }
    const update: SubscriptionMetadata = {};
    if (have.ackDeadlineSeconds !== want.ackDeadlineSeconds) update.ackDeadlineSeconds = want.ackDeadlineSeconds;
    if (
      durationMs(have.retryPolicy?.minimumBackoff) !== this.minBackoffMs ||
      durationMs(have.retryPolicy?.maximumBackoff) !== this.maxBackoffMs
    ) {
      update.retryPolicy = want.retryPolicy;
    }
    const haveDl = have.deadLetterPolicy?.deadLetterTopic
      ? `${have.deadLetterPolicy.deadLetterTopic}/${have.deadLetterPolicy.maxDeliveryAttempts}`
      : '';
    const wantDl = want.deadLetterPolicy
      ? `${want.deadLetterPolicy.deadLetterTopic}/${want.deadLetterPolicy.maxDeliveryAttempts}`
      : '';
    if (haveDl !== wantDl) update.deadLetterPolicy = want.deadLetterPolicy ?? null;
    if (Object.keys(update).length > 0) await sub.setMetadata(update);
  }

  private async publishRaw(
    topic: string,
    data: Buffer,
    attributes: Record<string, string>,
    orderingKey: string | undefined,
  ): Promise<string> {
    const t = this.topicClient(topic);
    try {
      return await t.publishMessage(
        orderingKey === undefined ? { data, attributes } : { data, attributes, orderingKey },
      );
    } catch (e) {
      // A failed ordered publish pauses its key in the client until resumed; the caller may retry.
      if (orderingKey !== undefined) t.resumePublishing(orderingKey);
      // The topic was deleted behind our back: create it again on the next publish.
      if (grpcCode(e) === GrpcCode.NOT_FOUND) this.ensuredTopics.delete(topic);
      throw new Error(`Publishing to Pub/Sub topic "${topic}" failed: ${errorText(e)}`, { cause: e });
    }
  }

  private tally(subscription: string, id: string): Tally {
    const key = `${subscription}\u0000${id}`;
    let t = this.tallies.get(key);
    if (!t) {
      if (this.tallies.size >= tallyPruneAbove) {
        const old = Date.now() - tallyTtlMs;
        for (const [k, v] of this.tallies) if (v.seenAt < old) this.tallies.delete(k);
      }
      t = { skipped: 0, runs: 0, seenAt: Date.now() };
      this.tallies.set(key, t);
    }
    t.seenAt = Date.now();
    return t;
  }

  private forget(subscription: string, id: string): void {
    this.tallies.delete(`${subscription}\u0000${id}`);
  }

  /** Gives a delivery back unprocessed; Pub/Sub will count it, the bus will not. */
  private handBack(att: Attachment, m: Message): void {
    this.tally(att.name, m.id).skipped += 1;
    m.nack();
  }

  private track(att: Attachment, run: Promise<void>): void {
    att.inflight.add(run);
    void run.finally(() => att.inflight.delete(run));
  }

  private onMessage(att: Attachment, m: Message): void {
    att.reopenDelayMs = reopenFirstDelayMs;
    if (att.stopping || this.closing) {
      this.handBack(att, m);
      return;
    }
    if (att.runnerFilter !== undefined && m.attributes[runnerAttribute] !== att.runnerFilter) {
      // What Pub/Sub does with a message its filter rejects (the emulator does not apply filters).
      m.ack();
      return;
    }
    const key = m.orderingKey || undefined;
    if (key === undefined) {
      this.track(
        att,
        this.run(att, m).then(() => undefined),
      );
      return;
    }
    let lane = att.lanes.get(key);
    if (!lane) {
      lane = { queue: [], busy: false, rewind: undefined };
      att.lanes.set(key, lane);
    }
    if (lane.rewind) {
      if (m.id !== lane.rewind.id && Date.now() < lane.rewind.untilMs) {
        this.handBack(att, m);
        return;
      }
      lane.rewind = undefined;
    }
    lane.queue.push(m);
    this.pump(att, key, lane);
  }

  private pump(att: Attachment, key: string, lane: Lane): void {
    if (lane.busy) return;
    if (att.stopping) {
      for (const m of lane.queue.splice(0)) this.handBack(att, m);
    }
    const head = lane.queue.shift();
    if (!head) {
      if (!lane.rewind && att.lanes.get(key) === lane) att.lanes.delete(key);
      return;
    }
    lane.busy = true;
    const run = this.run(att, head).then((acked) => {
      lane.busy = false;
      if (!acked) {
        for (const later of lane.queue.splice(0)) this.handBack(att, later);
        // Past the longest backoff (plus a deadline) the nacked message is surely not coming back here.
        lane.rewind = { id: head.id, untilMs: Date.now() + this.maxBackoffMs + this.ackDeadlineSeconds * 1000 };
      }
      this.pump(att, key, lane);
    });
    this.track(att, run);
  }

  /** Runs the handler on one delivery and settles it; resolves true if it was acknowledged. */
  private async run(att: Attachment, m: Message): Promise<boolean> {
    const tally = this.tally(att.name, m.id);
    tally.runs += 1;
    // Pub/Sub counts deliveries only on subscriptions with a dead-letter policy (0 elsewhere).
    const attempt = m.deliveryAttempt > 0 ? Math.max(1, m.deliveryAttempt - tally.skipped) : tally.runs;
    let data: unknown;
    try {
      data = JSON.parse(m.data.toString('utf8'));
    } catch (e) {
      // Not published by a Bus: no redelivery can fix it.
      return this.deadLetter(att, m, attempt, new Error(`The message data is not JSON: ${errorText(e)}`));
    }
    const msg: BusMessage = {
      id: m.id,
      data,
      attributes: { ...m.attributes },
      orderingKey: m.orderingKey || undefined,
      deliveryAttempt: attempt,
    };
    try {
      await att.handler(msg);
    } catch (error) {
      if (attempt >= this.maxDeliveryAttempts) return this.deadLetter(att, m, attempt, error);
      m.nack();
      return false;
    }
    m.ack();
    this.forget(att.name, m.id);
    return true;
  }

  private async deadLetter(att: Attachment, m: Message, attempts: number, error: unknown): Promise<boolean> {
    const orderingKey = m.orderingKey || undefined;
    if (att.topic === this.deadLetterTopic) {
      // A dead letter failing on its own topic would circle forever; it is dropped (and reported).
      m.ack();
      this.forget(att.name, m.id);
      const text = m.data.toString('utf8');
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // Not JSON (which may be why it failed): reported as the text it is.
      }
      const message: BusMessage = {
        id: m.id,
        data,
        attributes: { ...m.attributes },
        orderingKey,
        deliveryAttempt: attempts,
      };
      queueMicrotask(() => this.onDropped({ topic: att.topic, subscription: att.name, message, error }));
      return true;
    }
    try {
      await this.ensureTopic(this.deadLetterTopic);
      await this.publishRaw(
        this.deadLetterTopic,
        m.data,
        {
          ...m.attributes,
          [DeadLetterAttributes.sourceTopic]: att.topic,
          [DeadLetterAttributes.sourceSubscription]: att.name,
          [DeadLetterAttributes.sourceMessageId]: m.id,
          [DeadLetterAttributes.deliveryAttempts]: String(attempts),
          [DeadLetterAttributes.lastError]: errorText(error).slice(0, deadLetterErrorChars),
        },
        orderingKey,
      );
    } catch (e) {
      this.onError(
        new Error(
          `could not dead-letter message ${m.id} of "${att.name}" (it will be delivered again): ${errorText(e)}`,
          { cause: e },
        ),
      );
      m.nack();
      return false;
    }
    m.ack();
    this.forget(att.name, m.id);
    return true;
  }

  /** Stops pulling, gives back what waits for its key, and waits for the handlers in flight. */
  private detach(att: Attachment): Promise<void> {
    att.stopping ??= (async () => {
      if (this.attachments.get(att.name) === att) this.attachments.delete(att.name);
      if (att.reopenTimer) clearTimeout(att.reopenTimer);
      att.reopenTimer = undefined;
      for (const lane of att.lanes.values()) {
        for (const m of lane.queue.splice(0)) this.handBack(att, m);
      }
      // The listeners stay: a late 'error' without one would crash the process, and a late message
      // is handed back by onMessage.
      await Promise.all([att.sub.close(), Promise.allSettled([...att.inflight])]);
    })();
    return att.stopping;
  }

  /**
   * The client closes a subscription by itself when its stream fails for good (the subscription was
   * deleted, permissions changed, the emulator had an internal error): it has nacked everything it
   * held. The bus says so and opens it again (creating it again if it is gone), with growing waits.
   */
  private onSubscriberClosed(att: Attachment): void {
    if (att.stopping || this.closing) return;
    for (const lane of att.lanes.values()) {
      for (const m of lane.queue.splice(0)) this.tally(att.name, m.id).skipped += 1;
      lane.rewind = undefined;
    }
    this.onError(new Error(`subscription "${att.name}" stopped pulling; opening it again in ${att.reopenDelayMs} ms.`));
    const delayMs = att.reopenDelayMs;
    // Grows while the stream keeps failing; a delivered message sets it back.
    att.reopenDelayMs = Math.min(reopenMaxDelayMs, att.reopenDelayMs * 2);
    const reopen = async () => {
      att.reopenTimer = undefined;
      if (att.stopping || this.closing) return;
      try {
        await this.ensureSubscription(att.topic, att.name);
        if (att.stopping || this.closing) return;
        att.sub.open();
      } catch (e) {
        att.reopenDelayMs = Math.min(reopenMaxDelayMs, att.reopenDelayMs * 2);
        this.onError(
          new Error(
            `could not open subscription "${att.name}" again (next try in ${att.reopenDelayMs} ms): ${errorText(e)}`,
            { cause: e },
          ),
        );
        att.reopenTimer = setTimeout(reopen, att.reopenDelayMs);
      }
    };
    att.reopenTimer = setTimeout(reopen, delayMs);
  }
}

/** Creates the bus and its start-up topics and dead-letter subscription (existing ones are fine). */
export async function createPubSubBus(opts: PubSubBusOptions): Promise<PubSubBus> {
  const bus = new PubSubBus(opts);
  try {
    await bus.start();
  } catch (e) {
    await bus.close();
    throw e;
  }
  return bus;
}
