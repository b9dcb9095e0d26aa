import { join } from 'node:path';
import type { BedContext } from '../context.ts';
import { freePort } from '../ports.ts';
import { startService, waitUntilReady } from '../processes.ts';

/** Starts a single-member etcd on loopback; returns its client URL once /health says true. */
export async function startEtcd(ctx: BedContext): Promise<string> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const service = startService({
    name: 'etcd',
    command: join(ctx.components.etcd, 'etcd'),
    args: [
      '--name=testbed',
      `--data-dir=${join(ctx.runDir, 'etcd')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testbed=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    logFile: join(ctx.logsDir, 'etcd.log'),
  });
  ctx.track(service);
  await waitUntilReady(service, async () => {
    const response = await fetch(`${clientUrl}/health`);
    return ((await response.json()) as { health?: string }).health === 'true';
  });
  return clientUrl;
}
