import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostNameservers } from './select.js';

describe('hostNameservers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ap-resolv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the IPv4 resolvers, without loopback stubs, IPv6, comments or duplicates', () => {
    const file = path.join(dir, 'resolv.conf');
    writeFileSync(
      file,
      '# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver fd00::1\n  nameserver 169.254.169.254 \nsearch x\nnameserver 10.255.255.53\n',
    );
    expect(hostNameservers(file)).toEqual(['10.255.255.53', '169.254.169.254']);
  });

  it('gives none when the file is missing', () => {
    expect(hostNameservers(path.join(dir, 'missing'))).toEqual([]);
  });
});
