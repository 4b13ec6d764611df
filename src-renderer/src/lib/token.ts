/**
 * The `serve` token: taken from `?token=` on first load, kept in sessionStorage (so a reload works),
 * and removed from the address bar so it does not linger in history or screenshots.
 */
const KEY = 'undertone.token';

export function serveToken(): string | undefined {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
    return fromUrl;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}
