// The one-pass lexicon matcher against its specification: each lexicon's regular expression. On the
// labelled messages and on texts built from the terms themselves (whitespace runs, prefixes,
// neighbouring letters, overlaps), it must find exactly the matches `matchAll` finds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import * as lexicon from './lexicon.ts';
import { compileLexicon, countMatches, lexiconMatches, normalize } from './text.ts';

const lexicons: [string, RegExp][] = [
  ...Object.entries(lexicon).filter((entry): entry is [string, RegExp] => entry[1] instanceof RegExp),
  ...Object.entries(lexicon.verticals),
];
const reference = (text: string, regex: RegExp) => Array.from(text.matchAll(regex), (match) => match[0]);

function assertSameMatches(texts: readonly string[]) {
  for (const text of texts) {
    const norm = normalize(text);
    for (const [name, regex] of lexicons) {
      assert.deepEqual(
        lexiconMatches(norm, regex),
        reference(norm, regex),
        `${name} on ${JSON.stringify(norm)}`,
      );
    }
  }
}

it('finds what the regular expressions find in the labelled messages', () => {
  const dataset = new URL('../../eval/messages.jsonl', import.meta.url).pathname;
  const texts = readFileSync(dataset, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { text: string }).text);
  assert.ok(texts.length >= 200);
  assertSameMatches(texts);
});

it('finds what the regular expressions find around the terms themselves', () => {
  const terms = ['how to', 'refund*', 'price', 'prices', 'earn $*', '100% free', "can't", 'co-founder', 'q1'];
  const seeded = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const random = seeded(7);
  const glue = [' ', '  ', '\t', '\u00a0', '', 'x', '9', 'é', '.', ', ', '-', '\n', '$', '😀'];
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const words = [
    ...terms,
    'how',
    'to',
    'refunded',
    'refunds',
    'pricey',
    'earn',
    '$5',
    'free',
    'co',
    'founder',
  ];
  const texts: string[] = [];
  for (let n = 0; n < 3000; n++) {
    let text = '';
    for (let k = 0; k < 6; k++) text += pick(glue) + pick(words).replace('*', pick(['', 'ing', 's']));
    texts.push(text.replace(/ /g, () => pick([' ', '  ', ' \t'])));
  }
  assertSameMatches(texts);
});

it('takes the first listed term at a position and counts distinct matches', () => {
  const terms = compileLexicon(['how', 'how to', 'refund*']);
  assert.deepEqual(lexiconMatches('how to get a refund, refunds or refund', terms), [
    'how',
    'refund',
    'refunds',
    'refund',
  ]);
  assert.equal(countMatches('how to get a refund, refunds or refund', terms), 3);
  assert.deepEqual(lexiconMatches('somehow prefunded', terms), []);
});
