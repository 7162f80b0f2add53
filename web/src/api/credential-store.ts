import { SignInResponse } from '@agent-platform/core/protocol';

const storageKey = 'ap.credential';

/** Keeps the credential from sign-in across reloads (localStorage). */
export class CredentialStore {
  private cached: SignInResponse | null;

  constructor(
    private readonly storage: Storage | null,
    now: number,
  ) {
    this.cached = this.read(now);
  }

  get current(): SignInResponse | null {
    return this.cached;
  }

  get credential(): string | null {
    return this.cached?.credential ?? null;
  }

  save(signIn: SignInResponse): void {
    this.cached = signIn;
    this.storage?.setItem(storageKey, JSON.stringify(signIn));
  }

  clear(): void {
    this.cached = null;
    this.storage?.removeItem(storageKey);
  }

  private read(now: number): SignInResponse | null {
    const raw = this.storage?.getItem(storageKey);
    if (!raw) return null;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = null;
    }
    const parsed = SignInResponse.safeParse(value);
    // A damaged or expired entry is the same as none: the user signs in again.
    if (!parsed.success || parsed.data.expiresAt <= now) {
      this.storage?.removeItem(storageKey);
      return null;
    }
    return parsed.data;
  }
}
