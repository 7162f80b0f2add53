import type { RunFileContent } from '@agent-platform/core/protocol';
import type { Locale } from '../i18n/index.js';

/**
 * How the run page shows a file's content: as text (pre-formatted), JSON (pretty-printed), a
 * table (CSV, TSV), an image; or not at all (`none`: a binary format the browser cannot show).
 */
export type FileViewKind = 'text' | 'json' | 'csv' | 'tsv' | 'image' | 'none';

/** Images an <img> shows safely from a data: URL (SVG too: as an image, its scripts never run). */
const imageTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml']);

/** Application types that are text. */
const textTypes = new Set([
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/x-javascript',
  'application/x-sh',
  'application/x-python',
  'application/sql',
  'application/x-ndjson',
  'application/x-tex',
]);

const byExtension: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  geojson: 'application/json',
  ndjson: 'application/x-ndjson',
  jsonl: 'application/x-ndjson',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  ini: 'text/plain',
  cfg: 'text/plain',
  py: 'text/x-python',
  js: 'application/javascript',
  ts: 'text/plain',
  sh: 'application/x-sh',
  sql: 'application/sql',
  css: 'text/css',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

/** The media type without parameters, lower case: `Text/CSV; charset=utf-8` → `text/csv`. */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** A content type guessed from the file's name (its extension); null when unknown. */
export function contentTypeFromPath(path: string): string | null {
  const name = path.split('/').pop() ?? '';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  return byExtension[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** How to show a file: by its content type, else by its name. */
export function fileViewKind(file: { path: string; contentType?: string | undefined }): FileViewKind {
  const type = mediaType(file.contentType || contentTypeFromPath(file.path) || '');
  if (!type) return 'none';
  if (imageTypes.has(type)) return 'image';
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === 'text/tab-separated-values') return 'tsv';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type.startsWith('text/') || textTypes.has(type) || type.endsWith('+xml')) return 'text';
  return 'none';
}

/** The content as text, whichever way it was sent (text sent as base64 is decoded as UTF-8). */
export function contentText(content: Pick<RunFileContent, 'encoding' | 'content'>): string {
  if (content.encoding === 'utf8') return content.content;
  const binary = atob(content.content);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * A data: URL for an <img>, or null for a type that is not one of the shown images. The URL is
 * only ever an <img>'s src: an SVG shown that way cannot run scripts or reach the page.
 */
export function imageDataUrl(content: Pick<RunFileContent, 'contentType' | 'encoding' | 'content'>): string | null {
  const type = mediaType(content.contentType);
  if (!imageTypes.has(type)) return null;
  if (content.encoding === 'base64') return `data:${type};base64,${content.content.replace(/\s+/g, '')}`;
  return `data:${type};charset=utf-8,${encodeURIComponent(content.content)}`;
}

/** JSON indented for reading; the text as it is when it does not parse. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not valid JSON (cut short, or JSON lines): show it as it was written.
    return text;
  }
}

const byteUnits = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A size for people: "512 bytes", "1.5 kB", "12 MB" (1 kB = 1000 bytes, as file managers show it). */
export function formatBytes(locale: Locale, bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < byteUnits.length - 1) {
    value /= 1000;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: byteUnits[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 || value >= 100 ? 0 : 1,
  }).format(value);
}
