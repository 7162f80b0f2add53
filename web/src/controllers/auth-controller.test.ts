import type { SignInResponse } from '@agent-platform/core/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { describe, expect, it, vi } from 'vitest';
import type { FirebaseSession, GoogleSignInOutcome, Identity } from '../api/google-auth.js';
import { AuthController, signOutReasonFor } from './auth-controller.js';

class FakeHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  updates = 0;
  readonly updateComplete = Promise.resolve(true);
  addController(controller: ReactiveController): void {
    this.controllers.push(controller);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
}

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  } as Storage;
}

/** Firebase as the controller sees it: the test says who is signed in and hands out tokens. */
class FakeFirebase implements FirebaseSession {
  readonly ready: Promise<void>;
  finishRestoring: () => void = () => {};
  readonly tokenRequests: boolean[] = [];
  private readonly listeners = new Set<(identity: Identity | null) => void>();
  private current: Identity | null = null;

  constructor() {
    this.ready = new Promise((resolve) => {
      this.finishRestoring = resolve;
    });
  }

  onChange(listener: (identity: Identity | null) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }
  async idToken(forceRefresh: boolean): Promise<string | null> {
    this.tokenRequests.push(forceRefresh);
    if (!this.current) return null;
    return forceRefresh ? `fresh-${this.tokenRequests.length}` : 'id-token';
  }
  signInWithGoogle = vi.fn(async (): Promise<GoogleSignInOutcome> => {
    this.emit({ uid: 'g1', name: 'Ada', email: 'ada@example.com', photoUrl: 'https://example.com/ada.png' });
    return 'signed-in';
  });
  signOut = vi.fn(async () => this.emit(null));
  takeRedirectError = () => null;

  emit(identity: Identity | null): void {
    this.current = identity;
    for (const listener of this.listeners) listener(identity);
  }
}

const firebaseConfig = {
  kind: 'firebase' as const,
  apiKey: 'k',
  authDomain: 'demo.firebaseapp.com',
  projectId: 'demo-x',
  emulatorUrl: 'http://127.0.0.1:9099',
};

const localSignIn = (expiresAt = Date.now() + 60_000): SignInResponse => ({
  credential: 'local-cred',
  user: { id: 'local', name: 'Me', email: null },
  expiresAt,
});

