// Scores of an evaluation run: per-label precision/recall/F1, accuracy, and per-field entity
// precision/recall/F1 with lenient normalisation (case, spacing; phones compared by digits).
import type { Entities, Intent, Temperature } from '../src/messages.ts';

export interface LabelledMessage {
  text: string;
  intent: Intent;
  lead: Temperature;
  entities: Partial<Record<'name' | 'email' | 'phone' | 'company', string>>;
}

export interface Prediction {
  intent: Intent;
  lead: Temperature;
  entities: Entities;
}

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

const round = (value: number) => Math.round(value * 1000) / 1000;
function prf(tp: number, fp: number, fn: number): Prf {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision: round(precision), recall: round(recall), f1: round(f1), support: tp + fn };
}

/** Per-label scores and accuracy of `predicted` against `expected`. Pure. */
export function labelScores<L extends string>(labels: readonly L[], expected: L[], predicted: L[]) {
  const perLabel = {} as Record<L, Prf>;
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    expected.forEach((e, i) => {
      const p = predicted[i];
      if (p === label && e === label) tp++;
      else if (p === label) fp++;
      else if (e === label) fn++;
    });
    perLabel[label] = prf(tp, fp, fn);
  }
  const correct = expected.filter((e, i) => predicted[i] === e).length;
  return { accuracy: round(correct / Math.max(1, expected.length)), perLabel };
}

export const entityFields = ['name', 'email', 'phone', 'company'] as const;

/** Compares two values of a field: phones by digits (a leading 00 read as +), others case- and space-insensitively. */
export function sameEntity(field: (typeof entityFields)[number], a: string, b: string): boolean {
  if (field === 'phone') {
    const digits = (value: string) => value.replace(/\D/g, '').replace(/^00/, '');
    return digits(a) === digits(b);
  }
  const norm = (value: string) =>
    value.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').replace(/[.,]$/, '').trim();
  return norm(a) === norm(b);
}

/** Per-field entity P/R/F1: a wrong value counts as both a false positive and a false negative. Pure. */
export function entityScores(expected: LabelledMessage['entities'][], predicted: Entities[]) {
  const result = {} as Record<(typeof entityFields)[number], Prf & { accuracy: number }>;
  for (const field of entityFields) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let exact = 0;
    expected.forEach((e, i) => {
      const want = e[field];
      const got = predicted[i]?.[field];
      if (want && got && sameEntity(field, want, got)) tp++;
      else {
        if (got) fp++;
        if (want) fn++;
      }
      if ((!want && !got) || (want && got && sameEntity(field, want, got))) exact++;
    });
    result[field] = { ...prf(tp, fp, fn), accuracy: round(exact / Math.max(1, expected.length)) };
  }
  return result;
}
