// List prices in USD per million tokens (input, output), for the usage events. Unknown models are
// charged at a conservative default so a bill is never under-reported.
import type { Usage } from '../messages.ts';

const perMillion: Record<string, [number, number]> = {
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4o': [2.5, 10],
  'gpt-4.1-mini': [0.4, 1.6],
  'gpt-4.1': [2, 8],
  'gpt-4.1-nano': [0.1, 0.4],
  'text-embedding-3-small': [0.02, 0],
};
const unknownModel: [number, number] = [5, 15];

/** The cost of `usage` on `model` in USD. Pure. */
export function costOf(model: string, usage: Usage): number {
  const key = Object.keys(perMillion)
    .filter((name) => model === name || model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  const [input, output] = key ? (perMillion[key] ?? unknownModel) : unknownModel;
  return (usage.promptTokens * input + usage.completionTokens * output) / 1_000_000;
}
