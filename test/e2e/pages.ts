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

/** The header's sections and the notifications bell. */
export class Navigation {
  constructor(readonly page: Page) {}

  /** Goes to a section by its header link (sessions, agents or usage). */
  async open(section: 'sessions' | 'agents' | 'usage'): Promise<void> {
    await this.page.getByTestId(`nav-${section}`).click();
  }

  bell(): Locator {
    return this.page.getByTestId('notifications-bell');
  }

  /** The unread count on the bell (absent when everything was seen). */
  unreadCount(): Locator {
    return this.page.getByTestId('notifications-unread');
  }

  /** Opens the list (which marks everything read) and returns its items, newest first. */
  async openNotifications(): Promise<Locator> {
    await this.bell().click();
    await this.page.getByTestId('notifications-panel').waitFor();
    return this.page.getByTestId('notification-item');
  }
}

/** The dashboard at /agents: one card per agent, with its buttons. */
export class AgentsPage {
  constructor(readonly page: Page) {}

  async goto(): Promise<void> {
    await this.page.goto('/agents');
  }

  cards(): Locator {
    return this.page.getByTestId('agent-card');
  }

  /** The card of the agent with this name. */
  card(name: string): Locator {
    return this.cards().filter({ has: this.page.getByTestId('agent-name').getByText(name, { exact: true }) });
  }

  emptyState(): Locator {
    return this.page.getByTestId('agents-empty');
  }

  /**
   * The status of the agent's last run (succeeded, failed, running…), or null before its first.
   * Read from the badge's data-status: the badge's words live in its shadow root, so the card's
   * innerText does not contain them.
   */
  async lastRunStatus(name: string): Promise<string | null> {
    const badge = this.card(name).getByTestId('agent-last-run').getByTestId('run-status');
    return (await badge.count()) === 0 ? null : badge.getAttribute('data-status');
  }

  monthTotal(): Locator {
    return this.page.getByTestId('agents-month-total');
  }

  /** A failed Run now / Pause / Resume, shown above the cards. */
  actionError(): Locator {
    return this.page.getByTestId('agent-action-error');
  }

  /** Starts a conversation in which Claude helps design an agent; waits for its page. */
  async newAgent(): Promise<WorkspacePage> {
    await this.page.getByTestId('new-agent').first().click();
    await this.page.waitForURL(/\/sessions\/[^/]+$/);
    return new WorkspacePage(this.page);
  }

  /** Presses Run now on the agent's card and waits for the new run's page. */
  async runNow(name: string): Promise<void> {
    await this.card(name).getByTestId('agent-run-now').click();
    await this.page.waitForURL(/\/runs\/[^/]+$/);
  }

  async pause(name: string): Promise<void> {
    await this.card(name).getByTestId('agent-pause').click();
    await this.card(name).getByTestId('agent-resume').waitFor();
  }

  async resume(name: string): Promise<void> {
    await this.card(name).getByTestId('agent-resume').click();
    await this.card(name).getByTestId('agent-pause').waitFor();
  }

  /** Opens the agent's page at its settings. */
  async edit(name: string): Promise<AgentPage> {
    await this.card(name).getByTestId('agent-edit').click();
    await this.page.waitForURL(/\/agents\/[^/]+/);
    await this.page.getByTestId('agent-header').waitFor();
    return new AgentPage(this.page);
  }

  /** Asks to delete the agent; the confirmation dialog is then open (see `DeleteAgentDialog`). */
  async askToDelete(name: string): Promise<DeleteAgentDialog> {
    await this.card(name).getByTestId('agent-delete').click();
    const dialog = new DeleteAgentDialog(this.page);
    await dialog.root().waitFor();
    return dialog;
  }
}

/** The confirmation before deleting an agent, on the dashboard and on the agent's page. */
export class DeleteAgentDialog {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId('agent-delete-dialog');
  }

  /** The agent's folder, which the dialog says is kept. */
  folder(): Locator {
    return this.page.getByTestId('agent-delete-folder');
  }

  async confirm(): Promise<void> {
    await this.page.getByTestId('agent-delete-confirm').click();
    await this.root().waitFor({ state: 'hidden' });
  }

  async cancel(): Promise<void> {
    await this.page.getByTestId('agent-delete-cancel').click();
    await this.root().waitFor({ state: 'hidden' });
  }
}

/** One agent at /agents/:id: header, buttons, runs, settings form, instruction versions. */
export class AgentPage {
  constructor(readonly page: Page) {}

  async goto(agentId: string): Promise<void> {
    await this.page.goto(`/agents/${encodeURIComponent(agentId)}`);
    await this.page.getByTestId('agent-header').waitFor();
  }

  title(): Locator {
    return this.page.getByTestId('agent-title');
  }

