import { z } from 'zod';

// Core's schemas use zod, which probes `new Function` to decide whether to compile parsers; the
// server's Content-Security-Policy forbids eval, so Chromium would log a violation on every load.
// Parsing without compiled parsers is plenty fast for this app's frames.
z.config({ jitless: true });
