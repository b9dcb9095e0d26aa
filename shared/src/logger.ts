// One JSON logger factory for every part. Messages are constant strings; what varies goes into
// fields (`log.info({ key }, 'reconciled')`) so logs can be queried without parsing prose.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LoggerSettings {
  /** The component, written as `name` on every line (e.g. `operator`). */
  name: string;
  level?: LogLevel;
  /** Where lines go; stdout when omitted. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  /** Fields computed per line, e.g. the active trace and span ids from OpenTelemetry. */
  mixin?: () => Record<string, unknown>;
}

/**
 * Creates a pino logger writing one JSON object per line: `level` as a label, `time` as ISO 8601,
 * errors under `err` with their stack. Use `.child({ controller, key })` to add fields.
 */
export function createLogger({ name, level = 'info', destination, mixin }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(mixin ? { mixin } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything: for tests and code paths that must take one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