  /** Active or Paused (its data-status says which). */
  status(): Locator {
    return this.page.getByTestId('agent-header').getByTestId('agent-status');
  }

  schedule(): Locator {
    return this.page.getByTestId('agent-header').getByTestId('agent-schedule');
  }

  folder(): Locator {
    return this.page.getByTestId('agent-folder');
  }

  async runNow(): Promise<void> {
    await this.page.getByTestId('agent-header').getByTestId('agent-run-now').click();
    await this.page.waitForURL(/\/runs\/[^/]+$/);
  }

  async pause(): Promise<void> {
    await this.page.getByTestId('agent-header').getByTestId('agent-pause').click();
    await this.page.getByTestId('agent-header').getByTestId('agent-resume').waitFor();
  }

  async resume(): Promise<void> {
    await this.page.getByTestId('agent-header').getByTestId('agent-resume').click();
    await this.page.getByTestId('agent-header').getByTestId('agent-pause').waitFor();
  }

  async askToDelete(): Promise<DeleteAgentDialog> {
    await this.page.getByTestId('agent-header').getByTestId('agent-delete').click();
    const dialog = new DeleteAgentDialog(this.page);
    await dialog.root().waitFor();
    return dialog;
  }

  /** The run history's rows, newest first (each has data-run-id and data-status). */
  runRows(): Locator {
    return this.page.getByTestId('agent-run-row');
  }

  /** Shows only runs with this status ('' for all). */
  async filterRuns(status: string): Promise<void> {
    await this.page.getByTestId('agent-runs-filter').selectOption(status);
  }

  async loadOlderRuns(): Promise<void> {
    await this.page.getByTestId('agent-runs-more').click();
  }

  /** Fills settings fields by their test id suffix (name, description, instructions, cron, maxUsd, webhook…). */
  async fill(
    fields: Partial<
      Record<
        'name' | 'description' | 'instructions' | 'cron' | 'timeoutMinutes' | 'maxTurns' | 'maxUsd' | 'webhook',
        string
      >
    >,
  ): Promise<void> {
    for (const [field, value] of Object.entries(fields)) {
      if (value !== undefined) await this.page.getByTestId(`agent-form-${field}`).fill(value);
    }
  }

  async selectTimeZone(timeZone: string): Promise<void> {
    await this.page.getByTestId('agent-form-time-zone').selectOption(timeZone);
  }

  async save(): Promise<void> {
    await this.page.getByTestId('agent-form-save').click();
  }

  /** The message next to a field the save refused, by its request path (`schedule.cron`, `limits.maxUsd`). */
  fieldError(path: string): Locator {
    return this.page.locator(`[data-testid="agent-field-error"][data-field="${path}"]`);
  }

  saveError(): Locator {
    return this.page.getByTestId('agent-save-error');
  }

  /** The webhook secret shown once after a webhook URL was added. */
  webhookSecret(): Locator {
    return this.page.getByTestId('webhook-secret-value');
  }

  versions(): Locator {
    return this.page.getByTestId('agent-versions').locator('li');
  }
}

/** Usage at /usage: the period, the month against the budget, the chart and the per-agent table. */
export class UsagePage {
  constructor(readonly page: Page) {}

  async goto(): Promise<void> {
    await this.page.goto('/usage');
    await this.page.getByTestId('usage-month').waitFor();
  }

  async selectDays(days: 7 | 30 | 90): Promise<void> {
    await this.page.getByTestId(`usage-range-${days}`).check();
  }

  /** This month's spending; data-level is ok, warn or over when there is a budget. */
  month(): Locator {
    return this.page.getByTestId('usage-month');
  }

  /** The chart (role=img; its aria-label summarises it). */
  chart(): Locator {
    return this.page.getByTestId('usage-chart');
  }

