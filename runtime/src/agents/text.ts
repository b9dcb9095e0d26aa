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
 *
 * The regular expression states what matches; the counting functions below find exactly its
 * matches without running it: every compiled lexicon's terms go into one trie, and one walk over a
 * text finds the matches of all lexicons at once (the steps ask about the same text many times).
 */
export function compileLexicon(terms: readonly string[]): RegExp {
  const parts = terms.map((term) => {
    const norm = normalize(term);
    const prefix = norm.endsWith('*');
    const body = escapeRegExp(prefix ? norm.slice(0, -1) : norm).replace(/ /g, '\\s+');
    return prefix ? `${body}[\\p{L}\\p{N}]*` : `${body}(?![\\p{L}\\p{N}])`;
  });
  const lexicon = new RegExp(`(?<![\\p{L}\\p{N}])(?:${parts.join('|')})`, 'gu');
  lexicons.set(lexicon, { id: lexiconTerms.length });
  lexiconTerms.push(terms.map((term) => normalize(term)));
  trie = undefined;
  return lexicon;
}

/** A term ending at a trie node: its lexicon, its rank there (the first listed wins) and kind. */
interface TermEnd {
  lexicon: number;
  rank: number;
  prefix: boolean;
}
interface TrieNode {
  next: Map<number, TrieNode>;
  /** The edge of a space in a term: one or more whitespace characters of the text. */
  space?: TrieNode;
  ends: TermEnd[];
}

const lexicons = new WeakMap<RegExp, { id: number }>();
const lexiconTerms: string[][] = [];
let trie: TrieNode | undefined;
/** Per lexicon: where its next match may start, and the best term found at the current position. */
const scratch = { from: [] as number[], rank: [] as number[], end: [] as number[], touched: [] as number[] };

const trieNode = (): TrieNode => ({ next: new Map(), ends: [] });

function buildTrie(): TrieNode {
  const root = trieNode();
  lexiconTerms.forEach((terms, lexicon) => {
    terms.forEach((term, rank) => {
      const prefix = term.endsWith('*');
      const body = prefix ? term.slice(0, -1) : term;
      let node = root;
      for (let i = 0; i < body.length; i++) {
        const code = body.charCodeAt(i);
        if (code === 0x20) node = node.space ??= trieNode();
        else {
          const child = node.next.get(code) ?? trieNode();
          node.next.set(code, child);
          node = child;
        }
      }
      node.ends.push({ lexicon, rank, prefix });
    });
  });
  const count = lexiconTerms.length;
  scratch.from = new Array<number>(count).fill(0);
  scratch.rank = new Array<number>(count).fill(-1);
  scratch.end = new Array<number>(count).fill(0);
  return root;
}

const letterOrDigit = /[\p{L}\p{N}]/u;

/** Code units of the letter or digit at `i` (2 for a surrogate pair), 0 when there is none. */
function wordCharAt(text: string, i: number): number {
  if (i >= text.length) return 0;
  const code = text.charCodeAt(i);
  if (code < 0x80) {
    return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)
      ? 1
      : 0;
  }
  const point = text.codePointAt(i) ?? code;
  return letterOrDigit.test(String.fromCodePoint(point)) ? (point > 0xffff ? 2 : 1) : 0;
}

/** `\s` of a unicode regular expression. */
function isSpace(code: number): boolean {
  return code < 0x80
    ? code === 0x20 || (code >= 0x09 && code <= 0x0d)
    : code === 0xa0 ||
        code === 0x1680 ||
        (code >= 0x2000 && code <= 0x200a) ||
        code === 0x2028 ||
        code === 0x2029 ||
        code === 0x202f ||
        code === 0x205f ||
        code === 0x3000 ||
        code === 0xfeff;
}

/** Positions of `normalized` not preceded by a letter or digit: where a term may begin. */
function termStarts(normalized: string): number[] {
  const found: number[] = [];
  let previousIsWord = false;
  for (let i = 0; i < normalized.length; i++) {
    const code = normalized.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff && i > 0) continue; // second half of a surrogate pair
    if (!previousIsWord) found.push(i);
    previousIsWord = wordCharAt(normalized, i) > 0;
  }
  return found;
}

/**
 * Every lexicon's matches in `normalized`, in order, as `matchAll` of its regular expression would
 * find them: at each position where a term may begin, the first listed term that matches there
 * (a whole-word term when no letter or digit follows, a prefix term with the word's rest), and the
 * next match of that lexicon only after the end of this one. Indexed by lexicon id.
 */
function allMatches(normalized: string): (string[] | undefined)[] {
  trie ??= buildTrie();
  const found: (string[] | undefined)[] = [];
  const { from, rank, end, touched } = scratch;
  for (const at of termStarts(normalized)) {
    let node: TrieNode | undefined = trie;
    let i = at;
    while (node) {
      for (const term of node.ends) {
        const { lexicon } = term;
        if (at < (from[lexicon] as number)) continue;
        const best = rank[lexicon] as number;
        if (best >= 0 && best <= term.rank) continue;
        let stop = i;
        if (term.prefix)
          for (let n = wordCharAt(normalized, i); n > 0; n = wordCharAt(normalized, stop)) stop += n;
        else if (wordCharAt(normalized, i) > 0) continue;
        if (best < 0) touched.push(lexicon);
        rank[lexicon] = term.rank;
        end[lexicon] = stop;
      }
      if (i >= normalized.length) break;
      const code = normalized.charCodeAt(i);
      if (node.space && isSpace(code)) {
        node = node.space;
        while (i < normalized.length && isSpace(normalized.charCodeAt(i))) i++;
      } else {
        node = node.next.get(code);
        i++;
      }
    }
    for (const lexicon of touched) {
      const stop = end[lexicon] as number;
      const list = found[lexicon] ?? [];
      list.push(normalized.slice(at, stop));
      found[lexicon] = list;
      from[lexicon] = stop;
      rank[lexicon] = -1;
    }
    touched.length = 0;
  }
  from.fill(0);
  return found;
}

let matchedText: string | undefined;
let matched: (string[] | undefined)[] = [];

/** Every match of `lexicon` in order, as `matchAll` would find them (the last text's are kept). */
export function lexiconMatches(normalized: string, lexicon: RegExp): readonly string[] {
  const known = lexicons.get(lexicon);
  if (!known) return Array.from(normalized.matchAll(lexicon), (match) => match[0]);
  if (normalized !== matchedText || trie === undefined) {
    matched = allMatches(normalized);
    matchedText = normalized;
  }
  return matched[known.id] ?? none;
}
const none: readonly string[] = [];

/** How many distinct lexicon terms occur in the normalised text. */
export function countMatches(normalized: string, lexicon: RegExp): number {
  const found = lexiconMatches(normalized, lexicon);
  return found.length < 2 ? found.length : new Set(found).size;
}

/** How many lexicon matches (repeats included) occur in the normalised text. */
function countAll(normalized: string, lexicon: RegExp): number {
  return lexiconMatches(normalized, lexicon).length;
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
