// A deterministic local embedding: words and character trigrams hashed into a fixed number of
// signed buckets (the "hashing trick"), log-scaled and L2-normalised. No model, no network: offline
// retrieval works, with lexical rather than semantic similarity.
import { normalize } from '../agents/text.ts';
import type { Embedder } from './store.ts';

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Embeds one text into `dimensions` numbers (unit length, or all zero for text without words). Pure. */
export function hashedEmbedding(text: string, dimensions = 256): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const hash = fnv1a(feature);
    vector[hash % dimensions] = (vector[hash % dimensions] ?? 0) + (hash & 0x80000000 ? -weight : weight);
  };
  for (const token of normalize(text).match(/[\p{L}\p{N}]+/gu) ?? []) {
    add(`w:${token}`, 1);
    const padded = `^${token}$`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, 0.5);
  }
  const scaled = vector.map((value) => Math.sign(value) * Math.log1p(Math.abs(value)));
  const norm = Math.hypot(...scaled);
  return norm === 0 ? scaled : scaled.map((value) => value / norm);
}

export function createHashedEmbedder(dimensions = 256): Embedder {
  return { dimensions, embed: async (texts) => texts.map((text) => hashedEmbedding(text, dimensions)) };
}
