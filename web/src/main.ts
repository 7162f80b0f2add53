// The entry point. Order matters: zod's config must be in place before any module loads zod.
import './zod-config.js';
import './app-root.js';
