import type { BrowserContext, Locator, Page } from 'playwright-core';

/** Page objects: the tests say what a person does; selectors live here. */
export class SessionsPage {
  constructor(readonly page: Page) {}

  newSessionButton(): Locator {
    return this.page.getByTestId('new-session');
  }

  async createSession(): Promise<WorkspacePage> {
    await this.newSessionButton().click();
    await this.page.waitForURL(/\/sessions\/[^/]+$/);
    return new WorkspacePage(this.page);
  }
}

export class WorkspacePage {
  constructor(readonly page: Page) {}

  async send(text: string): Promise<void> {
    await this.page.getByTestId('composer-input').fill(text);
    await this.page.getByTestId('composer-send').click();
  }

  userMessages(): Locator {
    return this.page.getByTestId('user-message');
  }

  assistantMessages(): Locator {
    return this.page.getByTestId('assistant-message');
  }

  toolCards(): Locator {
    return this.page.getByTestId('tool-card');
  }

  statusLine(): Locator {
    return this.page.getByTestId('status-line');
  }

  turnUsage(): Locator {
    return this.page.getByTestId('turn-usage');
  }

  connection(): Locator {
    return this.page.getByTestId('conn-indicator');
  }

  /** Opens a tool card (a <details>) and returns its name and output. */
  async toolCard(index: number): Promise<{ name: string; output: string }> {
    const card = this.toolCards().nth(index);
    if ((await card.getAttribute('open')) === null) await card.locator('summary').first().click();
    return {
      name: (await card.getByTestId('tool-name').innerText()).trim(),
      output: (await card.getByTestId('tool-output').innerText()).trim(),
    };
  }
}

/** A Google account as the Auth emulator fakes it. */
export interface EmulatorGoogleAccount {
  email: string;
  name: string;
  /** Shown as the header's photo; the emulator only stores it. */
  photoUrl?: string;
}

/** The signed-in header: the person's name and photo, and the sign-out button. */
export class Header {
  constructor(readonly page: Page) {}

  user(): Locator {
    return this.page.getByTestId('header-user');
  }

  userName(): Locator {
    return this.page.getByTestId('header-user-name');
  }

  photo(): Locator {
    return this.page.getByTestId('header-user-photo');
  }

  /** Signs out and waits for the sign-in page. */
  async signOut(): Promise<SignInPage> {
    await this.page.getByTestId('sign-out').click();
    await this.page.waitForURL(/\/signin(\?|$)/);
    await this.user().waitFor({ state: 'detached' });
    return new SignInPage(this.page);
  }
}

export class SignInPage {
  constructor(readonly page: Page) {}

  googleButton(): Locator {
    return this.page.getByTestId('signin-google');
  }

  /** Why the person was signed out (data-reason: expired or revoked). */
  notice(): Locator {
    return this.page.getByTestId('signin-notice');
  }

  /**
   * Signs in with Google against the Firebase Auth emulator: clicks the app's Google button, then
   * in the emulator's account-chooser popup picks the account with this email, or adds it ("Add new
   * account", email, display name, "Sign in with Google.com"), and waits for the signed-in header.
   *
   * Google's iframe library and the emulator widget's styles come from the internet; this installs
   * `installOfflineGoogleStubs` on the page's context first, so nothing leaves the machine.
   */
  static async signInWithGoogleEmulator(page: Page, account: EmulatorGoogleAccount): Promise<Header> {
    await installOfflineGoogleStubs(page.context());
    const signIn = new SignInPage(page);
    const popupOpened = page.waitForEvent('popup');
    await signIn.googleButton().click();
    const popup = await popupOpened;
    await popup.waitForLoadState('domcontentloaded');
    await new EmulatorAccountChooser(popup).choose(account);
    const header = new Header(page);
    await header.user().waitFor();
    return header;
  }
}

