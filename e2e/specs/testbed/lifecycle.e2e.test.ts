import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../testbed/paths.ts';

describe('test bed lifecycle', () => {
  it('`run` starts its own bed, passes the command its env and exit code, and leaves no process behind', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'agentplane-lifecycle-'));
    const probe = join(stateDir, 'seen.json');
    try {
      // The command records what it saw, then fails the way a crashing test run would.
      const script = `require('fs').writeFileSync(${JSON.stringify(probe)}, JSON.stringify({
        env: { KUBECONFIG: process.env.KUBECONFIG, KAFKA_BROKERS: process.env.KAFKA_BROKERS,
               VAULT_ADDR: process.env.VAULT_ADDR, DATABASE_URL: process.env.DATABASE_URL },
        state: JSON.parse(require('fs').readFileSync(${JSON.stringify(join(stateDir, 'state.json'))}, 'utf8')),
      })); process.exit(3);`;
      const result = spawnSync(
        process.execPath,
        [join(repoRoot, 'e2e/testbed/cli.ts'), 'run', '--', process.execPath, '-e', script],
        { env: { ...process.env, AGENTPLANE_TESTBED_DIR: stateDir }, encoding: 'utf8', timeout: 180_000 },
      );
      assert.equal(result.status, 3, `the command's exit code is passed through\n${result.stderr}`);

      const seen = JSON.parse(readFileSync(probe, 'utf8'));
      assert.match(seen.env.KAFKA_BROKERS, /^127\.0\.0\.1:\d+$/);
      assert.match(seen.env.VAULT_ADDR, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(seen.env.DATABASE_URL, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/agentplane$/);
      assert.notEqual(seen.env.KUBECONFIG, process.env.KUBECONFIG, 'an isolated bed, not the suite one');

      const pids: number[] = seen.state.services.map((s: { pid: number }) => s.pid);
      assert.equal(
        pids.length,
        8,
        'etcd, apiserver, controller-manager, scheduler, kwok, Kafka, Vault, PostgreSQL',
      );
      for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} was stopped`);
      assert.equal(existsSync(seen.state.runDir), false, 'the data folder was removed');
      assert.equal(existsSync(join(stateDir, 'env')), false, 'the env file of a stopped bed was removed');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
