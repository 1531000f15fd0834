/**
 * The admin token, kept for this browser tab only (sessionStorage: gone when the tab closes,
 * never in the URL, never in a cookie the browser would send on its own).
 */
const KEY = 'turnpike.admin_token';

export function savedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
