import { describe, expect, it } from 'vitest';
import {
  contentText,
  contentTypeFromPath,
  fileViewKind,
  formatBytes,
  imageDataUrl,
  mediaType,
  prettyJson,
} from './file-kind.js';

describe('fileViewKind', () => {
  it('goes by the content type first', () => {
    expect(fileViewKind({ path: 'out', contentType: 'text/csv' })).toBe('csv');
    expect(fileViewKind({ path: 'out', contentType: 'Text/CSV; charset=utf-8' })).toBe('csv');
    expect(fileViewKind({ path: 'a.txt', contentType: 'text/tab-separated-values' })).toBe('tsv');
    expect(fileViewKind({ path: 'a', contentType: 'text/markdown' })).toBe('text');
    expect(fileViewKind({ path: 'a', contentType: 'text/plain' })).toBe('text');
    expect(fileViewKind({ path: 'a', contentType: 'text/html' })).toBe('text');
    expect(fileViewKind({ path: 'a', contentType: 'application/json' })).toBe('json');
    expect(fileViewKind({ path: 'a', contentType: 'application/geo+json' })).toBe('json');
    expect(fileViewKind({ path: 'a', contentType: 'application/x-yaml' })).toBe('text');
    expect(fileViewKind({ path: 'a', contentType: 'application/atom+xml' })).toBe('text');
  });

  it('shows only the common web images', () => {
    for (const type of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml']) {
      expect(fileViewKind({ path: 'x', contentType: type }), type).toBe('image');
    }
    expect(fileViewKind({ path: 'x.tiff', contentType: 'image/tiff' })).toBe('none');
    expect(fileViewKind({ path: 'x.bmp', contentType: 'image/bmp' })).toBe('none');
  });

  it('falls back on the file name without a content type', () => {
    expect(fileViewKind({ path: 'reports/Prices.CSV' })).toBe('csv');
    expect(fileViewKind({ path: 'chart.png' })).toBe('image');
    expect(fileViewKind({ path: 'logo.svg' })).toBe('image');
    expect(fileViewKind({ path: 'data.json' })).toBe('json');
    expect(fileViewKind({ path: 'README.md' })).toBe('text');
    expect(fileViewKind({ path: 'main.py' })).toBe('text');
    expect(fileViewKind({ path: 'Makefile' })).toBe('none');
    expect(fileViewKind({ path: '.env' })).toBe('none');
    expect(fileViewKind({ path: 'book.xlsx' })).toBe('none');
    expect(fileViewKind({ path: 'a.pdf', contentType: 'application/pdf' })).toBe('none');
    expect(fileViewKind({ path: 'a.bin', contentType: 'application/octet-stream' })).toBe('none');
  });
});

describe('file content helpers', () => {
  it('reads the media type and the type from a name', () => {
    expect(mediaType(' TEXT/Plain ; charset=UTF-8')).toBe('text/plain');
    expect(contentTypeFromPath('/home/agent/agents/x/out.jpeg')).toBe('image/jpeg');
    expect(contentTypeFromPath('no-extension')).toBeNull();
  });

  it('decodes text sent either way, as UTF-8', () => {
    expect(contentText({ encoding: 'utf8', content: '가격,price' })).toBe('가격,price');
    const base64 = btoa(String.fromCharCode(...new TextEncoder().encode('가격,price\n')));
    expect(contentText({ encoding: 'base64', content: base64 })).toBe('가격,price\n');
  });

  it('makes data: URLs only for the shown images', () => {
    expect(imageDataUrl({ contentType: 'image/png', encoding: 'base64', content: 'iVBO\nRw0=' })).toBe(
      'data:image/png;base64,iVBORw0=',
    );
    expect(imageDataUrl({ contentType: 'image/svg+xml', encoding: 'utf8', content: '<svg a="#"/>' })).toBe(
      'data:image/svg+xml;charset=utf-8,%3Csvg%20a%3D%22%23%22%2F%3E',
    );
    expect(imageDataUrl({ contentType: 'text/html', encoding: 'utf8', content: '<script>' })).toBeNull();
  });

  it('indents JSON and leaves anything else as it is', () => {
    expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(prettyJson('{"a":1}\n{"a":2}')).toBe('{"a":1}\n{"a":2}');
  });

  it('formats sizes for people', () => {
    expect(formatBytes('en', 0)).toBe('0 bytes');
    expect(formatBytes('en', 512)).toBe('512 bytes');
    expect(formatBytes('en', 1500)).toBe('1.5 kB');
    expect(formatBytes('en', 12_345_678)).toBe('12.3 MB');
    expect(formatBytes('en', 250_000)).toBe('250 kB');
    expect(formatBytes('ko', 2_000_000)).toMatch(/^2\s?MB$/);
  });
});
