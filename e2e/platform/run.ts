// The local platform: the test bed, the CRDs, the operator (with its least-privilege identity) and
// a sample tenant with an agent, until Ctrl-C. `./dev platform` runs this after installing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../testbed/paths.ts';
import { freePort } from '../testbed/ports.ts';
import { down, envPath, readState, status, up } from '../testbed/testbed.ts';

// A bed that was already running is left running afterwards; one started here is stopped.
const owned = !(readState()?.ready && status()?.services.every((s) => s.alive));
const state = await up();
Object.assign(process.env, state.env);
// Imported after the env is set: the helpers read KUBECONFIG from it.
const { installCrds } = await import('../helpers/crds.ts');
const { kubectlOk } = await import('../helpers/kubectl.ts');
const { operatorKubeconfig, vaultTokenFile } = await import('../helpers/operator.ts');

await installCrds();
const port = await freePort();
const operator = spawn(process.execPath, [join(repoRoot, 'operator/src/main.ts')], {
  env: {
    ...process.env,
    KUBECONFIG: await operatorKubeconfig(),
    OPERATOR_HTTP_ADDRESS: `127.0.0.1:${port}`,
    VAULT_TOKEN_FILE: vaultTokenFile(),
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  operator.kill('SIGTERM');
  await new Promise((resolve) => operator.once('exit', resolve));
  if (owned) await down();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
operator.on('exit', (code) => {
  if (!stopping) console.error(`the operator exited with ${code}; stopping`);
  void stop();
});

const samples = ['tenant-globex.yaml', 'agentinstance-support.yaml'].map((file) =>
  join(repoRoot, 'crds/samples', file),
);
await kubectlOk(['apply', '-f', samples[0] as string]);
await kubectlOk(['wait', '--for=condition=Ready', '--timeout=120s', 'tenant/globex']);
await kubectlOk(['apply', '-f', samples[1] as string]);
await kubectlOk([
  'wait',
  '--for=condition=Ready',
  '--timeout=120s',
  'agentinstance/support',
  '-n',
  'tenant-globex',
]);
console.log(await kubectlOk(['get', 'agentplane', '-A']));
console.log(`local platform running: sample tenant globex with agent support.
  source ${envPath}            # KUBECONFIG, KAFKA_BROKERS, VAULT_ADDR, DATABASE_URL, kubectl on PATH
  kubectl describe tenant globex
  curl http://127.0.0.1:${port}/metrics   # the operator's metrics
Ctrl-C stops everything.`);
