// The exit codes scripts branch on, and the one error type that carries them. Every failure the CLI
// reports becomes a CliError; anything else is a bug and exits 1 with its stack.

export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  unauthorized: 4,
  timeout: 5,
  unreachable: 6,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** What `platformctl --help` prints about them. */
export const exitCodeHelp = [
  ['0', 'success'],
  ['1', 'failure (the API or the cluster refused the request; the message says why)'],
  ['2', 'usage error: unknown command or flag, missing or bad argument'],
  ['3', 'not found (tenant, agent instance, export…)'],
  ['4', 'unauthorized or forbidden: bad or missing token, or a role that may not do this'],
  ['5', 'timed out waiting (deploy --timeout, export --timeout)'],
  ['6', 'a dependency is unreachable: the control-plane API or the Kubernetes API server'],
] as const;

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  /** Printed after the message: what to do about it. */
  readonly hint: string | undefined;
  /** The API's error code, or the Kubernetes Status reason. */
  readonly code: string | undefined;

  constructor(exitCode: ExitCode, message: string, options: { hint?: string; code?: string } = {}) {
    super(message);
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.code = options.code;
  }
}

export const usageError = (message: string, hint?: string) =>
  new CliError(exitCodes.usage, message, hint === undefined ? {} : { hint });

/** The exit code of an HTTP status from the API or the Kubernetes API server. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return exitCodes.unauthorized;
  if (status === 404) return exitCodes.notFound;
  if (status === 502 || status === 503 || status === 504) return exitCodes.unreachable;
  return exitCodes.failure;
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'TimeoutError',
]);

/** The network error code (ECONNREFUSED…) somewhere in `error`'s cause chain, if any. */
export function networkErrorCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 4) return undefined;
  const { code, name, cause, errors } = error as {
    code?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown[];
  };
  if (typeof code === 'string' && unreachableCodes.has(code)) return code;
  if (typeof name === 'string' && unreachableCodes.has(name)) return name;
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = networkErrorCode(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
