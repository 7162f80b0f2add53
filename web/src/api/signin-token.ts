/**
 * The local sign-in link looks like `http://127.0.0.1:8080/?token=XYZ` (as Jupyter's does).
 * These helpers take the token out of the address and out of what a user pastes.
 */

/** The token in `url`'s query, and the same address without it (to put back in the address bar). */
export function takeTokenFromUrl(url: URL): { token: string | null; cleanUrl: string } {
  const token = url.searchParams.get('token');
  const clean = new URL(url.href);
  clean.searchParams.delete('token');
  return { token: token?.trim() || null, cleanUrl: `${clean.pathname}${clean.search}${clean.hash}` };
}

/** Accepts a bare token, or the whole printed link (or any text containing `token=…`). */
export function parsePastedToken(input: string): string {
  const text = input.trim();
  const match = /[?&]token=([^&#\s]+)/.exec(text);
  if (match?.[1]) {
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return match[1];
    }
  }
  return text;
}
