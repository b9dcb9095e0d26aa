// How results are printed: a table or text for people (default), JSON or YAML for scripts. A command
// returns its data and a renderer; only this module decides which one reaches stdout.
import { stringify } from 'yaml';
import type { CliError } from './exit.ts';

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export interface Result {
  /** What -o json|yaml prints: the API's or the cluster's objects, as they are. */
  data: unknown;
  /** What people read; default: the data as YAML. */
  human?: () => string;
  /** Printed after the output, and its exit code returned (e.g. deploy timed out: steps, then exit 5). */
  error?: CliError;
}

/** The text to print for `result` in `format`, ending with a newline (empty: nothing to print). */
export function render(result: Result, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(result.data, null, 2)}\n`;
  if (format === 'yaml') return stringify(result.data);
  const text = result.human ? result.human() : stringify(result.data);
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Columns padded to their widest cell, as kubectl prints them; `-` for empty cells. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return columns([headers, ...rows]);
}

/** Rows of cells aligned in columns, without a header. */
export function columns(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const cells = rows.map((row) => row.map(cell));
  const count = Math.max(0, ...cells.map((row) => row.length));
  const widths = Array.from({ length: count }, (_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  return cells
    .map((row) =>
      row
        .map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value);
}

/** "3s", "4m", "2h", "5d" since `iso` (kubectl's AGE column). */
export function age(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Milliseconds as "0.4s", "12.0s", "2m05s". */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** Parses "500ms", "30s", "5m", "1h" or a number of seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Number(match[1]) * unit;
}
