// Text helpers for the deterministic fallbacks: normalisation, lexicon matching, language guess.

/** Lower case without diacritics, so `Réclamation` and `reclamation` match the same entry. */
export function normalize(text: string): string {
  // Triage, intent, the language guess and the embedding all normalise the same message: remember
  // the last one (the function is pure, so this changes nothing but the cost).
  if (text === lastText) return lastNormalized;
  lastNormalized = text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  lastText = text;
  return lastNormalized;
}
let lastText: string | undefined;
let lastNormalized = '';

const escapeRegExp = (term: string) => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Compiles lexicon terms to one regular expression. A term matches as whole words; a trailing `*`
 * makes it a prefix (`refund*` matches `refunded`). Terms are normalised like the text.
 */
export function compileLexicon(terms: readonly string[]): RegExp {
  const parts = terms.map((term) => {
    const norm = normalize(term);
    const prefix = norm.endsWith('*');
    const body = escapeRegExp(prefix ? norm.slice(0, -1) : norm).replace(/ /g, '\\s+');
    return prefix ? `${body}[\\p{L}\\p{N}]*` : `${body}(?![\\p{L}\\p{N}])`;
  });
  const lexicon = new RegExp(`(?<![\\p{L}\\p{N}])(?:${parts.join('|')})`, 'gu');
  // The same alternation, anchored (sticky) and without the look-behind, tried only at the
  // positions where the look-behind holds and the first character can start a term: the matches
  // are exactly those of `lexicon`, found without running the regular expression at every position.
  const firsts = new Uint8Array(0x10000);
  for (const term of terms) {
    const first = normalize(term).charCodeAt(0);
    if (!Number.isNaN(first)) firsts[first] = 1;
  }
  compiled.set(lexicon, { sticky: new RegExp(`(?:${parts.join('|')})`, 'uy'), firsts });
  return lexicon;
}

interface Compiled {
  sticky: RegExp;
  /** Character codes (below 0x10000) a term can start with, as a lookup table. */
  firsts: Uint8Array;
}
const compiled = new WeakMap<RegExp, Compiled>();
const letterOrDigit = /[\p{L}\p{N}]/u;

/** Positions of `normalized` not preceded by a letter or digit (where a term may begin); the last text's are kept. */
function termStarts(normalized: string): number[] {
  if (normalized === startsOf) return starts;
  const found: number[] = [];
  let previousIsWord = false;
  for (let i = 0; i < normalized.length; i++) {
    const code = normalized.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff && i > 0) continue; // second half of a surrogate pair
    if (!previousIsWord) found.push(i);
    const point = normalized.codePointAt(i) ?? code;
    previousIsWord =
      point < 0x80
        ? (point >= 0x30 && point <= 0x39) ||
          (point >= 0x61 && point <= 0x7a) ||
          (point >= 0x41 && point <= 0x5a)
        : letterOrDigit.test(String.fromCodePoint(point));
  }
  startsOf = normalized;
  starts = found;
  return found;
}
let startsOf: string | undefined;
let starts: number[] = [];

/** Every match of `lexicon` in order, as `matchAll` would find them. */
function matchesOf(normalized: string, lexicon: RegExp): string[] {
  const found: string[] = [];
  const fast = compiled.get(lexicon);
  if (!fast) {
    for (const match of normalized.matchAll(lexicon)) found.push(match[0]);
    return found;
  }
  const { sticky, firsts } = fast;
  const positions = termStarts(normalized);
  let from = 0;
  for (let k = 0; k < positions.length; k++) {
    const at = positions[k] as number;
    if (at < from || firsts[normalized.charCodeAt(at)] !== 1) continue;
    sticky.lastIndex = at;
    const match = sticky.exec(normalized);
    if (match && match[0].length > 0) {
      found.push(match[0]);
      from = at + match[0].length;
    }
  }
  return found;
}

/** How many distinct lexicon terms occur in the normalised text. */
export function countMatches(normalized: string, lexicon: RegExp): number {
  const found = matchesOf(normalized, lexicon);
  return found.length < 2 ? found.length : new Set(found).size;
}

/** How many lexicon matches (repeats included) occur in the normalised text. */
function countAll(normalized: string, lexicon: RegExp): number {
  return matchesOf(normalized, lexicon).length;
}

export type Language = 'en' | 'de' | 'fr' | 'es' | 'it' | 'pt' | 'nl';

const stopwords: Record<Language, RegExp> = {
  en: compileLexicon([
    'the',
    'and',
    'is',
    'you',
    'your',
    'i',
    'to',
    'my',
    'we',
    'it',
    'for',
    'with',
    'have',
    'this',
  ]),
  de: compileLexicon([
    'der',
    'die',
    'das',
    'und',
    'ist',
    'ich',
    'nicht',
    'wir',
    'sie',
    'ihr',
    'mit',
    'fur',
    'bitte',
    'haben',
  ]),
  fr: compileLexicon([
    'le',
    'la',
    'les',
    'et',
    'est',
    'je',
    'vous',
    'nous',
    'pas',
    'pour',
    'avec',
    'une',
    'mon',
    'votre',
  ]),
  es: compileLexicon([
    'el',
    'la',
    'los',
    'las',
    'y',
    'es',
    'yo',
    'que',
    'para',
    'con',
    'una',
    'mi',
    'su',
    'no',
    'por',
  ]),
  it: compileLexicon([
    'il',
    'lo',
    'gli',
    'e',
    'sono',
    'che',
    'per',
    'con',
    'una',
    'mio',
    'non',
    'vostro',
    'della',
    'buongiorno',
  ]),
  pt: compileLexicon([
    'o',
    'os',
    'as',
    'e',
    'que',
    'para',
    'com',
    'uma',
    'meu',
    'nao',
    'voces',
    'obrigado',
    'estou',
    'bom',
  ]),
  nl: compileLexicon([
    'de',
    'het',
    'een',
    'en',
    'ik',
    'niet',
    'wij',
    'voor',
    'met',
    'mijn',
    'jullie',
    'graag',
    'bedankt',
  ]),
};

/** The language with the most stopword hits; English when nothing stands out. */
export function guessLanguage(text: string): Language {
  const norm = normalize(text);
  let best: Language = 'en';
  let bestCount = 0;
  for (const [language, lexicon] of Object.entries(stopwords) as [Language, RegExp][]) {
    const count = countAll(norm, lexicon);
    if (count > bestCount) {
      best = language;
      bestCount = count;
    }
  }
  return best;
}
