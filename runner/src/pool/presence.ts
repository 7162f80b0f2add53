import { isRunnerHealthy } from '@agent-platform/core/domain';
import type { Bus, Clock, Store } from '@agent-platform/core/ports';
import { publishChatTurn } from '@agent-platform/functions/services/messages';
import type { Logger } from '../log.js';

export interface PresenceOptions {
  store: Store;
  bus: Bus;
  clock: Clock;
  log: Logger;
  runnerId: string;
  /** Where browsers open this runner's WebSocket. */
  wsUrl: string;
  capacity: number;
  /** Conversations with a live Claude process now (reported with each heartbeat). */
  activeSessions: () => number;
  /** Default 5 s. */
  heartbeatMs?: number;
  /** A runner silent this long is taken over by a peer. Default 3 heartbeats. */
  leaseMs?: number;
  /**
   * After each sweep of a dead peer: what else it left behind (its agent runs). `movedUsers` are the
   * users this runner's sweep moved. Called on every tick while the peer is down; must be idempotent.
   */
  onPeerLost?: (deadRunnerId: string, movedUsers: ReadonlySet<string>) => Promise<void>;
}

/**
 * A runner's place in the pool. It heartbeats (which keeps its lease and its users), and it
 * watches its peers: when a peer's lease ends, one healthy runner takes it over (exactly once,
 * through the Store), places each of its users again, and publishes their open messages to the
 * users' new runners, so no job addressed to the dead runner is lost. A job that reaches a runner
 * which no longer serves its user is dropped there (`serves`), because the new runner got it.
 */
export class RunnerPresence {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly heartbeatMs: number;
  readonly leaseMs: number;

  constructor(private readonly o: PresenceOptions) {
    this.heartbeatMs = o.heartbeatMs ?? 5000;
    this.leaseMs = o.leaseMs ?? 3 * this.heartbeatMs;
  }

  /** Registers the runner (first heartbeat) and starts the loop. */
  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  /** Whether this runner serves the user now (a job for a user moved elsewhere is not run here). */
  async serves(userId: string): Promise<boolean> {
    const placement = await this.o.store.getPlacement(userId);
    return placement?.runnerId === this.o.runnerId;
  }

  /** One heartbeat and one look at the peers (the loop calls it; tests may too). */
  async tick(): Promise<void> {
    await this.beat();
    await this.takeOverSilentPeers();
  }

  /** Stops the loop and ends the lease now, so a peer takes the users over at once. */
  async stop(opts: { retire: boolean } = { retire: true }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (opts.retire) await this.o.store.retireRunner(this.o.runnerId, this.o.clock.now());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((e: unknown) => this.o.log.warn('runner heartbeat failed', { error: e }))
        .finally(() => this.schedule());
    }, this.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.o.store.heartbeatRunner({
      id: this.o.runnerId,
      wsUrl: this.o.wsUrl,
      capacity: this.o.capacity,
      activeSessions: this.o.activeSessions(),
      now: this.o.clock.now(),
      leaseMs: this.leaseMs,
    });
  }

  private async takeOverSilentPeers(): Promise<void> {
    const { store, clock, log } = this.o;
    const now = clock.now();
    for (const peer of await store.listRunners()) {
      if (peer.id === this.o.runnerId || isRunnerHealthy(peer, now)) continue;
      if (peer.state === 'up' && (await store.takeOverRunner(peer.id, now))) {
        log.warn('runner silent: its users are placed again', { runner: peer.id });
      }
      // Every healthy runner sweeps the users still placed on a dead one (so a sweep cut short by
      // an outage is finished by the next tick); placeUser moves each user once, and only the
      // runner whose call moved the user sends that user's open messages on.
      const moved = new Set<string>();
      for (const p of await store.listPlacements(peer.id)) {
        if (await this.replace(p.userId, peer.id)) moved.add(p.userId);
      }
      await this.o.onPeerLost?.(peer.id, moved);
    }
  }

  /** Places the user again; true when this call moved the user off the dead runner. */
  private async replace(userId: string, deadRunnerId: string): Promise<boolean> {
    const { runner, previousRunnerId } = await this.o.store.placeUser(userId, this.o.clock.now());
    if (previousRunnerId !== deadRunnerId) return false;
    const open = await this.o.store.listOpenMessages(userId);
    for (const m of open) {
      await publishChatTurn(this.o.bus, { sessionId: m.sessionId, ownerId: m.ownerId, messageId: m.id }, runner.id);
    }
    this.o.log.info('user moved', { userId, from: deadRunnerId, to: runner.id, openMessages: open.length });
    return true;
  }
}
