import type { MeResponse, UpdateMeBody } from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';

export interface ProfileControllerOptions {
  api: ApiClient;
  /** Who is signed in (changes when another person signs in); null when nobody is. */
  userKey: () => string | null;
  /** Each profile as GET or PATCH /api/me answered it (to learn the runner's address, the language). */
  onProfile?: (me: MeResponse) => void;
}

/**
 * The signed-in person's profile (GET /api/me), fetched again when another person signs in, and
 * their own settings saved with PATCH /api/me.
 */
export class ProfileController implements ReactiveController {
  /** The latest profile; null while loading, after a failure, or signed out. */
  me: MeResponse | null = null;
  saving = false;
  saveError: ApiError | null = null;

  private key: string | null = null;
  private readonly loader: Task<readonly [string | null], MeResponse | null>;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: ProfileControllerOptions,
  ) {
    host.addController(this);
    this.loader = new Task(host, {
      args: () => [this.options.userKey()] as const,
      task: async ([key], { signal }) => (key ? this.options.api.me(signal) : null),
      onComplete: (me) => {
        if (me) this.accept(me);
      },
    });
  }

  get loadError(): ApiError | null {
    return this.loader.status === TaskStatus.ERROR ? asApiError(this.loader.error) : null;
  }

  hostUpdate(): void {
    const key = this.options.userKey();
    if (key === this.key) return;
    // Another person (or nobody): nothing of the previous profile may show.
    this.key = key;
    this.me = null;
    this.saving = false;
    this.saveError = null;
  }

  /** Saves the person's settings; resolves to whether it worked (the error is in `saveError`). */
  async update(body: UpdateMeBody): Promise<boolean> {
    const key = this.key;
    this.saving = true;
    this.saveError = null;
    this.host.requestUpdate();
    try {
      const me = await this.options.api.updateMe(body);
      if (key === this.key) this.accept(me);
      return true;
    } catch (e) {
      if (key === this.key) this.saveError = asApiError(e);
      return false;
    } finally {
      if (key === this.key) this.saving = false;
      this.host.requestUpdate();
    }
  }

  /**
   * Saves a setting in the background (the header's language switch): no progress or error is
   * shown, because the choice already applies in this browser; a failure is logged for support.
   */
  async updateQuietly(body: UpdateMeBody): Promise<void> {
    const key = this.key;
    try {
      const me = await this.options.api.updateMe(body);
      if (key === this.key) this.accept(me);
    } catch (e) {
      console.warn('Could not save the setting; it applies in this browser only', body, e);
    }
  }

  private accept(me: MeResponse): void {
    this.me = me;
    this.options.onProfile?.(me);
    this.host.requestUpdate();
  }
}
