import { randomUUID } from 'node:crypto';
import {
  type Bus,
  type BusHandler,
  type BusMessage,
  DeadLetterAttributes,
  deadLetterErrorChars,
  type PublishOptions,
} from '@agent-platform/core/ports';

export interface MemoryBusOptions {
  /** Wait before redelivering a nacked message the first time; doubles with each attempt. Default 100. */
  minBackoffMs?: number;
  /** Cap on the redelivery wait. Default 10_000. */
  maxBackoffMs?: number;
  /** Deliveries of one message before it is dead-lettered and dropped. Default 5. */
  maxDeliveryAttempts?: number;
  /** Where dead messages go, with `DeadLetterAttributes`. Default: none (they are dropped). */
  deadLetterTopic?: string;
  /**
   * Told about a message dropped after its last attempt when there is no dead-letter topic to keep
   * it. Default: one line on stderr, so the loss is never silent.
   */
  onDropped?: (dropped: DroppedMessage) => void;
}

export interface DroppedMessage {
  topic: string;
  subscription: string;
  message: BusMessage;
  error: unknown;
}

interface Envelope {
  id: string;
  /** Private copy: never handed to a handler (each delivery gets its own clone). */
  data: unknown;
  attributes: Record<string, string>;
  orderingKey: string | undefined;
}

interface Pending {
  env: Envelope;
  /** Deliveries so far. */
  attempts: number;
  /** Not to be delivered before this time (ms since epoch): the backoff after a nack. */
  readyAt: number;
}

/**
 * Messages delivered one at a time in order: all messages of one ordering key, or a single
 * message without a key (so keyless messages never wait for each other).
 */
interface Lane {
  key: string | undefined;
  queue: Pending[];
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Attachment {
  handler: BusHandler<unknown>;
}

class Subscription {
  readonly keyed = new Map<string, Lane>();
  readonly keyless = new Set<Lane>();
  attachment: Attachment | undefined;
  readonly inflight = new Set<Promise<void>>();

  constructor(
    readonly topic: string,
    readonly name: string,
  ) {}

  lanes(): Lane[] {
    return [...this.keyed.values(), ...this.keyless];
  }

  /** Detaches the handler and cancels backoff timers; queued messages stay for a later handler. */
  detach(): Promise<unknown> {
    this.attachment = undefined;
    for (const lane of this.lanes()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    return Promise.allSettled([...this.inflight]);
  }
}

type Outcome = { ok: true } | { ok: false; error: unknown };

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function assertName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`The ${what} name must be a non-empty string.`);
}

/**
 * The in-process Bus of the local deployment, with Pub/Sub's delivery rules: a subscription gets
 * the messages published after it was created (and keeps them while no handler is attached); each
 * message is delivered at least once; ordering keys serialise; nacks are redelivered with
 * exponential backoff and end on the dead-letter topic. Nothing survives the process.
 */
export class MemoryBus implements Bus {
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxDeliveryAttempts: number;
  private readonly deadLetterTopic: string | undefined;
  private readonly onDropped: (d: DroppedMessage) => void;
  private readonly topics = new Map<string, Set<Subscription>>();
  private readonly subscriptions = new Map<string, Subscription>();
  private closing: Promise<void> | undefined;

  constructor(opts: MemoryBusOptions = {}) {
    this.minBackoffMs = opts.minBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxDeliveryAttempts = opts.maxDeliveryAttempts ?? 5;
    this.deadLetterTopic = opts.deadLetterTopic;
    this.onDropped =
      opts.onDropped ??
      ((d) =>
        console.error(
          `bus: dropped message ${d.message.id} of ${d.topic}/${d.subscription} after ` +
            `${d.message.deliveryAttempt} attempts (no dead-letter topic): ${errorText(d.error)}`,
        ));
    if (!(this.minBackoffMs >= 0 && this.maxBackoffMs >= this.minBackoffMs)) {
      throw new RangeError('MemoryBus: need 0 <= minBackoffMs <= maxBackoffMs.');
    }
    if (!Number.isInteger(this.maxDeliveryAttempts) || this.maxDeliveryAttempts < 1) {
      throw new RangeError('MemoryBus: maxDeliveryAttempts must be an integer >= 1.');
    }
    if (this.deadLetterTopic !== undefined) assertName('dead-letter topic', this.deadLetterTopic);
  }

