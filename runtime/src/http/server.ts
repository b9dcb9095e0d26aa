// /healthz (the process is alive), /readyz (joined the group and caught up), /metrics (Prometheus).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one). Resolves once listening. */
export async function startHealthServer(options: {
  host: string;
  port: number;
  ready: () => boolean;
  registry: Registry;
}): Promise<HealthServer> {
  const server: Server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') return send(response, 200, 'ok\n');
    if (path === '/readyz')
      return options.ready() ? send(response, 200, 'ready\n') : send(response, 503, 'not ready\n');
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      response.writeHead(200, { 'content-type': options.registry.contentType });
      return response.end(body);
    }
    send(response, 404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function send(response: import('node:http').ServerResponse, status: number, body: string) {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(body);
}
