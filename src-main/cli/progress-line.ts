/**
 * One command's progress on stderr. On a terminal it is one line rewritten in place (`\r`), padded
 * so that a shorter text clears the longer one before it. Anywhere else (a log file, `tee`, nohup over
 * SSH) every update would otherwise pile onto one line of `\r`s, thousands long, so it writes whole
 * lines instead: the first update, then at most one every `everyMs` (default 10 s), and on `end()`
 * the last one if it was not written yet.
 */
export interface ProgressLine {
  update(text: string): void;
  /** ends the progress: the line is finished (terminal) or the last text written (elsewhere) */
  end(): void;
  /** what to write before a message that interrupts the progress (a newline on a terminal mid-line) */
  interrupt(): string;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

export function progressLine(out: ProgressStream = process.stderr, o: { everyMs?: number; now?: () => number } = {}): ProgressLine {
  const now = o.now ?? Date.now;
  const every = o.everyMs ?? 10_000;
  let shown = 0; // terminal: width of the line on screen
  let lastAt = -Infinity;
  let pending: string | null = null;
  if (out.isTTY) {
    return {
      update(text) {
        out.write(`\r${text}${' '.repeat(Math.max(0, shown - text.length))}`);
        shown = text.length;
      },
      end() {
        if (shown) out.write('\n');
        shown = 0;
      },
      interrupt: () => (shown ? '\n' : ''),
    };
  }
  return {
    update(text) {
      const t = now();
      if (t - lastAt >= every) {
        out.write(`${text}\n`);
        lastAt = t;
        pending = null;
      } else pending = text;
    },
    end() {
      if (pending !== null) out.write(`${pending}\n`);
      pending = null;
    },
    interrupt: () => '',
  };
}

/** The usual `NN% message` of a fraction done and what is being done. */
export const percentText = (f: number, msg: string): string => `${(f * 100).toFixed(0)}% ${msg}`;
