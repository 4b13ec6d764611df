// Loads a built Electron main (argv[2]) against the stub, exercises it, and prints one JSON report.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./hooks.mjs', import.meta.url);
const { state } = await import('./electron.mjs');
await import(process.argv[2]);
await new Promise((resolve) => setImmediate(resolve));

const win = state.windows[0];
const status = state.handlers.get('undertone:op:engine.status');
// the app's page, as Electron reports the calling frame
const trusted = { sender: win.webContents, senderFrame: { url: `${pathToFileURL(win.loaded).href}#/runs` } };
let untrusted;
try {
  await status({ sender: {} }, {});
} catch (err) {
  untrusted = err.message;
}
let untrustedFrame;
try {
  await status({ sender: win.webContents, senderFrame: { url: 'https://evil.example/' } }, {});
} catch (err) {
  untrustedFrame = err.message;
}
let permission;
state.permissionHandler({}, 'media', (granted) => (permission = granted));

// A job through IPC on the built jobs worker, its events pushed to the window, its metrics read back.
const invoke = (op, input) => state.handlers.get(`undertone:op:${op}`)(trusted, input);
const started = await invoke('jobs.start', { kind: 'demo-train', params: { steps: 20, checkpointEvery: 5 } });
const runId = started.result?.id;
const deadline = Date.now() + 30_000;
const ended = () => win.sent.some(([, name, e]) => name === 'jobs.events' && e.runId === runId && e.status === 'done');
while (runId && !ended() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
const events = win.sent.filter(([channel, name]) => channel === 'undertone:event' && name === 'jobs.events').map(([, , e]) => e);
const metrics = runId ? await invoke('runs.metrics', { runId }) : undefined;
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
    untrustedFrame,
    permission,
    started,
    events: events.filter((e) => e.runId === runId).map((e) => e.status),
    metrics: metrics?.result?.map((c) => ({ name: c.name, points: c.x.length })) ?? metrics,
  }),
);
process.exit(0);
