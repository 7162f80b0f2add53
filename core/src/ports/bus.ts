export interface BusMessage<T = unknown> {
  id: string;
  data: T;
  attributes: Record<string, string>;
  orderingKey?: string | undefined;
  /** 1 on first delivery; grows with each redelivery. */
  deliveryAttempt: number;
}

export interface PublishOptions {
  /** Messages with the same key are delivered in publish order, one at a time. */
  orderingKey?: string;
  attributes?: Record<string, string>;
}

/**
 * A handler that resolves acknowledges the message; one that throws nacks it and it is delivered
 * again later (at least once). Handlers must therefore be idempotent.
 */
export type BusHandler<T = unknown> = (msg: BusMessage<T>) => Promise<void>;

export interface Bus {
  publish(topic: string, data: unknown, opts?: PublishOptions): Promise<string>;
  /** Starts delivering the topic's messages to the handler; returns a function that stops it. */
  subscribe<T = unknown>(topic: string, subscription: string, handler: BusHandler<T>): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Attributes added to a message moved to the dead-letter topic, next to its own attributes.
 * Every Bus adapter sets the same names so that whoever reads the dead-letter topic need not know
 * which bus it runs on.
 */
export const DeadLetterAttributes = {
  sourceTopic: 'deadLetterSourceTopic',
  sourceSubscription: 'deadLetterSourceSubscription',
  sourceMessageId: 'deadLetterSourceMessageId',
  deliveryAttempts: 'deadLetterDeliveryAttempts',
  /** The last handler error's message, cut to `deadLetterErrorChars`. */
  lastError: 'deadLetterLastError',
} as const;

/** Pub/Sub caps an attribute value at 1024 bytes; 256 characters of UTF-8 always fit. */
export const deadLetterErrorChars = 256;
