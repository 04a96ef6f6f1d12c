/**
 * How a long command (replay, import, export, verify) shows its progress on stderr: on a
 * terminal one line redrawn in place, with a bar when the total is known; otherwise (a pipe, a
 * log collector) one JSON object a line, `{"progress": {...}}`, as often as the command reports
 * (each command reports at most every second or per batch). Notes (a problem met on the way)
 * are their own line: the JSON object given, or its text on a terminal.
 */
export interface ProgressSink {
  /** `fields` for JSON lines, `line` for a terminal; `fraction` (0..1, null: unknown) draws the bar. */
  update(fields: object, line: string, fraction?: number | null): void;
  /** Something worth its own line: `json` as is, or `line` on a terminal. */
  note(json: object, line: string): void;
  /** Writes the last update held back, and ends the terminal's line. */
  end(): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const BAR_WIDTH = 24;

export function progressBar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}%`;
}

export function progressSink(stream: ProgressStream, now: () => number = Date.now): ProgressSink {
  const tty = stream.isTTY === true;
  // A terminal is redrawn at most ten times a second; JSON lines are each a report.
  const interval = tty ? 100 : 0;
  let last = -Infinity;
  let held: (() => void) | null = null;
  let drawn = false;
  const show = (fields: object, line: string, fraction?: number | null) => () => {
    if (tty) {
      const bar = fraction === undefined || fraction === null ? '' : `${progressBar(fraction)} `;
      stream.write(`\r\x1b[K${bar}${line}`);
      drawn = true;
    } else stream.write(JSON.stringify({ progress: fields }) + '\n');
  };
  return {
    update(fields, line, fraction) {
      held = show(fields, line, fraction);
      if (now() - last < interval) return;
      last = now();
      held();
      held = null;
    },
    note(json, line) {
      if (tty) {
        stream.write(`\r\x1b[K${line}\n`);
        drawn = false;
      } else stream.write(JSON.stringify(json) + '\n');
    },
    end() {
      held?.();
      held = null;
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