  async publish(topic: string, data: unknown, opts: PublishOptions = {}): Promise<string> {
    this.assertOpen('publish to');
    assertName('topic', topic);
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.attributes ?? {})) {
      if (typeof v !== 'string') throw new TypeError(`Bus attribute "${k}" must be a string, got ${typeof v}.`);
      attributes[k] = v;
    }
    let copy: unknown;
    try {
      // Cloned now so that a publisher changing its object afterwards does not change the message.
      copy = structuredClone(data);
    } catch (e) {
      throw new TypeError(`Bus message data must be plain data (structured-cloneable): ${errorText(e)}`);
    }
    const env: Envelope = {
      id: randomUUID(),
      data: copy,
      attributes,
      // Pub/Sub treats an empty key as no key.
      orderingKey: opts.orderingKey || undefined,
    };
    this.enqueue(topic, env);
    return env.id;
  }

  async subscribe<T = unknown>(
    topic: string,
    subscription: string,
    handler: BusHandler<T>,
  ): Promise<() => Promise<void>> {
    this.assertOpen('subscribe to');
    assertName('topic', topic);
    assertName('subscription', subscription);
    let sub = this.subscriptions.get(subscription);
    if (sub && sub.topic !== topic) {
      throw new Error(
        `Subscription "${subscription}" belongs to topic "${sub.topic}", not "${topic}"; use another subscription name.`,
      );
    }
    if (sub?.attachment) {
      throw new Error(
        `Subscription "${subscription}" already has a handler; the in-process bus gives each subscription one. ` +
          'Call the first unsubscribe function, or use another subscription name.',
      );
    }
    if (!sub) {
      sub = new Subscription(topic, subscription);
      this.subscriptions.set(subscription, sub);
      const set = this.topics.get(topic) ?? new Set();
      this.topics.set(topic, set.add(sub));
    }
    const attachment: Attachment = { handler: handler as BusHandler<unknown> };
    sub.attachment = attachment;
    // Messages kept while no handler was attached.
    for (const lane of sub.lanes()) this.schedule(sub, lane);

    const attached = sub;
    return async () => {
      if (attached.attachment === attachment) await attached.detach();
    };
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      const subs = [...this.subscriptions.values()];
      await Promise.all(subs.map((s) => s.detach()));
      this.subscriptions.clear();
      this.topics.clear();
    })();
    return this.closing;
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new Error(`Cannot ${what} a closed bus; create a new one.`);
  }

  private enqueue(topic: string, env: Envelope): void {
    for (const sub of this.topics.get(topic) ?? []) {
      let lane = env.orderingKey === undefined ? undefined : sub.keyed.get(env.orderingKey);
      if (!lane) {
        lane = { key: env.orderingKey, queue: [], busy: false, timer: undefined };
        if (lane.key === undefined) sub.keyless.add(lane);
        else sub.keyed.set(lane.key, lane);
      }
      lane.queue.push({ env, attempts: 0, readyAt: 0 });
      this.schedule(sub, lane);
    }
  }

  /** Handlers never run inside publish() or subscribe(): their caller's stack stays theirs. */
  private schedule(sub: Subscription, lane: Lane): void {
    queueMicrotask(() => this.pump(sub, lane));
  }

  private pump(sub: Subscription, lane: Lane): void {
    const attachment = sub.attachment;
    if (this.closing || !attachment || lane.busy || lane.timer) return;
    const head = lane.queue[0];
    if (!head) {
      if (lane.key === undefined) sub.keyless.delete(lane);
      else if (sub.keyed.get(lane.key) === lane) sub.keyed.delete(lane.key);
      return;
    }
    const waitMs = head.readyAt - Date.now();
    if (waitMs > 0) {
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        this.pump(sub, lane);
      }, waitMs);
      // A pending redelivery alone must not keep the process running.
      lane.timer.unref();
      return;
    }
    lane.busy = true;
    head.attempts += 1;
    const msg: BusMessage = {
      id: head.env.id,
      data: structuredClone(head.env.data),
      attributes: { ...head.env.attributes },
      orderingKey: head.env.orderingKey,
      deliveryAttempt: head.attempts,
    };
    const run = deliver(attachment.handler, msg).then((outcome) => this.settle(sub, lane, head, outcome));
    sub.inflight.add(run);
    void run.finally(() => sub.inflight.delete(run));
  }

  private settle(sub: Subscription, lane: Lane, head: Pending, outcome: Outcome): void {
    lane.busy = false;
    if (outcome.ok) {
      lane.queue.shift();
    } else if (head.attempts >= this.maxDeliveryAttempts) {
      lane.queue.shift();
      this.deadLetter(sub, head, outcome.error);
    } else {
      const backoffMs = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (head.attempts - 1));
      head.readyAt = Date.now() + backoffMs;
    }
    this.pump(sub, lane);
  }

  private deadLetter(sub: Subscription, p: Pending, error: unknown): void {
    const dlt = this.deadLetterTopic;
    // A dead letter failing on its own topic would circle forever; it is dropped (and reported).
    if (dlt === undefined || dlt === sub.topic) {
      const message: BusMessage = {
        id: p.env.id,
        data: p.env.data,
        attributes: { ...p.env.attributes },
        orderingKey: p.env.orderingKey,
        deliveryAttempt: p.attempts,
      };
      // Outside the delivery bookkeeping, so a throwing callback cannot wedge the lane.
      queueMicrotask(() => this.onDropped({ topic: sub.topic, subscription: sub.name, message, error }));
      return;
    }
    this.enqueue(dlt, {
      id: randomUUID(),
      data: p.env.data,
      attributes: {
        ...p.env.attributes,
        [DeadLetterAttributes.sourceTopic]: sub.topic,
        [DeadLetterAttributes.sourceSubscription]: sub.name,
        [DeadLetterAttributes.sourceMessageId]: p.env.id,
        [DeadLetterAttributes.deliveryAttempts]: String(p.attempts),
        [DeadLetterAttributes.lastError]: errorText(error).slice(0, deadLetterErrorChars),
      },
      orderingKey: p.env.orderingKey,
    });
  }
}

async function deliver(handler: BusHandler<unknown>, msg: BusMessage): Promise<Outcome> {
  try {
    await handler(msg);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

export function createMemoryBus(opts?: MemoryBusOptions): MemoryBus {
  return new MemoryBus(opts);
}