/**
 * The Auth emulator's sign-in widget (firebase-tools, `/emulator/auth/handler`): a list of the
 * provider's accounts (`li.js-reuse-account`, each with its email), "Add new account"
 * (`#add-account-button`), and a form with `#email-input`, `#display-name-input`,
 * `#profile-photo-input` and the submit button `#sign-in` ("Sign in with Google.com").
 */
export class EmulatorAccountChooser {
  constructor(readonly popup: Page) {}

  async choose(account: EmulatorGoogleAccount): Promise<void> {
    const existing = this.popup.locator('li.js-reuse-account').filter({ hasText: account.email });
    if ((await existing.count()) > 0) {
      await existing.first().click();
      return;
    }
    await this.popup.locator('#add-account-button button').click();
    await this.popup.locator('#email-input').fill(account.email);
    await this.popup.locator('#display-name-input').fill(account.name);
    if (account.photoUrl) await this.popup.locator('#profile-photo-input').fill(account.photoUrl);
    await this.popup.locator('#sign-in').click();
  }
}

/** The first-run card on the sessions page. */
export class Onboarding {
  constructor(readonly page: Page) {}

  card(): Locator {
    return this.page.getByTestId('onboarding');
  }

  /** Skips the questions (saved: the card does not come back) and waits for the card to go. */
  async skip(): Promise<void> {
    await this.page.getByTestId('onboarding-skip').click();
    await this.card().waitFor({ state: 'detached' });
  }

  /**
   * Answers (every part optional), presses Continue and waits for the card to go. `role` is one of
   * marketing, research, analysis, business, other; `locale` switches the page's language at once.
   */
  async answer(answers: { automate?: string; role?: string; locale?: 'en' | 'ko' }): Promise<void> {
    if (answers.automate !== undefined) await this.page.getByTestId('onboarding-automate').fill(answers.automate);
    if (answers.role !== undefined) await this.page.getByTestId(`onboarding-role-${answers.role}`).check();
    if (answers.locale !== undefined) await this.page.getByTestId(`onboarding-locale-${answers.locale}`).check();
    await this.page.getByTestId('onboarding-continue').click();
    await this.card().waitFor({ state: 'detached' });
  }
}

const stubbedContexts = new WeakSet<BrowserContext>();

/**
 * Keeps a Google sign-in against the Auth emulator on this machine. The firebase SDK's popup and
 * redirect flows, and the emulator's helper iframe, load Google's iframe library from
 * apis.google.com; it is answered with `gapiStubScript`, a stand-in that passes the same messages
 * with postMessage. Every other request off the loopback (the emulator widget's styles and fonts
 * from unpkg and Google Fonts) is refused. Safe to call more than once.
 */
export async function installOfflineGoogleStubs(context: BrowserContext): Promise<void> {
  if (stubbedContexts.has(context)) return;
  stubbedContexts.add(context);
  await context.route(
    (url) => !isLoopback(url),
    (route) =>
      route.request().url().startsWith('https://apis.google.com/js/api.js')
        ? route.fulfill({ status: 200, contentType: 'text/javascript', body: gapiStubScript })
        : route.abort('blockedbyclient'),
  );
}

