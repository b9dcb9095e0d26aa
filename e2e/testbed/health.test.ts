import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isHealthy, type TestbedState } from './testbed.ts';

// A pid that certainly ended: a child that already exited.
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number;
const state = (services: TestbedState['services']): TestbedState => ({
  runDir: '/tmp/x',
  startedAt: '2026-11-29T00:00:00Z',
  ready: true,
  services,
  env: {},
});
const service = (pid: number, extra = false) => ({
  name: 'svc',
  pid,
  logFile: '/dev/null',
  ...(extra ? { extra } : {}),
});

describe('test bed health', () => {
  it('is healthy while its own services run, whatever happened to the extras suites added', () => {
    assert.equal(isHealthy(state([service(process.pid), service(deadPid, true)])), true);
  });

  it('is unhealthy when one of its own services died, or while up has not finished', () => {
    assert.equal(isHealthy(state([service(process.pid), service(deadPid)])), false);
    assert.equal(isHealthy({ ...state([service(process.pid)]), ready: false }), false);
    assert.equal(isHealthy(undefined), false);
  });
});
