/**
 * Attributes added to a message moved to the dead-letter topic, next to its own attributes.
 * Every Bus adapter sets the same names so that whoever reads the dead-letter topic need not know
 * which bus it runs on. (Candidate for core/ports/bus.ts once the Pub/Sub adapter exists.)
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
