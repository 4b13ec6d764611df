/** Token text made visible: newlines, tabs and other control characters as escapes; an empty token as ∅. */
export function visibleToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/[\n\r\t\u0000-\u001f]/g, (ch) => (ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
