/**
 * Electron entry: the window, and the contract over IPC. The only module that imports `electron`
 * at runtime. No research logic here.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { OPS_ARG_PREFIX } from '../api/bridge.js';
import { createContext, type ApiContext } from '../api/context.js';
import { ops } from '../api/ops/index.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { isAppPage } from './trusted-sender.js';

/** out/main/ once built; preload and renderer sit beside it. */
const here = fileURLToPath(new URL('.', import.meta.url));
const pagePath = join(here, '../renderer/index.html');
/** `electron-vite dev`'s server: honoured in unpackaged builds only. */
const devUrl = (): string | undefined => (app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL']);

function createWindow(ctx: ApiContext): void {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Undertone',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      // the sandboxed preload derives window.undertone from these names
      additionalArguments: [OPS_ARG_PREFIX + Object.keys(ops).join(',')],
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  const stopEvents = forwardEvents(ctx, (channel, event, payload) => win.webContents.send(channel, event, payload));
  win.on('closed', stopEvents);

  // Production pages are file:// and carry the strict CSP as a <meta> (src-renderer/csp.ts);
  // `electron-vite dev` serves them over HTTP with HMR instead.
  const dev = devUrl();
  if (dev) void win.loadURL(dev);
  else void win.loadFile(pagePath);
}

app.enableSandbox();

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, grant) => grant(false));
  // The store at $UNDERTONE_STORE or the OS app-data folder (the CLI's default too, so both share it).
  // Quitting interrupts running jobs; they resume from their last checkpoint.
  const ctx = createContext({ jobsOnClose: 'interrupt' });
  // a call must come from one of our windows, and from the app's own page in it (not an iframe or a navigated frame)
  const pageUrl = pathToFileURL(pagePath).href;
  registerIpc(ipcMain, ctx, (event) => BrowserWindow.fromWebContents(event.sender) !== null && isAppPage(event.senderFrame?.url, pageUrl, devUrl()));
  createWindow(ctx);
  // Start the job runner now: it marks runs left running by a crashed process as interrupted.
  setImmediate(() => {
    try {
      void ctx.jobs;
    } catch (err) {
      console.error(`undertone: the job runner could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(ctx);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    // close the runner (workers stopped, runs marked interrupted) and the store before exiting
    event.preventDefault();
    closed = true;
    void ctx.close().finally(() => app.exit(0));
  });
});
