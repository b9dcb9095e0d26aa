import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger.ts';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the name, a level label, an ISO time and the fields of the child', () => {
    const { lines, stream } = capture();
    const log = createLogger({ name: 'operator', destination: stream });
    log.child({ controller: 'tenant' }).info({ key: 'acme' }, 'reconciled');
    const [line] = lines;
    assert.equal(line?.name, 'operator');
    assert.equal(line?.level, 'info');
    assert.equal(line?.controller, 'tenant');
    assert.equal(line?.key, 'acme');
    assert.equal(line?.msg, 'reconciled');
    assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT/);
  });

  it('drops lines below the level and adds the mixin fields', () => {
    const { lines, stream } = capture();
    const log = createLogger({
      name: 'x',
      level: 'warn',
      destination: stream,
      mixin: () => ({ traceId: 't1' }),
    });
    log.info('hidden');
    log.warn('shown');
    assert.deepEqual(
      lines.map((line) => [line.msg, line.traceId]),
      [['shown', 't1']],
    );
  });
});
