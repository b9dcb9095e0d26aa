import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BedContext } from '../context.ts';
import { freePort } from '../ports.ts';
import { startService, waitUntilReady } from '../processes.ts';

/**
 * Starts a throw-away PostgreSQL cluster from Debian's packages on loopback (trust auth, no
 * fsync) with a database `agentplane`; returns its URL. PostgreSQL refuses to run as root, so as
 * root the cluster belongs to the `postgres` user the package created.
 */
export async function startPostgres(ctx: BedContext): Promise<string> {
  const bin = postgresBinDir();
  const owner = clusterOwner();
  const dataDir = join(ctx.runDir, 'postgres');
  const socketDir = join(ctx.runDir, 'postgres-socket');
  for (const dir of [dataDir, socketDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }
  const asOwner = { uid: owner?.uid, gid: owner?.gid };
  execFileSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...asOwner },
  );
  const port = await freePort();
  const service = startService({
    name: 'postgres',
    command: join(bin, 'postgres'),
    args: [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    logFile: join(ctx.logsDir, 'postgres.log'),
    ...asOwner,
  });
  ctx.track(service);
  const psql = (sql: string) =>
    execFileSync(
      'psql',
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qAtc', sql],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ).toString();
  await waitUntilReady(service, async () => psql('select 1').trim() === '1');
  psql('create database agentplane');
  return `postgres://postgres@127.0.0.1:${port}/agentplane`;
}

/** The newest PostgreSQL server binaries on the machine (Debian keeps them off PATH). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error(
      'PostgreSQL server not found in /usr/lib/postgresql; install it: apt-get install -y postgresql',
    );
  }
  return join(root, versions[0], 'bin');
}

function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root needs the "postgres" user that Debian\'s postgresql package creates');
  }
}
