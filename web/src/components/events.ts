import type { SignInResponse, UpdateMeBody } from '@agent-platform/core/protocol';
import type { Locale } from '../i18n/index.js';

/**
 * The custom events components send up. Each bubbles and crosses shadow roots (composed), so a
 * page or the app can listen for it on any ancestor.
 */
const options: EventInit = { bubbles: true, composed: true };

/** The composer wants `text` sent. */
export class SendMessageEvent extends Event {
  static readonly eventName = 'ap-send';
  constructor(readonly text: string) {
    super(SendMessageEvent.eventName, options);
  }
}

/** The composer's text changed (the page owns the draft). */
export class DraftChangeEvent extends Event {
  static readonly eventName = 'ap-draft-change';
  constructor(readonly value: string) {
    super(DraftChangeEvent.eventName, options);
  }
}

/** Run the failed message `messageId` again. */
export class RetryMessageEvent extends Event {
  static readonly eventName = 'ap-retry';
  constructor(readonly messageId: string) {
    super(RetryMessageEvent.eventName, options);
  }
}

/** The user picked another language. */
export class LocaleChangeEvent extends Event {
  static readonly eventName = 'ap-locale-change';
  constructor(readonly locale: Locale) {
    super(LocaleChangeEvent.eventName, options);
  }
}

/** Go to an app path (after creating a session, say). */
export class NavigateEvent extends Event {
  static readonly eventName = 'ap-navigate';
  constructor(
    readonly path: string,
    readonly replace = false,
  ) {
    super(NavigateEvent.eventName, options);
  }
}

/** Sign-in succeeded; the app stores the credential. */
export class SignedInEvent extends Event {
  static readonly eventName = 'ap-signed-in';
  constructor(readonly signIn: SignInResponse) {
    super(SignedInEvent.eventName, options);
  }
}

/** The first-run questions were answered or skipped: save `body` with PATCH /api/me. */
export class OnboardingDoneEvent extends Event {
  static readonly eventName = 'ap-onboarding-done';
  constructor(readonly body: UpdateMeBody) {
    super(OnboardingDoneEvent.eventName, options);
  }
}

/** The user closed a banner. */
export class DismissEvent extends Event {
  static readonly eventName = 'ap-dismiss';
  constructor() {
    super(DismissEvent.eventName, options);
  }
}

declare global {
  interface HTMLElementEventMap {
    'ap-send': SendMessageEvent;
    'ap-draft-change': DraftChangeEvent;
    'ap-retry': RetryMessageEvent;
    'ap-locale-change': LocaleChangeEvent;
    'ap-navigate': NavigateEvent;
    'ap-signed-in': SignedInEvent;
    'ap-dismiss': DismissEvent;
    'ap-onboarding-done': OnboardingDoneEvent;
  }
}
