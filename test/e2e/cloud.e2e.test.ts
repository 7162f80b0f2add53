/**
 * Two people on the emulated cloud shape, in Debian's Chromium: the Firestore, Pub/Sub and Firebase
 * Auth emulators, the API through the functions framework, two runner processes and the hosting
 * server with the built web app (see test/fixtures/cloud-shape.ts), and the scripted model. Each
 * signs in with Google through the Auth emulator's account chooser, is placed on a runner of their
 * own, chats with a streamed reply, reloads and finds the conversation again. Then one runner dies
 * (SIGKILL): its person's next message is answered by the other runner in the same conversation.
 * Last, a revoked sign-in sends its person back to the sign-in page with the app's explanation.
 */
import type { MeResponse } from '@agent-platform/core/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { type CloudShape, type PoolRunner, startCloudShape } from '../fixtures/cloud-shape.js';
import { modelEnv } from '../fixtures/platform.js';
import {
  classifyRequest,
  lastUserText,
  type ScriptedModel,
  startScriptedModel,
  transcriptText,
} from '../fixtures/scripted-model.js';
import { buildWebApp, launchChromium } from './app-process.js';
import {
  type EmulatorGoogleAccount,
  Header,
  installOfflineGoogleStubs,
  Onboarding,
  SessionsPage,
  SignInPage,
  WorkspacePage,
} from './pages.js';

let model: ScriptedModel;
let shape: CloudShape;
let browser: Browser;

/** One person in their own browser context, with the last GET /api/me the app received. */
interface Person {
  account: EmulatorGoogleAccount;
  context: BrowserContext;
  page: Page;
  me: () => MeResponse | null;
}

const minji: EmulatorGoogleAccount = { email: 'minji@example.com', name: 'Minji Kim' };
const tom: EmulatorGoogleAccount = { email: 'tom@example.com', name: 'Tom Lee' };
const people: Person[] = [];

beforeAll(async () => {
  // What the hosting server serves: built as `npm start` builds it for the chat e2e.
  const built = buildWebApp();
  model = await startScriptedModel();
  shape = await startCloudShape({
    runners: 2,
    runnerEnv: { ...modelEnv(model.url), SANDBOX: 'docker' },
    // A dead runner's users are taken over within about two seconds.
    heartbeatMs: 500,
    leaseMs: 2000,
    onOutput: process.env.DEBUG_SHAPE ? (who, line) => console.log(`[${who}] ${line}`) : undefined,
  });
  await built;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await shape?.stop();
  await model?.close();
}, 60_000);

async function openPerson(account: EmulatorGoogleAccount): Promise<Person> {
  const context = await browser.newContext();
  // Nothing leaves the machine: every request off the loopback is refused (Google's iframe library
  // is answered with a stand-in), before the first page loads.
  await installOfflineGoogleStubs(context);
  const page = await context.newPage();
  let latest: MeResponse | null = null;
  page.on('response', (res) => {
    if (new URL(res.url()).pathname !== '/api/me' || res.request().method() !== 'GET' || !res.ok()) return;
    res.json().then(
      (body: MeResponse) => {
        latest = body;
      },
      // The page navigated away before the body was read; the app asks again on the next page.
      (e: unknown) => console.warn('could not read a GET /api/me answer', e),
    );
  });
  return { account, context, page, me: () => latest };
}

/** The runner whose WebSocket address the person was given. */
function runnerOf(person: Person): PoolRunner | undefined {
  const wsUrl = person.me()?.wsUrl;
  return wsUrl ? shape.runners.find((r) => wsUrl.startsWith(r.url.replace(/^http/, 'ws'))) : undefined;
}

async function signIn(person: Person): Promise<Header> {
  await person.page.goto(shape.webUrl);
  await person.page.waitForURL(/\/signin(\?|$)/);
  const header = await SignInPage.signInWithGoogleEmulator(person.page, person.account);
  await expect.poll(() => header.userName().innerText()).toBe(person.account.name);
  return header;
}

const texts = (page: Page) => ({
  user: () => new WorkspacePage(page).userMessages().allInnerTexts(),
  assistant: () => new WorkspacePage(page).assistantMessages().allInnerTexts(),
});

