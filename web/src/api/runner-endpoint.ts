/**
 * The WebSocket address from `MeResponse.wsUrl` as the browser opens it: a path ('/ws', the local
 * shape) is taken on the page's origin, and http(s) becomes ws(s).
 */
export function resolveWsUrl(wsUrl: string, pageUrl: string): string {
  const url = new URL(wsUrl, pageUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.href;
}

/**
 * Where the runner that serves this person listens. Known from GET /api/me; asked again when the
 * socket could not connect a few times in a row, because the runner may have died and the person
 * been placed on another one.
 */
export class RunnerEndpoint {
  private wsUrl: string | null = null;
  private asking: Promise<string> | null = null;

  constructor(
    /** GET /api/me (only `wsUrl` is used). */
    private readonly fetchMe: () => Promise<{ wsUrl: string }>,
    /** The page's address, to resolve a path against; default `location.href`. */
    private readonly pageUrl: () => string = () => location.href,
  ) {}

  /** Keeps what a GET or PATCH /api/me answered, so the socket need not ask again. */
  remember(me: { wsUrl: string }): void {
    this.wsUrl = me.wsUrl;
  }

  /** Forgets the address (after signing out: the next person may be served elsewhere). */
  forget(): void {
    this.wsUrl = null;
  }

  /**
   * The WebSocket URL to open. `relocate`: ask the API again instead of using the known one.
   * Concurrent askers share one request. Rejects with the API's error when it cannot be asked.
   */
  async url(relocate = false): Promise<string> {
    const wsUrl = relocate || this.wsUrl === null ? await this.ask() : this.wsUrl;
    return resolveWsUrl(wsUrl, this.pageUrl());
  }

  private ask(): Promise<string> {
    this.asking ??= this.fetchMe()
      .then((me) => {
        this.wsUrl = me.wsUrl;
        return me.wsUrl;
      })
      .finally(() => {
        this.asking = null;
      });
    return this.asking;
  }
}
