// Splits a document into chunks for retrieval. Markdown: a heading starts a new chunk and names it
// (the heading path becomes the chunk's title), fenced code stays whole when it fits, paragraphs are
// packed up to `maxChars`; a block longer than that is cut at sentences, then words. Consecutive
// chunks of one section share `overlapChars` of text, so a fact cut at a boundary is still found.
// Plain text: the same without headings or fences.

export interface Chunk {
  seq: number;
  /** The headings above the chunk, outermost first. */
  headings: string[];
  text: string;
}

export interface ChunkOptions {
  maxChars: number;
  overlapChars: number;
}

export const defaultChunkOptions: ChunkOptions = { maxChars: 1200, overlapChars: 150 };

type Block = { kind: 'heading'; level: number; text: string; line: string } | { kind: 'text'; text: string };

const headingLine = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const fenceLine = /^(```|~~~)/;

/** The document as headings and text blocks (paragraphs, fenced code). Pure. */
function blocksOf(content: string, markdown: boolean): Block[] {
  const blocks: Block[] = [];
  let lines: string[] = [];
  let fence: string | undefined;
  const flush = () => {
    const text = lines.join('\n').trim();
    if (text) blocks.push({ kind: 'text', text });
    lines = [];
  };
  for (const line of content.replace(/\r\n?/g, '\n').split('\n')) {
    const fenceMark = markdown ? fenceLine.exec(line.trimStart())?.[1] : undefined;
    if (fence) {
      lines.push(line);
      if (fenceMark === fence) {
        fence = undefined;
        flush();
      }
      continue;
    }
    if (fenceMark) {
      flush();
      fence = fenceMark;
      lines.push(line);
      continue;
    }
    const heading = markdown ? headingLine.exec(line) : null;
    if (heading?.[1] && heading[2]) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1].length, text: heading[2], line: line.trim() });
    } else if (line.trim() === '') flush();
    else lines.push(line);
  }
  flush();
  return blocks;
}

/** Cuts `text` into pieces of at most `limit` characters: at sentence ends, then spaces, then anywhere. */
function splitLong(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const units = text
    .split(/(?<=[.!?;:])\s+/)
    .flatMap((sentence) => (sentence.length <= limit ? [sentence] : sentence.split(/\s+/)));
  const hardCut = (unit: string) => unit.match(new RegExp(`[^]{1,${limit}}`, 'g')) ?? [];
  const pieces: string[] = [];
  let current = '';
  for (const unit of units.flatMap((u) => (u.length <= limit ? [u] : hardCut(u)))) {
    if (current && current.length + 1 + unit.length > limit) {
      pieces.push(current);
      current = '';
    }
    current = current ? `${current} ${unit}` : unit;
  }
  if (current) pieces.push(current);
  return pieces;
}

/** The last `chars` of `text`, starting at a word boundary. Pure. */
function tailOf(text: string, chars: number): string {
  if (chars <= 0 || text.length <= chars) return chars <= 0 ? '' : text;
  const tail = text.slice(-chars);
  const space = tail.search(/\s/);
  return space >= 0 ? tail.slice(space + 1) : tail;
}

/** Packs one section's blocks into chunks of at most `maxChars`, overlapping by `overlapChars`. */
function packSection(blocks: string[], { maxChars, overlapChars }: ChunkOptions): string[] {
  const overlap = Math.min(overlapChars, Math.floor(maxChars / 4));
  const chunks: string[] = [];
  let current = '';
  for (const piece of blocks.flatMap((block) => splitLong(block, maxChars - overlap - 2))) {
    if (current && current.length + 2 + piece.length > maxChars) {
      chunks.push(current);
      const tail = tailOf(current, overlap);
      current = tail ? `${tail}\n\n${piece}` : piece;
    } else current = current ? `${current}\n\n${piece}` : piece;
  }
  if (current) chunks.push(current);
  return chunks;
}

/** The chunks of a document, in order; none for a document without text. Pure and deterministic. */
export function chunkDocument(
  content: string,
  contentType: 'text/markdown' | 'text/plain',
  options: ChunkOptions = defaultChunkOptions,
): Chunk[] {
  const chunks: Chunk[] = [];
  const headings: { level: number; text: string }[] = [];
  let section: string[] = [];
  let sectionHeadings: string[] = [];
  let hasText = false;
  const flush = (last: boolean) => {
    // Headings with no text of their own (a title above its first subsection) go with the next section.
    if (!hasText && !last) return;
    for (const text of packSection(section, options))
      chunks.push({ seq: chunks.length, headings: sectionHeadings, text });
    section = [];
    hasText = false;
  };
  for (const block of blocksOf(content, contentType === 'text/markdown')) {
    if (block.kind === 'text') {
      section.push(block.text);
      hasText = true;
      continue;
    }
    flush(false);
    while ((headings.at(-1)?.level ?? 0) >= block.level) headings.pop();
    headings.push({ level: block.level, text: block.text });
    sectionHeadings = headings.map((heading) => heading.text);
    section.push(block.line);
  }
  flush(true);
  return chunks;
}
