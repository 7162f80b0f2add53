/**
 * What a model response costs, from its `usage`. Prices are Anthropic's list prices in USD per
 * million tokens (https://docs.anthropic.com/en/docs/about-claude/pricing, checked 2025-11). They
 * meter budgets, not invoices: long-context premiums (Sonnet above 200k input tokens), batch
 * discounts and data-residency multipliers are not modelled.
 */

export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok: number;
  /** Writes to the default (5-minute) prompt cache. */
  cacheWrite5mPerMTok: number;
  /** Writes to the 1-hour prompt cache. */
  cacheWrite1hPerMTok: number;
}

export interface PriceFamily {
  /** A name for logs and tests, e.g. `sonnet-4`. */
  family: string;
  /** Tested against the model id the API reports (`claude-sonnet-4-5-20250929`, Bedrock/Vertex ids too). */
  match: RegExp;
  price: ModelPrice;
}

export interface PricingTable {
  /** Tried in order; the first match wins. */
  families: readonly PriceFamily[];
  /** For model ids no family matches. */
  fallback: ModelPrice;
  /** USD per server-side web search request (Claude Code's WebSearch tool). */
  webSearchUsd: number;
}

/** Token counts of one response, as the API's `usage` reports them. */
export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** All cache writes (`cache_creation_input_tokens`), 5-minute and 1-hour together. */
  cacheCreationTokens: number;
  /** The part of `cacheCreationTokens` written to the 1-hour cache (`cache_creation.ephemeral_1h_input_tokens`). */
  cacheCreation1hTokens?: number;
  /** `server_tool_use.web_search_requests`. */
  webSearchRequests?: number;
}

/** Anthropic's usual multipliers on the input price: 5-minute write 1.25x, 1-hour write 2x, read 0.1x. */
function standard(inputPerMTok: number, outputPerMTok: number): ModelPrice {
  return {
    inputPerMTok,
    outputPerMTok,
    cacheReadPerMTok: inputPerMTok * 0.1,
    cacheWrite5mPerMTok: inputPerMTok * 1.25,
    cacheWrite1hPerMTok: inputPerMTok * 2,
  };
}

const OPUS_LEGACY = standard(15, 75);

// Version digits are followed by a non-digit or the end, so a date suffix (`opus-4-20250514`) is
// never read as a minor version.
export const defaultPricing: PricingTable = {
  families: [
    { family: 'opus-4.5+', match: /opus-(?:4-[5-9]|[5-9])(?!\d)/, price: standard(5, 25) },
    { family: 'opus', match: /opus/, price: OPUS_LEGACY },
    { family: 'sonnet', match: /sonnet/, price: standard(3, 15) },
    { family: 'haiku-3.5', match: /3-5-haiku/, price: standard(0.8, 4) },
    {
      family: 'haiku-3',
      match: /3-haiku/,
      price: {
        inputPerMTok: 0.25,
        outputPerMTok: 1.25,
        cacheReadPerMTok: 0.03,
        cacheWrite5mPerMTok: 0.3,
        cacheWrite1hPerMTok: 0.5,
      },
    },
    { family: 'haiku', match: /haiku/, price: standard(1, 5) },
  ],
  // The dearest list price, so that a model this table does not know (a newer one, or another
  // model behind a gateway) can only make a budget run out early, never let it be overspent.
  fallback: OPUS_LEGACY,
  webSearchUsd: 10 / 1000,
};

/** The price of a model id, and whether a family matched (false: the fallback was used). */
export function priceOf(model: string, table: PricingTable = defaultPricing): { price: ModelPrice; known: boolean } {
  const id = model.toLowerCase();
  const hit = table.families.find((f) => f.match.test(id));
  return hit ? { price: hit.price, known: true } : { price: table.fallback, known: false };
}

/** USD for one response. */
export function costUsd(model: string, usage: PricedUsage, table: PricingTable = defaultPricing): number {
  const { price } = priceOf(model, table);
  const write1h = Math.min(usage.cacheCreation1hTokens ?? 0, usage.cacheCreationTokens);
  const write5m = usage.cacheCreationTokens - write1h;
  const perMTok =
    usage.inputTokens * price.inputPerMTok +
    usage.outputTokens * price.outputPerMTok +
    usage.cacheReadTokens * price.cacheReadPerMTok +
    write5m * price.cacheWrite5mPerMTok +
    write1h * price.cacheWrite1hPerMTok;
  return perMTok / 1_000_000 + (usage.webSearchRequests ?? 0) * table.webSearchUsd;
}
