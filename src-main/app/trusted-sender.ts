/**
 * Which frames may call the contract over IPC: the app's own page only. A frame is trusted when its
 * URL, without query and fragment, is the built page's file:// URL, or (unpackaged development builds
 * only) lies at the origin of `electron-vite dev`'s server. Anything else (a navigated-away frame, an
 * iframe, a data: URL) is refused even though it lives in the app's window.
 */
export function isAppPage(frameUrl: string | undefined, pageUrl: string, devUrl?: string): boolean {
  if (!frameUrl) return false;
  let u: URL;
  try {
    u = new URL(frameUrl);
  } catch {
    return false;
  }
  if (u.protocol === 'file:') return `${u.protocol}//${u.host}${u.pathname}` === new URL(pageUrl).href;
  if (!devUrl) return false;
  try {
    return u.origin === new URL(devUrl).origin && u.origin !== 'null';
  } catch {
    return false;
  }
}
