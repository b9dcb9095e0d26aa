// The operator's HTTP endpoints for the kubelet and Prometheus: /healthz (the process serves),
// /readyz (the manager says it is ready) and /metrics. Bound to 127.0.0.1 unless told otherwise.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@agentplane/shared';
import type { Registry } from 'prom-client';

export interface ProbeServerOptions {
  log: Logger;
  registry: Registry;
  /** Readiness and the facts behind it, shown in the /readyz body. */
  readiness: () => { ready: boolean; [fact: string]: unknown };
  host?: string;
  /** 0 picks a free port; see `port` after listen. */
  port?: number;
}

export interface ProbeServer {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export function createProbeServer({
  log,
  registry,
  readiness,
  host = '127.0.0.1',
  port = 0,
}: ProbeServerOptions): ProbeServer {
  const server = createServer((request, response) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'Content-Type': type }).end(body);
    };
    const path = new URL(request.url ?? '/', 'http://probe').pathname;
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      const facts = readiness();
      return send(facts.ready ? 200 : 503, `${JSON.stringify(facts)}\n`, 'application/json');
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        (error: unknown) => {
          log.error({ err: error }, 'cannot collect metrics');
          send(500, 'cannot collect metrics\n');
        },
      );
      return;
    }
    send(404, 'not found\n');
  });

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const bound = (server.address() as AddressInfo).port;
          log.info({ host, port: bound }, 'probe server listening');
          resolve(bound);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