/** Lets the controller's async start (load, restore) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function firebaseAuth() {
  const host = new FakeHost();
  const firebase = new FakeFirebase();
  const started: unknown[] = [];
  const auth = new AuthController(host, {
    storage: memoryStorage(),
    now: () => Date.now(),
    loadFirebase: async () => (config) => {
      started.push(config);
      return firebase;
    },
  });
  auth.hostConnected();
  return { auth, firebase, host, started };
}

describe('AuthController, local sign-in', () => {
  it('counts a stored credential at once, before the server says how to sign in', () => {
    const storage = memoryStorage();
    new AuthController(new FakeHost(), { storage, now: () => Date.now() }).signedInLocal(localSignIn());
    const auth = new AuthController(new FakeHost(), { storage, now: () => Date.now() });
    expect(auth.state).toBe('signed-in');
    expect(auth.person).toEqual({ name: 'Me', email: null, photoUrl: null });
    auth.configure({ kind: 'local' });
    expect(auth.state).toBe('signed-in');
  });

  it('waits for the server without a credential, then shows the sign-in', async () => {
    const auth = new AuthController(new FakeHost(), { storage: memoryStorage(), now: () => Date.now() });
    expect(auth.state).toBe('unknown');
    auth.configure({ kind: 'local' });
    expect(auth.state).toBe('signed-out');
    expect(auth.google).toBeNull();
    auth.signedInLocal(localSignIn());
    expect(auth.state).toBe('signed-in');
    await expect(auth.credential()).resolves.toBe('local-cred');
    // A local credential cannot be renewed: an expiry means signing in again.
    await expect(auth.refresh()).resolves.toBeNull();
    await auth.signOut('expired');
    expect(auth.state).toBe('signed-out');
    expect(auth.reason).toBe('expired');
    await expect(auth.credential()).resolves.toBeNull();
  });
});

describe('AuthController, Google through Firebase', () => {
  it('starts Firebase with the server’s config and waits until it restored the sign-in', async () => {
    const { auth, firebase, started } = firebaseAuth();
    auth.configure(firebaseConfig);
    await settle();
    expect(started).toEqual([
      {
        apiKey: 'k',
        authDomain: 'demo.firebaseapp.com',
        projectId: 'demo-x',
        emulatorUrl: 'http://127.0.0.1:9099',
      },
    ]);
    firebase.emit({ uid: 'g1', name: 'Ada', email: null, photoUrl: null });
    expect(auth.state).toBe('unknown');
    firebase.finishRestoring();
    await settle();
    expect(auth.state).toBe('signed-in');
    expect(auth.userKey).toBe('firebase:g1');
    expect(auth.google).toBe(auth);
  });

  it('sends the ID token, and renews it once for concurrent refusals', async () => {
    const { auth, firebase } = firebaseAuth();
    auth.configure(firebaseConfig);
    firebase.finishRestoring();
    await settle();
    expect(auth.state).toBe('signed-out');
    await expect(auth.credential()).resolves.toBeNull();

    await expect(auth.signInWithGoogle()).resolves.toBe('signed-in');
    expect(auth.state).toBe('signed-in');
    expect(auth.person).toMatchObject({ name: 'Ada', photoUrl: 'https://example.com/ada.png' });
    await expect(auth.credential()).resolves.toBe('id-token');
    const [a, b] = await Promise.all([auth.refresh(), auth.refresh()]);
    expect(a).toBe(b);
    expect(firebase.tokenRequests).toEqual([false, false, true]);
  });

  it('signs out at once when the server says the sign-in was revoked', async () => {
    const { auth, firebase } = firebaseAuth();
    auth.configure(firebaseConfig);
    firebase.emit({ uid: 'g1', name: 'Ada', email: null, photoUrl: null });
    firebase.finishRestoring();
    await settle();
    const done = auth.signOut(signOutReasonFor('AUTH_REVOKED'));
    expect(auth.state).toBe('signed-out');
    await done;
    expect(firebase.signOut).toHaveBeenCalledTimes(1);
    expect(auth.reason).toBe('revoked');
    expect(signOutReasonFor('AUTH_EXPIRED')).toBe('expired');
    expect(signOutReasonFor('UNAUTHENTICATED')).toBe('expired');
  });

  it('tells a chosen sign-out from one Firebase made by itself', async () => {
    const { auth, firebase } = firebaseAuth();
    auth.configure(firebaseConfig);
    firebase.emit({ uid: 'g1', name: 'Ada', email: null, photoUrl: null });
    firebase.finishRestoring();
    await settle();
    await auth.signOut(null);
    expect(auth.reason).toBeNull();

    await auth.signInWithGoogle();
    // Firebase could not renew the token (the account was disabled): it signs out on its own.
    firebase.emit(null);
    expect(auth.state).toBe('signed-out');
    expect(auth.reason).toBe('expired');
  });

  it('drops a local credential left on this origin, and reports a Firebase that would not load', async () => {
    const storage = memoryStorage();
    new AuthController(new FakeHost(), { storage, now: () => Date.now() }).signedInLocal(localSignIn());
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const auth = new AuthController(new FakeHost(), {
      storage,
      now: () => Date.now(),
      loadFirebase: () => Promise.reject(new Error('Failed to fetch dynamically imported module')),
    });
    expect(auth.state).toBe('signed-in');
    auth.configure(firebaseConfig);
    expect(auth.state).toBe('unknown');
    await settle();
    expect(auth.loadError?.message).toContain('dynamically imported');
    expect(auth.state).toBe('signed-out');
    expect(storage.getItem('ap.credential')).toBeNull();
  });
});
