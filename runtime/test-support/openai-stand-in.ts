// A STAND-IN for an OpenAI-compatible endpoint, for tests only: a real HTTP server on 127.0.0.1
// speaking POST /v1/chat/completions and POST /v1/embeddings with the real wire format. Each test
// scripts it: queued one-off responses (status, body, delay) first, then the default answer, which
// fills the request's `response_format.json_schema` with plausible values.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Scripted {
  status?: number;
  /** For chat: the JSON object the model "returns" as message content; or a raw body for errors. */
  content?: unknown;
  body?: unknown;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { json_schema?: { name?: string } };
}

const defaults: Record<string, unknown> = {
  intent: { label: 'sales', confidence: 0.9, urgency: 'normal', sentiment: 'positive' },
  entities: {
    name: 'Model Person',
    email: 'model@example.com',
    phone: null,
    company: 'Model Corp',
    interest: null,
  },
  lead: { score: 80, tags: ['saas'] },
  reply: { reply: 'Thanks! Our team will send pricing today.' },
};

function encode(vector: number[], format: unknown): number[] | string {
  return format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
}

export async function startOpenAiStandIn() {
  const queue: Scripted[] = [];
  const requests: { path: string; body: ChatRequest & Record<string, unknown>; authorization?: string }[] =
    [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    const path = request.url ?? '';
    requests.push({
      path,
      body,
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
    });
    const step = queue.shift() ?? {};
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    if (response.destroyed) return;
    const status = step.status ?? 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    if (status !== 200) {
      return response.end(
        JSON.stringify(step.body ?? { error: { message: `scripted ${status}`, type: 'server_error' } }),
      );
    }
    if (path.endsWith('/embeddings')) {
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      const dims = body.dimensions ?? 8;
      return response.end(
        JSON.stringify({
          object: 'list',
          model: body.model,
          data: inputs.map((text, index) => ({
            object: 'embedding',
            index,
            // As the real API: base64 of little-endian float32 when asked (the SDK asks by default).
            embedding: encode(
              Array.from({ length: dims }, (_, i) => ((text.length + i) % 7) / 7),
              body.encoding_format,
            ),
          })),
          usage: { prompt_tokens: inputs.length * 5, total_tokens: inputs.length * 5 },
        }),
      );
    }
    const name = body.response_format?.json_schema?.name ?? 'reply';
    const usage = step.usage ?? { prompt_tokens: 30, completion_tokens: 10 };
    response.end(
      JSON.stringify({
        id: `chatcmpl-standin-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            message: {
              role: 'assistant',
              content: JSON.stringify(step.content ?? defaults[name] ?? {}),
              refusal: null,
            },
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    /** Queues one-off responses, consumed by the next requests in order. */
    script: (...steps: Scripted[]) => queue.push(...steps),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type OpenAiStandIn = Awaited<ReturnType<typeof startOpenAiStandIn>>;
