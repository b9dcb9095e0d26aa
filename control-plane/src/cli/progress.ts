// The progress display of deploy on stderr: on a terminal the step list is redrawn in place; in a
// log (CI, a pipe) a line is written when a step finishes or what it waits for changes.
import type { Context } from './command.ts';
import type { StepProgress } from './deploy-steps.ts';
import { duration } from './output.ts';

type Row = StepProgress & { durationMs: number | null };

const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const mark = { done: '✓', skipped: '–', failed: '✗', pending: '·' } as const;

function waitingFor(row: Row): string {
  const b = row.blocker;
  return b ? `${b.type}=${b.status} ${b.reason}: ${b.message}` : row.detail;
}

function line(row: Row, frame: string, first: boolean): string {
  const name = row.name.padEnd(8);
  if (row.state === 'pending')
    return `  ${first ? frame : mark.pending} ${name} ${first ? `waiting: ${waitingFor(row)}` : ''}`.trimEnd();
  const took = row.durationMs === null ? '' : ` (${duration(row.durationMs)})`;
  return `  ${mark[row.state]} ${name} ${row.state}${took} ${row.detail}`;
}

export interface Progress {
  update(rows: Row[], elapsedMs: number): void;
  end(): void;
}

export function renderProgress(context: Context): Progress {
  const out = context.stderr;
  let drawn = 0;
  let tick = 0;
  const reported = new Map<string, string>();
  if (!context.interactive) {
    return {
      update(rows) {
        for (const row of rows) {
          const text = row.state === 'pending' ? `waiting: ${waitingFor(row)}` : row.state;
          if (reported.get(row.name) === text || (row.state === 'pending' && !row.blocker)) continue;
          reported.set(row.name, text);
          out.write(`${line(row, '…', true)}\n`);
        }
      },
      end() {},
    };
  }
  return {
    update(rows, elapsedMs) {
      const frame = spinner[tick++ % spinner.length] ?? '';
      const firstPending = rows.findIndex((r) => r.state === 'pending');
      const width = (out as { columns?: number }).columns ?? 120;
      const lines = [
        `deploying… ${duration(elapsedMs)}`,
        ...rows.map((row, i) => line(row, frame, i === firstPending).slice(0, width - 1)),
      ];
      out.write(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${lines.join('\n')}\n`);
      drawn = lines.length;
    },
    end() {
      if (drawn) out.write(`\x1b[${drawn}A\x1b[J`);
      drawn = 0;
    },
  };
}
