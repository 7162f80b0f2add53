import { describe, expect, it } from 'vitest';
import { RunnerEndpoint, resolveWsUrl } from './runner-endpoint.js';

describe('resolveWsUrl', () => {
  it('takes a path on the page’s origin, with ws: for http: and wss: for https:', () => {
    expect(resolveWsUrl('/ws', 'http://127.0.0.1:8080/sessions/abc')).toBe('ws://127.0.0.1:8080/ws');
    expect(resolveWsUrl('/ws', 'https://app.example.com/')).toBe('wss://app.example.com/ws');
  });

  it('keeps an absolute ws(s) URL and turns an http(s) one into ws(s)', () => {
    expect(resolveWsUrl('ws://10.0.0.7:8081/ws', 'https://app.example.com/')).toBe('ws://10.0.0.7:8081/ws');
    expect(resolveWsUrl('wss://runner-2.example.com/ws', 'http://127.0.0.1/')).toBe('wss://runner-2.example.com/ws');
    expect(resolveWsUrl('https://runner-2.example.com/ws', 'http://127.0.0.1/')).toBe('wss://runner-2.example.com/ws');
  });
});

describe('RunnerEndpoint', () => {
  const page = () => 'http://127.0.0.1:5173/';

  it('uses the address /api/me gave, and asks again only when told to relocate', async () => {
    const answers = ['ws://runner-a:8081/ws', 'ws://runner-b:8081/ws'];
    let asked = 0;
    const endpoint = new RunnerEndpoint(async () => ({ wsUrl: answers[asked++] ?? 'none' }), page);
    endpoint.remember({ wsUrl: answers[0] ?? '' });
    expect(await endpoint.url()).toBe('ws://runner-a:8081/ws');
    expect(asked).toBe(0);
    asked = 1;
    expect(await endpoint.url(true)).toBe('ws://runner-b:8081/ws');
    expect(await endpoint.url()).toBe('ws://runner-b:8081/ws');
    expect(asked).toBe(2);
  });

  it('asks when it does not know, once for concurrent callers', async () => {
    let asked = 0;
    const endpoint = new RunnerEndpoint(async () => {
      asked++;
      return { wsUrl: '/ws' };
    }, page);
    const urls = await Promise.all([endpoint.url(), endpoint.url(true), endpoint.url()]);
    expect(urls).toEqual(['ws://127.0.0.1:5173/ws', 'ws://127.0.0.1:5173/ws', 'ws://127.0.0.1:5173/ws']);
    expect(asked).toBe(1);
    endpoint.forget();
    await endpoint.url();
    expect(asked).toBe(2);
  });

  it('passes the API’s failure on, and asks again next time', async () => {
    let fail = true;
    const endpoint = new RunnerEndpoint(async () => {
      if (fail) throw new Error('NETWORK_ERROR');
      return { wsUrl: 'ws://runner-c:8081/ws' };
    }, page);
    await expect(endpoint.url()).rejects.toThrow('NETWORK_ERROR');
    fail = false;
    await expect(endpoint.url()).resolves.toBe('ws://runner-c:8081/ws');
  });
});
