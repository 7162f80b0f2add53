import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BusMessage } from '@agent-platform/core/ports';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeBusContract } from '../../../../test/contracts/bus.contract.js';
import { createMemoryBus, type DroppedMessage, type MemoryBus } from './memory.js';

describeBusContract('memory', async (opts) => {
  const bus = createMemoryBus(opts);
  return { bus, cleanup: () => bus.close() };
});

describe('MemoryBus', () => {
  const buses: MemoryBus[] = [];
  const newBus = (...args: Parameters<typeof createMemoryBus>) => {
    const bus = createMemoryBus(...args);
    buses.push(bus);
    return bus;
  };

  afterEach(async () => {
    vi.useRealTimers();
    for (const b of buses.splice(0)) await b.close();
  });

  it('delivers what was published, not what the publisher changed afterwards', async () => {
    const bus = newBus();
    const got: BusMessage<{ list: number[] }>[] = [];
    await bus.subscribe<{ list: number[] }>('t', 's1', async (m) => {
      got.push(m);
      // A handler changing its copy must not leak into another subscription or a redelivery.
      m.data.list.push(99);
      if (m.deliveryAttempt === 1) throw new Error('again');
    });
    const other: BusMessage<{ list: number[] }>[] = [];
    await bus.subscribe<{ list: number[] }>('t', 's2', async (m) => {
      other.push(m);
    });
    const data = { list: [1] };
    await bus.publish('t', data);
    data.list.push(2);
    await vi.waitFor(() => expect(got).toHaveLength(2), { timeout: 5000 });
    expect(got[1]?.data.list).toEqual([1, 99]);
    expect(other.map((m) => m.data)).toEqual([{ list: [1] }]);
  });

  it('refuses data that cannot be cloned', async () => {
    const bus = newBus();
    await expect(bus.publish('t', { f: () => 1 })).rejects.toThrow(/structured-cloneable/);
  });

  it('gives every message a unique id', async () => {
    const bus = newBus();
    const ids = await Promise.all(Array.from({ length: 1000 }, (_, i) => bus.publish('t', i)));
    expect(new Set(ids).size).toBe(1000);
  });

  it('backs off exponentially up to the cap between redeliveries', async () => {
    vi.useFakeTimers({ now: 0 });
    const bus = newBus({ minBackoffMs: 100, maxBackoffMs: 400, maxDeliveryAttempts: 6, onDropped: () => {} });
    const at: number[] = [];
    await bus.subscribe('t', 's', async () => {
      at.push(Date.now());
      throw new Error('fail');
    });
    await bus.publish('t', 'x');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(at).toEqual([0, 100, 300, 700, 1100, 1500]);
  });

  it('reports a message dropped without a dead-letter topic', async () => {
    const dropped: DroppedMessage[] = [];
    const bus = newBus({ minBackoffMs: 1, maxBackoffMs: 1, maxDeliveryAttempts: 2, onDropped: (d) => dropped.push(d) });
    let calls = 0;
    await bus.subscribe('t', 's', async () => {
      calls += 1;
      throw new Error('bad message');
    });
    const id = await bus.publish('t', { a: 1 });
    await vi.waitFor(() => expect(dropped).toHaveLength(1), { timeout: 5000 });
    expect(calls).toBe(2);
    expect(dropped[0]).toMatchObject({
      topic: 't',
      subscription: 's',
      message: { id, data: { a: 1 }, deliveryAttempt: 2 },
      error: new Error('bad message'),
    });
  });

  it('refuses a second handler on one subscription and a subscription name reused on another topic', async () => {
    const bus = newBus();
    const stop = await bus.subscribe('t', 's', async () => {});
    await expect(bus.subscribe('t', 's', async () => {})).rejects.toThrow(/already has a handler/);
    await expect(bus.subscribe('other', 's', async () => {})).rejects.toThrow(/belongs to topic "t"/);
    await stop();
    await expect(bus.subscribe('t', 's', async () => {})).resolves.toBeTypeOf('function');
  });

  it('an old unsubscribe function does not detach a newer handler', async () => {
    const bus = newBus();
    const stopOld = await bus.subscribe('t', 's', async () => {});
    await stopOld();
    const got: unknown[] = [];
    await bus.subscribe('t', 's', async (m) => {
      got.push(m.data);
    });
    await stopOld();
    await bus.publish('t', 'still here');
    await vi.waitFor(() => expect(got).toEqual(['still here']), { timeout: 5000 });
  });

  it('refuses to subscribe once closed', async () => {
    const bus = newBus();
    await bus.close();
    await expect(bus.subscribe('t', 's', async () => {})).rejects.toThrow(/closed bus/);
  });

  it('does not keep the process alive for a pending redelivery', async () => {
    const memoryTs = fileURLToPath(new URL('./memory.ts', import.meta.url));
    // Without close(): the only thing left is a redelivery an hour away, which must not hold the process.
    const script = `
      const { createMemoryBus } = await import(${JSON.stringify(memoryTs)});
      const bus = createMemoryBus({ minBackoffMs: 3_600_000, maxBackoffMs: 3_600_000 });
      let delivered;
      const first = new Promise((r) => (delivered = r));
      await bus.subscribe('t', 's', async () => { delivered(); throw new Error('later'); });
      await bus.publish('t', 1);
      await first;
      console.log('delivered');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(killer);
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'delivered' });
  });
});
