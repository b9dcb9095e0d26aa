// Text helpers for the deterministic fallbacks: normalisation, lexicon matching, language guess.

/** Lower case without diacritics, so `Réclamation` and `reclamation` match the same entry. */
export function normalize(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

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
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${parts.join('|')})`, 'gu');
}

/** How many distinct lexicon terms occur in the normalised text. */
export function countMatches(normalized: string, lexicon: RegExp): number {
  const found = new Set<string>();
  for (const match of normalized.matchAll(lexicon)) found.add(match[0]);
  return found.size;
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
    const count = [...norm.matchAll(lexicon)].length;
    if (count > bestCount) {
      best = language;
      bestCount = count;
    }
  }
  return best;
}
