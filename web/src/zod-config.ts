/**
 * Core's schemas use zod, which probes `new Function` once to decide whether to compile parsers.
 * The server's Content-Security-Policy forbids eval, so Chromium reports a CSP violation on every
 * page load although zod falls back. zod's documented switch is `z.config({ jitless: true })`,
 * but web/ does not depend on zod directly; zod keeps that config on this global, read when it
 * loads, so setting it first (this module is imported before anything that imports zod) does the
 * same. If web/ ever depends on zod itself, call `z.config({ jitless: true })` instead.
 */
const holder = globalThis as { __zod_globalConfig?: Record<string, unknown> };
holder.__zod_globalConfig = { ...holder.__zod_globalConfig, jitless: true };
