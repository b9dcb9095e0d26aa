// Triage: ends spam and empty messages before any model call, flags prompt-injection attempts.
// Always rules, never the model: it has to be cheap.
import { injectionTerms, salesTerms, spamTerms, supportTerms } from './lexicon.ts';
import { countMatches, guessLanguage, type Language, normalize } from './text.ts';

export interface Triage {
  verdict: 'ok' | 'spam' | 'empty';
  injection: boolean;
  language: Language;
}

const url = /\bhttps?:\/\/\S+|\bwww\.\S+|\bbit\.ly\/\S+/giu;
const moneyBait = /[$€£]\s?\d[\d,.]*\s?(k|m|million|000)|\d+\s?(%|percent)\s?(off|return|profit)/iu;

/** Classifies a message's text. Pure. */
export function triage(text: string): Triage {
  const language = guessLanguage(text);
  const stripped = text.replace(/[\s\p{P}\p{S}]/gu, '');
  if (stripped.length < 2) return { verdict: 'empty', injection: false, language };
  const norm = normalize(text);
  const spam = countMatches(norm, spamTerms);
  const links = (text.match(url) ?? []).length;
  const business = countMatches(norm, salesTerms) + countMatches(norm, supportTerms);
  const shouting = text.length > 20 && text.replace(/[^\p{Lu}]/gu, '').length / stripped.length > 0.6;
  const score =
    spam * 2 + links + (moneyBait.test(text) ? 1 : 0) + (shouting ? 1 : 0) - (business > 2 ? 1 : 0);
  return { verdict: score >= 2 ? 'spam' : 'ok', injection: countMatches(norm, injectionTerms) > 0, language };
}
