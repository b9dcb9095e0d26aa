// A TCP relay on 127.0.0.1 in front of a real service, so a test can take the service away from one
// client (connections refused, open ones reset) and give it back, while the service itself — shared
// with every other suite — keeps running with its state. The test bed's Vault is a dev server whose
// data lives in memory: stopping it would lose every policy and secret, which a real outage does not.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../testbed/ports.ts';

export interface TcpRelay {
  /** `http://127.0.0.1:<port>`: where the client should connect. */
  readonly url: string;
  /** Refuse new connections and reset the open ones, as a crashed service would. */
  cut(): Promise<void>;
  /** Accept and relay again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<free port> to `target` (an http://host:port URL). */
export async function startTcpRelay(target: string): Promise<TcpRelay> {
  const { hostname, port: targetPort } = new URL(target);
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(Number(targetPort), hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });

  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    restore: async () => {
      if (!server) await listen();
    },
    close: cut,
  };
}
