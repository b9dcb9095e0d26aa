import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BedContext } from '../context.ts';
import { freePortPair } from '../ports.ts';
import { startService, waitUntilReady } from '../processes.ts';

export interface VaultEndpoint {
  addr: string;
  token: string;
}

/**
 * Starts a Vault dev server (in-memory, unsealed, KV v2 at `secret/`) on loopback with a random
 * root token. The token is written only to `.testbed/env`, never to a log line.
 */
export async function startVault(ctx: BedContext): Promise<VaultEndpoint> {
  const port = await freePortPair();
  const token = `testbed-${randomBytes(12).toString('hex')}`;
  const home = join(ctx.runDir, 'vault');
  mkdirSync(home, { recursive: true });
  const service = startService({
    name: 'vault',
    command: join(ctx.components.vault, 'vault'),
    args: [
      'server',
      '-dev',
      `-dev-root-token-id=${token}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      '-dev-no-store-token',
      '-log-level=warn',
    ],
    // HOME keeps the CLI's token helper away from the user's own ~/.vault-token.
    env: { HOME: home, VAULT_DEV_ROOT_TOKEN_ID: '', VAULT_ADDR: '', VAULT_TOKEN: '' },
    logFile: join(ctx.logsDir, 'vault.log'),
  });
  ctx.track(service);
  const addr = `http://127.0.0.1:${port}`;
  await waitUntilReady(service, async () => (await fetch(`${addr}/v1/sys/health`)).status === 200);
  return { addr, token };
}
