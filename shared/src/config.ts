// Settings come from environment variables described by a schema: each names its variable, an
// example, a default or whether it may be absent, and how to parse it. `readConfig` checks every
// variable and reports all violations at once, so a misconfigured start is fixed in one round.

/** One setting: its variable, an example value for messages, and a parser. */
export interface Setting<T> {
  readonly env: string;
  readonly example: string;
  readonly description?: string;
  /** Returns the value, or a sentence saying what is wrong with `raw`. */
  parse(raw: string | undefined): { ok: true; value: T } | { ok: false; problem: string };
}

interface Options<T> {
  example: string;
  description?: string;
  default?: T;
  optional?: boolean;
}

/** Present with a default or required: T; optional without default: T | undefined. */
type Out<T, O> = O extends { default: T } ? T : O extends { optional: true } ? T | undefined : T;

function define<T, O extends Options<T>>(
  env: string,
  options: O,
  convert: (raw: string) => T | { problem: string },
): Setting<Out<T, O>> {
  return {
    env,
    example: options.example,
    ...(options.description ? { description: options.description } : {}),
    parse(raw) {
      if (raw === undefined || raw === '') {
        if (options.default !== undefined) return { ok: true, value: options.default as Out<T, O> };
        if (options.optional) return { ok: true, value: undefined as Out<T, O> };
        return { ok: false, problem: 'is required' };
      }
      const value = convert(raw);
      if (typeof value === 'object' && value !== null && 'problem' in value) return { ok: false, ...value };
      return { ok: true, value: value as Out<T, O> };
    },
  };
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Builders for the kinds of settings the parts use. */
export const setting = {
  string: <const O extends Options<string>>(env: string, options: O) => define(env, options, (raw) => raw),

  integer: <const O extends Options<number> & { min?: number; max?: number }>(env: string, options: O) =>
    define(env, options, (raw) => {
      const value = Number(raw);
      const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
      if (/^-?\d+$/.test(raw) && value >= min && value <= max) return value;
      return { problem: `must be an integer from ${min} to ${max}, got "${raw}"` };
    }),

  boolean: <const O extends Options<boolean>>(env: string, options: O) =>
    define(env, options, (raw) => {
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return { problem: `must be true or false, got "${raw}"` };
    }),

  oneOf: <const V extends string, const O extends Options<V>>(
    env: string,
    values: readonly V[],
    options: O,
  ) =>
    define(env, options, (raw): V | { problem: string } =>
      (values as readonly string[]).includes(raw)
        ? (raw as V)
        : { problem: `must be one of ${values.join(', ')}, got "${raw}"` },
    ),

  url: <const O extends Options<string>>(env: string, options: O) =>
    define(env, options, (raw) => (URL.canParse(raw) ? raw : { problem: `must be a URL, got "${raw}"` })),

  /** A duration such as `500ms`, `15s`, `2m` or `1h`, read as milliseconds. */
  duration: <const O extends Options<number>>(env: string, options: O) =>
    define(env, options, (raw) => {
      const match = /^(\d+)(ms|s|m|h)$/.exec(raw);
      const unit = match?.[2] ? durationUnits[match[2]] : undefined;
      if (match && unit) return Number(match[1]) * unit;
      return { problem: `must be a duration such as 500ms, 15s, 2m or 1h, got "${raw}"` };
    }),

  /** A comma-separated list; blanks around items are dropped. */
  list: <const O extends Options<string[]>>(env: string, options: O) =>
    define(env, options, (raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
};

export type ConfigOf<S extends Record<string, Setting<unknown>>> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

/** Thrown by `readConfig`; `violations` has one line per bad variable. */
export class ConfigError extends Error {
  readonly violations: string[];
  constructor(violations: string[]) {
    super(`invalid configuration:\n${violations.map((line) => `  - ${line}`).join('\n')}`);
    this.name = 'ConfigError';
    this.violations = violations;
  }
}

/**
 * Reads every setting of `schema` from `env` (pass `process.env`; only config modules do).
 * Returns a frozen object; throws ConfigError listing every violation with its variable and an example.
 */
export function readConfig<S extends Record<string, Setting<unknown>>>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): ConfigOf<S> {
  const values: Record<string, unknown> = {};
  const violations: string[] = [];
  for (const [key, item] of Object.entries(schema)) {
    const result = item.parse(env[item.env]);
    if (result.ok) values[key] = result.value;
    else violations.push(`${item.env} ${result.problem} (e.g. ${item.env}=${item.example})`);
  }
  if (violations.length > 0) throw new ConfigError(violations);
  return Object.freeze(values) as ConfigOf<S>;
}