describe('the browser on the emulated cloud shape', () => {
  it('signs two people in with Google and places them on different runners', async () => {
    for (const account of [minji, tom]) people.push(await openPerson(account));
    const [a, b] = people as [Person, Person];

    await signIn(a);
    const onboardingA = new Onboarding(a.page);
    await onboardingA.card().waitFor();
    await onboardingA.skip();

    await signIn(b);
    const onboardingB = new Onboarding(b.page);
    await onboardingB.card().waitFor();
    await onboardingB.answer({ automate: 'a weekly sales report', role: 'analysis' });

    await expect.poll(() => a.me()?.user.email).toBe(minji.email);
    await expect.poll(() => b.me()?.user.email).toBe(tom.email);
    expect(a.me()?.user.name).toBe(minji.name);
    // Each on a runner of the pool, the second on the other (less loaded) one.
    const [runnerA, runnerB] = [runnerOf(a), runnerOf(b)];
    expect(runnerA).toBeDefined();
    expect(runnerB).toBeDefined();
    expect(runnerA).not.toBe(runnerB);
    // The skipped first-run card does not come back with her profile after a reload.
    const meAgain = a.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/me');
    await a.page.reload();
    await (await meAgain).finished();
    await new SessionsPage(a.page).newSessionButton().waitFor();
    expect(await onboardingA.card().count()).toBe(0);
  });

  it('streams each person’s reply from their own runner, restores it after a reload, and signs out', async () => {
    const [a, b] = people as [Person, Person];

    // Minji: a streamed reply with a Bash tool card run by her runner.
    const workspaceA = await new SessionsPage(a.page).createSession();
    model.script([
      {
        chunks: ['I ', 'will ', 'compute ', 'it ', 'with ', 'Python.'],
        chunkDelayMs: 150,
        // 42 only as the sandbox's user (uid 1000), never as this root test process.
        toolUse: [
          { name: 'Bash', input: { command: 'python3 -c "import os; print(6*7 if os.getuid() == 1000 else -1)"' } },
        ],
      },
      { text: 'The answer is **42**.' },
    ]);
    await workspaceA.send('What is 6 times 7? Use Python.');
    // Streaming: part of the reply is on screen before the model has finished writing it.
    await expect
      .poll(() => workspaceA.assistantMessages().first().innerText(), { timeout: 30_000 })
      .toContain('compute');
    expect(await workspaceA.assistantMessages().first().innerText()).not.toContain('Python.');
    await expect.poll(() => workspaceA.assistantMessages().last().innerText(), { timeout: 30_000 }).toContain('42');
    await expect.poll(() => workspaceA.toolCards().count()).toBe(1);
    expect(await workspaceA.toolCard(0)).toEqual({ name: 'Bash', output: '42' });
    await expect.poll(() => workspaceA.turnUsage().count()).toBe(1);
    // Her container on her runner was started for this turn, and the status line said so.
    await expect.poll(() => a.page.getByTestId('sandbox-status').getAttribute('data-state')).toBe('ready');
    expect(await a.page.getByTestId('host-sandbox-warning').count()).toBe(0);

    // Tom: a streamed reply on the other runner.
    const workspaceB = await new SessionsPage(b.page).createSession();
    model.script([{ chunks: ['Hello ', 'Tom, ', 'your ', 'report ', 'is ', 'ready.'], chunkDelayMs: 150 }]);
    await workspaceB.send('Make my weekly sales report.');
    await expect.poll(() => workspaceB.assistantMessages().first().innerText(), { timeout: 30_000 }).toContain('Tom');
    expect(await workspaceB.assistantMessages().first().innerText()).not.toContain('ready.');
    await expect.poll(() => workspaceB.turnUsage().count(), { timeout: 30_000 }).toBe(1);
    expect(await workspaceB.assistantMessages().allInnerTexts()).toEqual(['Hello Tom, your report is ready.']);
    expect(await workspaceB.toolCards().count()).toBe(0);

    // A reload restores each conversation from the API and the person's runner.
    for (const person of [a, b]) await person.page.reload();
    const [restoredA, restoredB] = [new WorkspacePage(a.page), new WorkspacePage(b.page)];
    await expect.poll(() => texts(a.page).user(), { timeout: 15_000 }).toEqual(['What is 6 times 7? Use Python.']);
    expect((await texts(a.page).assistant()).join('\n')).toContain('I will compute it with Python.');
    expect((await texts(a.page).assistant()).join('\n')).toContain('The answer is 42.');
    expect(await restoredA.toolCard(0)).toEqual({ name: 'Bash', output: '42' });
    await expect.poll(() => texts(b.page).user(), { timeout: 15_000 }).toEqual(['Make my weekly sales report.']);
    expect(await texts(b.page).assistant()).toEqual(['Hello Tom, your report is ready.']);
    for (const restored of [restoredA, restoredB]) {
      await expect.poll(() => restored.connection().getAttribute('data-state')).toBe('connected');
    }

    // Tom signs out and is at the sign-in page, without a notice.
    const signInPage = await new Header(b.page).signOut();
    await signInPage.googleButton().waitFor();
    expect(await signInPage.notice().count()).toBe(0);
    expect(model.failures).toEqual([]);
  });

  it('answers the next message from the other runner when the person’s runner dies', async () => {
    const [a] = people as [Person];
    const dying = runnerOf(a);
    const survivor = shape.runners.find((r) => r !== dying);
    if (!dying || !survivor) throw new Error(`no runner serves ${a.me()?.wsUrl}`);
    const workspace = new WorkspacePage(a.page);

    await dying.kill();
    // The page sees its socket go and keeps trying, then asks the API where to go instead.
    await expect.poll(() => workspace.connection().getAttribute('data-state')).toBe('reconnecting');
    model.script([
      {
        // The survivor carries the conversation on: the earlier turn is in the model's request.
        expect: (req) => expect(transcriptText(req)).toContain('The answer is **42**.'),
        text: 'Doubled, it is 84.',
      },
    ]);
    await workspace.send('And doubled?');
    await expect
      .poll(() => workspace.assistantMessages().last().innerText(), { timeout: 60_000 })
      .toContain('Doubled, it is 84.');
    // The page found the survivor and its socket is up again.
    await expect.poll(() => workspace.connection().getAttribute('data-state'), { timeout: 60_000 }).toBe('connected');
    expect(runnerOf(a)).toBe(survivor);
    await expect.poll(() => workspace.turnUsage().count(), { timeout: 30_000 }).toBe(2);

    // Nothing lost or doubled: both turns, each once, in order.
    expect(await texts(a.page).user()).toEqual(['What is 6 times 7? Use Python.', 'And doubled?']);
    const replies = await texts(a.page).assistant();
    expect(replies).toHaveLength(3);
    expect(replies[0]).toContain('I will compute it with Python.');
    expect(replies[1]).toContain('The answer is 42.');
    expect(replies[2]).toContain('Doubled, it is 84.');
    expect(await workspace.toolCard(0)).toEqual({ name: 'Bash', output: '42' });
    const asked = model.requests.filter((r) => classifyRequest(r) === 'main' && lastUserText(r) === 'And doubled?');
    expect(asked).toHaveLength(1);
    expect(model.failures).toEqual([]);
  });

  it('sends a person whose sign-in was revoked back to the sign-in page and says why', async () => {
    const [a] = people as [Person];
    const { uid } = await shape.auth.admin().getUserByEmail(minji.email);
    await shape.auth.revokeTokens(uid);

    // Her ID token has not expired, so the page still sends it; the API checks it against
    // revocation and refuses the next request (AUTH_REVOKED).
    const workspace = new WorkspacePage(a.page);
    await workspace.send('Are you still there?');
    await a.page.waitForURL(/\/signin\?next=/);
    const signInPage = new SignInPage(a.page);
    await signInPage.notice().waitFor();
    expect(await signInPage.notice().getAttribute('data-reason')).toBe('revoked');
    expect((await signInPage.notice().innerText()).trim()).toBe(en.signIn.revoked);
    expect(await new Header(a.page).user().count()).toBe(0);
    expect(model.requests.filter((r) => lastUserText(r) === 'Are you still there?')).toEqual([]);
  });
});
