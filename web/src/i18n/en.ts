/**
 * English strings: the source of truth for the message keys. `ko.ts` is typed as `Messages`, so a
 * key missing there (or one that exists only there) is a compile error.
 * Strings that take values are functions, so each language can order the words its own way.
 */
export const en = {
  app: {
    name: 'Agent Platform',
    sessions: 'Sessions',
    signOut: 'Sign out',
    language: 'Language',
    signingIn: 'Signing you in…',
    notFoundTitle: 'Page not found',
    notFoundBody: 'There is nothing at this address.',
    backToSessions: 'Back to your sessions',
  },
  signIn: {
    title: 'Sign in to your workspace',
    intro:
      'The platform runs on this computer. When it started, it printed a sign-in link in its terminal window, like http://127.0.0.1:8080/?token=…',
    openLink: 'Open that link, or paste the token (or the whole link) below.',
    whereTitle: 'Can’t find the link?',
    whereFile:
      'The token is also saved in a file named signin-token in the platform’s data folder (DATA_DIR). Open it with any text editor and copy what is inside.',
    whereRestart: 'Starting the platform again prints a new link.',
    tokenLabel: 'Sign-in token',
    tokenPlaceholder: 'Paste the token or the link here',
    submit: 'Sign in',
    submitting: 'Signing in…',
    wrongToken:
      'That token was not accepted. Copy it again from the link in the terminal or from the signin-token file.',
    expired: 'You were signed out. Please sign in again.',
  },
  modelBanner: {
    title: 'No AI model is configured',
    body: 'Messages will fail (MODEL_NOT_CONFIGURED) until the platform can reach a model. Stop the platform, set ANTHROPIC_API_KEY to your Anthropic API key — or ANTHROPIC_BASE_URL to a compatible server — and start it again, for example:',
  },
  sessions: {
    title: 'Your sessions',
    intro: 'Each session is a conversation with Claude in your own workspace.',
    newTitleLabel: 'Title (optional)',
    newTitlePlaceholder: 'e.g. Weekly sales report',
    newSession: 'New session',
    creating: 'Creating…',
    empty: 'No sessions yet. Start one above: describe what you want to get done, and Claude will help.',
    untitled: 'Untitled session',
    lastActivity: (when: string) => `Last activity ${when}`,
    loadMore: 'Show older sessions',
    loading: 'Loading…',
    loadFailed: 'Could not load your sessions.',
    tryAgain: 'Try again',
    listLabel: 'Sessions',
  },
  workspace: {
    back: 'All sessions',
    loading: 'Loading the conversation…',
    loadFailed: 'Could not open this session.',
    notFound: 'This session does not exist, or it belongs to another account.',
    emptyTitle: 'What should we work on?',
    emptyBody:
      'Describe a task in plain words. Claude can write and run Python in your workspace: analyse a spreadsheet, collect data from the web, make a chart, draft a report.',
    conversationLabel: 'Conversation',
    you: 'You',
    claude: 'Claude',
    notSent: 'Not sent',
    sending: 'Sending…',
    queued: 'Waiting for Claude…',
    unknownMessage: 'A message sent from another window',
  },
  composer: {
    label: 'Message to Claude',
    placeholder: 'Ask Claude to do something…',
    send: 'Send',
    hint: 'Enter to send · Shift+Enter for a new line',
    tooLong: (kb: number, limitKb: number) => `This message is ${kb} KB; the limit is ${limitKb} KB.`,
  },
  status: {
    label: 'Status',
    sending: 'Sending your message…',
    waiting: 'Waiting for Claude…',
    starting: 'Starting Claude…',
    thinking: 'Thinking…',
    tool: (tool: string) => `Running ${tool}…`,
    idle: 'Ready',
    stopped: 'Ready (Claude is paused and resumes with your next message)',
  },
  sandbox: {
    starting: 'Starting your workspace…',
    /** `seconds` is formatted already ("0.4"); null when the runner did not say. */
    ready: (seconds: string | null) => (seconds === null ? 'Workspace ready' : `Workspace ready (${seconds} s)`),
    stopped: 'Ready (your workspace is paused and starts again with your next message)',
    progressLabel: 'Starting your workspace',
    failed: {
      oom: 'Your workspace ran out of memory',
      exited: (exitCode: number | null) =>
        exitCode === null
          ? 'Your workspace stopped unexpectedly'
          : `Your workspace stopped unexpectedly (exit code ${exitCode})`,
      start_failed: 'Your workspace could not start',
      image_missing: 'Your workspace could not start: the workspace image is not installed on the server',
      engine_unreachable: 'Your workspace could not start: the server cannot reach its container engine (Docker)',
      other: 'Your workspace stopped working',
    },
    /** When the runner gave no sentence of its own. */
    failedHint: 'Your files are kept. Send a message to start your workspace again.',
    hostWarning: 'Claude runs directly on this computer, without a sandbox. Use this only for yourself.',
    hostHint: 'To give Claude a sandbox, install Docker (or bubblewrap) and start the platform again.',
  },
  connection: {
    connected: 'Connected',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
  },
  tool: {
    input: 'Input',
    output: 'Output',
    command: 'Command',
    running: 'Running…',
    noOutput: '(no output)',
    noResult: 'This step did not finish.',
    failed: 'Failed',
    truncated: 'The output was shortened.',
  },
  turn: {
    usage: 'Usage',
    inputTokens: 'input',
    outputTokens: 'output',
    cacheRead: 'cache read',
    cacheWrite: 'cache write',
    cost: 'cost',
    duration: 'time',
    failed: 'This message could not be completed.',
    retry: 'Retry',
    retrying: 'Retrying…',
    edit: 'Edit',
  },
  errors: {
    title: 'Something went wrong',
    dismiss: 'Dismiss',
    sendFailed: 'Your message was not sent. Its text is back in the message box.',
    retryFailed: 'Could not retry the message.',
    createFailed: 'Could not create the session.',
    codes: {
      NETWORK_ERROR: 'Cannot reach the server. Check that the platform is running, then try again.',
      BAD_RESPONSE: 'The server sent an answer this page does not understand. Reload the page.',
      UNAUTHENTICATED: 'Please sign in again.',
      PAYLOAD_TOO_LARGE: 'The message is too long. Shorten it or split it into parts.',
      MODEL_NOT_CONFIGURED: 'No AI model is configured on the server.',
      SANDBOX_UNAVAILABLE: 'Your workspace could not be started.',
      SESSION_NOT_FOUND: 'This session does not exist.',
      INTERNAL: 'The server had an internal error.',
    } as Partial<Record<string, string>>,
  },
};

export type Messages = typeof en;
