// Loads a built Electron main (argv[2]) against the stub, exercises it, and prints one JSON report.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
const { state } = await import('./electron.mjs');
await import(process.argv[2]);
await new Promise((resolve) => setImmediate(resolve));

const win = state.windows[0];
const status = state.handlers.get('undertone:op:engine.status');
const trusted = { sender: win.webContents };
let untrusted;
try {
  await status({ sender: {} }, {});
} catch (err) {
  untrusted = err.message;
}
let permission;
state.permissionHandler({}, 'media', (granted) => (permission = granted));
console.log(
  JSON.stringify({
    sandboxEnabled: state.sandboxEnabled,
    webPreferences: win.options.webPreferences,
    loaded: win.loaded,
    windowOpen: win.windowOpen({ url: 'https://example.com' }),
    channels: [...state.handlers.keys()],
    status: await status(trusted, {}),
    bad: await status(trusted, { nope: 1 }),
    untrusted,
    permission,
  }),
);
process.exit(0);
