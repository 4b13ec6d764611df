// Stand-in for the `electron` module, recording what the built main process does with it.
export const state = { sandboxEnabled: false, windows: [], handlers: new Map(), permissionHandler: undefined };

export const app = {
  isPackaged: false,
  enableSandbox: () => void (state.sandboxEnabled = true),
  whenReady: () => Promise.resolve(),
  on: () => {},
  quit: () => {},
};

export class BrowserWindow {
  constructor(options) {
    this.options = options;
    this.loaded = undefined;
    this.sent = [];
    this.webContents = {
      setWindowOpenHandler: (fn) => void (this.windowOpen = fn),
      on: () => {},
      send: (...args) => this.sent.push(args),
    };
    state.windows.push(this);
  }
  once() {}
  on() {}
  loadFile(path) {
    this.loaded = path;
    return Promise.resolve();
  }
  loadURL(url) {
    this.loaded = url;
    return Promise.resolve();
  }
  static fromWebContents(contents) {
    return state.windows.find((w) => w.webContents === contents) ?? null;
  }
  static getAllWindows() {
    return state.windows;
  }
}

export const ipcMain = {
  handle: (channel, fn) => void state.handlers.set(channel, fn),
  removeHandler: (channel) => void state.handlers.delete(channel),
};

export const session = {
  defaultSession: { setPermissionRequestHandler: (fn) => void (state.permissionHandler = fn) },
};
