import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkDocument } from './chunking.ts';

const words = (n: number, word = 'lorem') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

describe('chunkDocument', () => {
  it('starts a chunk at each heading and titles it with the heading path', () => {
    const chunks = chunkDocument(
      '# Handbook\n\n## Refunds\n\nRefunds take five days.\n\n## Shipping\n\nWe ship in 2 days.\n### Abroad\nAbroad takes a week.',
      'text/markdown',
    );
    assert.deepEqual(
      chunks.map((c) => [c.headings, c.text]),
      [
        [['Handbook', 'Refunds'], '# Handbook\n\n## Refunds\n\nRefunds take five days.'],
        [['Handbook', 'Shipping'], '## Shipping\n\nWe ship in 2 days.'],
        [['Handbook', 'Shipping', 'Abroad'], '### Abroad\n\nAbroad takes a week.'],
      ],
    );
    assert.deepEqual(
      chunks.map((c) => c.seq),
      [0, 1, 2],
    );
  });

  it('keeps every chunk within the bound and overlaps consecutive chunks of a section', () => {
    const long = [words(60, 'alpha'), words(60, 'beta'), words(60, 'gamma')].join('\n\n');
    const chunks = chunkDocument(`# Long\n\n${long}`, 'text/markdown', { maxChars: 400, overlapChars: 60 });
    assert.ok(chunks.length > 3, `${chunks.length} chunks`);
    for (const chunk of chunks) assert.ok(chunk.text.length <= 400, `${chunk.text.length} chars`);
    for (let i = 1; i < chunks.length; i++) {
      const previousTail = chunks[i - 1]?.text.split(/\s+/).at(-1) ?? '';
      assert.ok(chunks[i]?.text.includes(previousTail), `chunk ${i} repeats the end of chunk ${i - 1}`);
    }
    // Nothing is lost: every word appears in some chunk.
    for (const word of long.split(/\s+/))
      assert.ok(
        chunks.some((c) => c.text.includes(word)),
        word,
      );
  });

  it('keeps a fenced code block whole, headings inside it included', () => {
    const chunks = chunkDocument(
      '## Setup\n\n```sh\n# not a heading\nnpm install\n```\n\nDone.',
      'text/markdown',
    );
    assert.equal(chunks.length, 1);
    assert.match(chunks[0]?.text ?? '', /```sh\n# not a heading\nnpm install\n```/);
  });

  it('treats plain text as paragraphs, without headings', () => {
    const chunks = chunkDocument('# not a heading\n\nsecond paragraph', 'text/plain');
    assert.deepEqual(
      chunks.map((c) => [c.headings, c.text]),
      [[[], '# not a heading\n\nsecond paragraph']],
    );
    assert.deepEqual(chunkDocument(' \n\n \n', 'text/plain'), []);
  });

  it('cuts a single overlong word', () => {
    const chunks = chunkDocument('x'.repeat(1000), 'text/plain', { maxChars: 300, overlapChars: 0 });
    assert.ok(chunks.every((c) => c.text.length <= 300));
    assert.equal(chunks.map((c) => c.text).join(''), 'x'.repeat(1000));
  });
});