function isLoopback(url: URL): boolean {
  if (url.protocol === 'data:' || url.protocol === 'blob:' || url.protocol === 'about:') return true;
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/**
 * The part of Google's `gapi` (api.js) that Firebase Auth and the Auth emulator's helper iframe use:
 * `gapi.load('gapi.iframes')`, `gapi.iframes.getContext().open(…)` (in the app: an iframe with
 * `ping`, `restyle`, `register`, `send`) and `.getParentIframe()` (in the iframe: `register`,
 * `send`). Calls go over postMessage; a call to a name nobody registered yet waits until someone
 * does. It calls the `onload` callback of its script URL, or `window.gapi_onload`.
 */
export const gapiStubScript = `(function () {
  var TAG = '__apGapiStub';
  var script = document.currentScript;
  function callOnload() {
    var name = script && script.src ? new URL(script.src).searchParams.get('onload') : null;
    var onload = name ? window[name] : window.gapi_onload;
    if (typeof onload === 'function') setTimeout(onload, 0);
  }
  if (window.gapi && window.gapi.iframes) return callOnload();

  var replies = {};
  var endpoints = [];
  function newId() {
    return TAG + Math.random().toString(36).slice(2) + Date.now().toString(36);
  }
  function Endpoint(target) {
    this.target = target;
    this.handlers = {};
    this.waiting = {};
    endpoints.push(this);
  }
  Endpoint.prototype.register = function (name, handler) {
    this.handlers[name] = handler;
    var waiting = this.waiting[name] || [];
    delete this.waiting[name];
    for (var i = 0; i < waiting.length; i++) this.answer(waiting[i]);
  };
  Endpoint.prototype.answer = function (call) {
    var handler = this.handlers[call.name];
    if (!handler) {
      (this.waiting[call.name] = this.waiting[call.name] || []).push(call);
      return;
    }
    var reply = {};
    reply[TAG] = 'reply';
    reply.id = call.id;
    reply.responses = [handler(call.data)];
    this.target.postMessage(reply, '*');
  };
  Endpoint.prototype.send = function (name, data, callback) {
    var call = {};
    call[TAG] = 'call';
    call.id = newId();
    call.name = name;
    call.data = data;
    if (callback) replies[call.id] = callback;
    this.target.postMessage(call, '*');
  };
  window.addEventListener('message', function (event) {
    var message = event.data;
    if (!message || typeof message !== 'object' || !message[TAG]) return;
    if (message[TAG] === 'reply') {
      var callback = replies[message.id];
      delete replies[message.id];
      if (callback) {
        // Firebase's webStorageSupport callback throws by design after it has its answer; like
        // Google's library, the stub does not let that stop the messaging.
        try {
          callback(message.responses);
        } catch (e) {
          console.debug('gapi stub: a reply callback threw', e);
        }
      }
      return;
    }
    for (var i = 0; i < endpoints.length; i++) {
      if (endpoints[i].target === event.source) return endpoints[i].answer(message);
    }
  });

  var parent = window.parent !== window ? new Endpoint(window.parent) : null;
  if (parent) parent.register('__ping', function () { return { status: 'ACK' }; });

  function frameApi(endpoint) {
    return {
      register: function (name, handler) { endpoint.register(name, handler); },
      send: function (name, data, callback) { endpoint.send(name, data, callback); },
      restyle: function () { return Promise.resolve(); },
      ping: function (callback) {
        return new Promise(function (resolve) {
          var done = false;
          var timer = setInterval(tryOnce, 100);
          function tryOnce() {
            endpoint.send('__ping', null, function () {
              if (done) return;
              done = true;
              clearInterval(timer);
              if (callback) callback();
              resolve();
            });
          }
          tryOnce();
        });
      },
    };
  }

  var context = {
    open: function (options, opened) {
      var frame = document.createElement('iframe');
      var attributes = options.attributes || {};
      Object.keys(attributes).forEach(function (key) {
        if (key === 'style') Object.assign(frame.style, attributes.style);
        else frame.setAttribute(key, attributes[key]);
      });
      frame.src = options.url;
      (options.where || document.body).appendChild(frame);
      var api = frameApi(new Endpoint(frame.contentWindow));
      return Promise.resolve(opened ? opened(api) : api);
    },
    getParentIframe: function () {
      return parent ? frameApi(parent) : null;
    },
  };

  window.gapi = {
    load: function (name, options) {
      setTimeout(function () {
        if (typeof options === 'function') options();
        else if (options && options.callback) options.callback();
      }, 0);
    },
    iframes: { getContext: function () { return context; }, CROSS_ORIGIN_IFRAMES_FILTER: {} },
  };
  callOnload();
})();
`;
