// A minimal server-sent-events client for tests: one socket per stream (no pooling, so closing
// the client closes its connection), frames collected as they arrive.
import { request } from 'node:http';

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  /** A comment line (`: heartbeat`). */
  comment?: string;
}

export interface SseClient {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  frames: SseFrame[];
  /** The `message.processed` events received so far, with their data parsed. */
  events(): { id: string; data: Record<string, unknown> }[];
  close(): void;
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    const match = /^(id|event|data): ?(.*)$/.exec(line);
    if (match?.[1]) frame[match[1] as 'id' | 'event' | 'data'] = match[2] ?? '';
  }
  return frame;
}

/** Opens `url`; resolves once the response headers are in. Reading goes on until `close()`. */
export function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      const frames: SseFrame[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        events: () =>
          frames
            .filter((frame) => frame.event === 'message.processed')
            .map((frame) => ({ id: frame.id ?? '', data: JSON.parse(frame.data ?? '{}') })),
        close: () => req.destroy(),
      });
    });
    req.end();
  });
}
