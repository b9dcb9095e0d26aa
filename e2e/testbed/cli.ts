// `npm run testbed -- up|down|status|build|run -- <command…>`: the real dependencies on 127.0.0.1.
import { spawn } from 'node:child_process';
import { ensureComponents, ensureHelm } from './build.ts';
import { down, envPath, isHealthy, readState, status, up } from './testbed.ts';

const usage = `usage: npm run testbed -- <command>
  up       build what is missing (once), start etcd, Kubernetes, kwok, Kafka, Vault and PostgreSQL,
           write ${envPath}, and return; the services keep running
  down     stop every service and remove their data
  status   show whether each service runs
  build    only build or fetch the binaries into the cache (and helm, which the chart tests use)
  run -- <command…>
           run a command with the test bed's environment; starts the bed first if none runs
           and stops it afterwards (even when the command fails)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status':
      return printStatus();
    case 'build':
      await ensureComponents();
      await ensureHelm();
      return 0;
    case 'run':
      return runWithBed(rest[0] === '--' ? rest.slice(1) : rest);
    default:
      console.error(usage);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

function printStatus(): number {
  const current = status();
  if (!current) {
    console.log('test bed is not running (start it with: npm run testbed -- up)');
    return 1;
  }
  for (const service of current.services) {
    console.log(`${service.alive ? 'up  ' : 'DOWN'}  ${service.name.padEnd(24)} pid ${service.pid}`);
  }
  console.log(`env: ${envPath}`);
  for (const [key, value] of Object.entries(current.state.env)) {
    if (key !== 'PATH' && key !== 'VAULT_TOKEN') console.log(`  ${key}=${value}`);
  }
  return isHealthy(current.state) ? 0 : 1;
}

async function runWithBed(command: string[]): Promise<number> {
  if (command.length === 0) throw new Error('run needs a command: npm run testbed -- run -- <command…>');
  const existing = readState();
  const owned = !isHealthy(existing);
  const state = owned ? await up() : existing;
  let stopping = false;
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ...state.env },
  });
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    child.kill(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await new Promise<number>((done) => {
    child.on('error', (error) => {
      console.error(`cannot run ${command[0]}: ${error.message}`);
      done(127);
    });
    child.on('close', (exitCode, signal) => done(exitCode ?? (signal ? 128 : 1)));
  });
  if (owned) await down();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
