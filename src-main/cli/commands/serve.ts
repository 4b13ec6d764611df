/** `serve`: the app in a browser, with the API over HTTP + WebSocket on 127.0.0.1 behind a token. */
import { createContext } from '../../api/context.js';
import { openBrowser } from '../../serve/open-browser.js';
import { ensureRendererBuilt } from '../../serve/renderer-build.js';
import { startServer } from '../../serve/server.js';
import { parseFlags, type Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the app in a browser: renderer + API on 127.0.0.1, behind a random token',
  usage: 'serve [--port N] [--store path] [--no-open]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { port: 'string', store: 'string', 'no-open': 'boolean' });
    if (positional.length) throw new Error(`serve takes no arguments (got '${positional[0]}')`);
    const port = Number(flags.port ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got '${flags.port}'`);
    const ctx = createContext({ storePath: flags.store as string | undefined });
    const staticDir = await ensureRendererBuilt((line) => console.log(line));
    const running = await startServer({ ctx, staticDir, port });
    console.log(`Undertone is serving at ${running.url}`);
    console.log(`store: ${ctx.storeFile}`);
    console.log(`over SSH: ssh -L ${running.port}:127.0.0.1:${running.port} <this host>, then open the URL above on your machine (any local port works: ssh -L 9000:127.0.0.1:${running.port} and http://localhost:9000/?token=…). Ctrl-C stops; running jobs become interrupted and resume later.`);
    const removePage = flags['no-open'] ? undefined : openBrowser(running.url);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      // a closed SSH session: stop cleanly too (jobs interrupted, resumable), rather than die mid-write
      process.once('SIGHUP', resolve);
    });
    removePage?.();
    await running.close();
    await ctx.close();
    return 0;
  },
};
