import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type Route =
  | { name: 'signin' }
  | { name: 'sessions' }
  | { name: 'workspace'; sessionId: string }
  | { name: 'agents' }
  | { name: 'agent'; agentId: string }
  | { name: 'run'; runId: string }
  | { name: 'usage' }
  | { name: 'not-found'; path: string };

/** Pages addressed by one id: `/sessions/:id`, `/agents/:id`, `/runs/:id`. */
const byId = {
  sessions: (sessionId: string): Route => ({ name: 'workspace', sessionId }),
  agents: (agentId: string): Route => ({ name: 'agent', agentId }),
  runs: (runId: string): Route => ({ name: 'run', runId }),
} as const;

/** The app's routes from a path. Unknown paths are `not-found`, never an exception. */
export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'sessions' };
  if (path === '/signin') return { name: 'signin' };
  if (path === '/agents') return { name: 'agents' };
  if (path === '/usage') return { name: 'usage' };
  const match = /^\/(sessions|agents|runs)\/([^/]+)$/.exec(path);
  if (match?.[1] && match[2]) {
    try {
      return byId[match[1] as keyof typeof byId](decodeURIComponent(match[2]));
    } catch {
      return { name: 'not-found', path };
    }
  }
  return { name: 'not-found', path };
}

export function pathFor(route: Route): string {
  switch (route.name) {
    case 'signin':
      return '/signin';
    case 'sessions':
      return '/';
    case 'workspace':
      return `/sessions/${encodeURIComponent(route.sessionId)}`;
    case 'agents':
      return '/agents';
    case 'agent':
      return `/agents/${encodeURIComponent(route.agentId)}`;
    case 'run':
      return `/runs/${encodeURIComponent(route.runId)}`;
    case 'usage':
      return '/usage';
    case 'not-found':
      return route.path;
  }
}

/** Only local paths are accepted as a place to return to after sign-in (no open redirects). */
export function safeNextPath(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/signin')) return '/';
  return next;
}

/**
 * Path routing with the History API. Same-origin links anywhere in the host's tree (shadow roots
 * included) navigate without reloading.
 */
export class RouterController implements ReactiveController {
  route: Route = parseRoute(location.pathname);

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  get search(): URLSearchParams {
    return new URLSearchParams(location.search);
  }

  navigate(path: string, options: { replace?: boolean } = {}): void {
    const current = `${location.pathname}${location.search}${location.hash}`;
    if (path !== current) {
      if (options.replace) history.replaceState(null, '', path);
      else history.pushState(null, '', path);
    }
    this.sync();
  }

  /**
   * Replaces the address during an update (a guard sending a signed-out user to sign-in):
   * the route changes for the render under way, without asking for another one.
   */
  redirect(path: string): void {
    history.replaceState(null, '', path);
    this.route = parseRoute(location.pathname);
  }

  hostConnected(): void {
    window.addEventListener('popstate', this.onPopState);
    this.host.addEventListener('click', this.onClick);
  }

  hostDisconnected(): void {
    window.removeEventListener('popstate', this.onPopState);
    this.host.removeEventListener('click', this.onClick);
  }

  private sync(): void {
    this.route = parseRoute(location.pathname);
    this.host.requestUpdate();
  }

  private readonly onPopState = (): void => this.sync();

  private readonly onClick = (event: MouseEvent): void => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    const anchor = event.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (!anchor?.href || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    event.preventDefault();
    this.navigate(`${url.pathname}${url.search}${url.hash}`);
    window.scrollTo(0, 0);
  };
}
