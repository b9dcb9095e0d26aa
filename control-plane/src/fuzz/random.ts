// A seeded random source for the fuzzers, so a failure can be replayed: each run prints its seed and
// FUZZ_SEED=<seed> runs the same inputs again.
import { randomInt } from 'node:crypto';

export interface Random {
  readonly seed: number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  string(maxLength: number): string;
}

/** mulberry32: small, fast and good enough to choose inputs. */
export function seededRandom(seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31))): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    seed,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[random.int(items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
    string(maxLength) {
      const alphabet = 'abcAZ09-_./%:;\'"<>{}[]\\ \t\n\u0000\u00e9\u4e2d\u{1f600}';
      const chars = [...alphabet];
      return Array.from({ length: random.int(maxLength + 1) }, () => random.pick(chars)).join('');
    },
  };
  return random;
}

/** Strings that have broken parsers, routers and queries before. */
export const nastyStrings = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'null',
  'undefined',
  'true',
  "' or 1=1 --",
  '"; drop table tenants; --',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '\u0000',
  '%',
  '%zz',
  '\u202e',
  '\ud800',
  '<script>alert(1)</script>',
  '$'.concat('{7*7}'),
  '{{7*7}}',
  '__proto__',
  'constructor',
  'x'.repeat(300),
  'x'.repeat(70_000),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '*',
  '?',
  '#',
];

/** Values of every JSON type, including the awkward ones. */
export const nastyValues: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  -1e308,
  '',
  'x'.repeat(5000),
  [],
  [null],
  {},
  { __proto__: { admin: true } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
  '2026-13-45T25:61:61Z',
  'not-a-uuid',
];