  agentRows(): Locator {
    return this.page.getByTestId('usage-agent-row');
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

/** An agent run's page (/runs/:id): status, facts, actions, result, files and what the agent did. */
export class RunPage {
  constructor(readonly page: Page) {}

  async goto(runId: string): Promise<void> {
    await this.page.goto(`/runs/${encodeURIComponent(runId)}`);
    await this.root().waitFor();
  }

  /** The loaded page; its data-status and data-run-id say which run and how it stands. */
  root(): Locator {
    return this.page.getByTestId('run-page');
  }

  /** The status badge: its data-status is queued, running, succeeded, failed, timed_out, cancelled or skipped. */
  statusBadge(): Locator {
    return this.page.getByTestId('run-status');
  }

  async status(): Promise<string | null> {
    return this.statusBadge().getAttribute('data-status');
  }

  /** Waits until the page shows the run with this status (it reloads the run when it ends). */
  async waitForStatus(status: string, timeoutMs = 60_000): Promise<void> {
    await this.page.locator(`[data-testid="run-status"][data-status="${status}"]`).waitFor({ timeout: timeoutMs });
  }

  /** Why it ended as it did, in words; data-reason holds the code (OVERLAP, TIMEOUT, …). */
  reason(): Locator {
    return this.page.getByTestId('run-reason');
  }

  agentLink(): Locator {
    return this.page.getByTestId('run-agent-link');
  }

  trigger(): Locator {
    return this.page.getByTestId('run-trigger');
  }

  duration(): Locator {
    return this.page.getByTestId('run-duration');
  }

  tokens(): Locator {
    return this.page.getByTestId('run-tokens');
  }

  cost(): Locator {
    return this.page.getByTestId('run-cost');
  }

  cancelButton(): Locator {
    return this.page.getByTestId('run-cancel');
  }

  retryButton(): Locator {
    return this.page.getByTestId('run-retry');
  }

  /** Retries the run and waits for the new run's page; returns its id. */
  async retry(): Promise<string> {
    const before = this.page.url();
    await this.retryButton().click();
    await this.page.waitForURL((url) => url.href !== before && /\/runs\/[^/]+$/.test(url.pathname));
    await this.root().waitFor();
    return decodeURIComponent(new URL(this.page.url()).pathname.split('/').pop() ?? '');
  }

  /** The result, rendered from Markdown. */
  result(): Locator {
    return this.page.getByTestId('run-result');
  }

  /** What the agent did: Claude's messages, tool cards and (while it runs) the status line. */
  events(): Locator {
    return this.page.getByTestId('run-events');
  }

  assistantMessages(): Locator {
    return this.events().getByTestId('assistant-message');
  }

  toolCards(): Locator {
    return this.events().getByTestId('tool-card');
  }

  statusLine(): Locator {
    return this.events().getByTestId('status-line');
  }

  /** The table's rows; each has data-path, data-change and data-stored. */
  files(): Locator {
    return this.page.getByTestId('run-file');
  }

  file(path: string): Locator {
    return this.page.locator(`[data-testid="run-file"][data-path="${path.replace(/"/g, '\\"')}"]`);
  }

  /**
   * Opens a kept file in place and returns its viewer (data-kind: text, json, csv, tsv, image or
   * none), which holds run-file-text, run-file-table or run-file-image.
   */
  async openFile(path: string): Promise<Locator> {
    await this.file(path).getByTestId('run-file-open').click();
    const viewer = this.page.locator(`[data-testid="run-file-view"][data-path="${path.replace(/"/g, '\\"')}"]`);
    await viewer.waitFor();
    return viewer;
  }
}

/** The agent draft beside the conversation of an agent-create session. */
export class AgentPreview {
  constructor(readonly page: Page) {}

  /** data-state: empty (no proposal yet), draft, or saved (the latest draft was saved). */
  root(): Locator {
    return this.page.getByTestId('agent-preview');
  }

  async state(): Promise<string | null> {
    return this.root().getAttribute('data-state');
  }

  async waitForState(state: 'empty' | 'draft' | 'saved', timeoutMs = 60_000): Promise<void> {
    await this.page.locator(`[data-testid="agent-preview"][data-state="${state}"]`).waitFor({ timeout: timeoutMs });
  }

  /** On narrow screens the panel folds into a bar; this unfolds it when folded. */
  async unfold(): Promise<void> {
    const toggle = this.root().getByTestId('preview-toggle');
    if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
  }

  name(): Locator {
    return this.root().getByTestId('preview-name');
  }

  description(): Locator {
    return this.root().getByTestId('preview-description');
  }

  schedule(): Locator {
    return this.root().getByTestId('preview-schedule');
  }

  /** Each has data-at (ms since the epoch). */
  nextRuns(): Locator {
    return this.root().getByTestId('preview-next-run');
  }

  steps(): Locator {
    return this.root().getByTestId('preview-step');
  }

  limits(): Locator {
    return this.root().getByTestId('preview-limits');
  }

  saveButton(): Locator {
    return this.root().getByTestId('preview-save');
  }

  saveError(): Locator {
    return this.root().getByTestId('preview-save-error');
  }

  /** "Saved as …": data-agent-id is the agent's id. */
  saved(): Locator {
    return this.root().getByTestId('preview-saved');
  }

  agentLink(): Locator {
    return this.root().getByTestId('preview-agent-link');
  }

  webhookSecret(): Locator {
    return this.root().getByTestId('preview-webhook-secret-value');
  }

  /** Saves the latest draft and returns the new agent's id. */
  async save(): Promise<string> {
    await this.saveButton().click();
    await this.waitForState('saved');
    return (await this.saved().getAttribute('data-agent-id')) ?? '';
  }
}
