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
