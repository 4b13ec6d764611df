/**
 * The renderer's Content-Security-Policy: only our own files, no inline script or style, no remote
 * anything. The production build puts it in index.html as a <meta> (this covers Electron's file://
 * pages); `serve` also sends it as a header, adding what only a header can carry.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Directives a <meta> policy ignores. */
export const HEADER_ONLY_POLICY = "frame-ancestors 'none'";
