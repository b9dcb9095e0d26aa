import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adminSession, TopicAdminError } from './admin-session.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

/** A session over counting connect/disconnect; `failConnects` connects fail first. */
function counted(failConnects = 0, reconnectAfterRetriable = false) {
  const calls = { connects: 0, disconnects: 0 };
  const session = adminSession({
    connect: async () => {
      calls.connects++;
      if (calls.connects <= failConnects) throw refused();
    },
    disconnect: async () => {
      calls.disconnects++;
      throw new Error('already closed');
    },
    reconnectAfterRetriable,
  });
  return { calls, session };
}

describe('adminSession', () => {
  it('connects once for many calls and returns what the body returns', async () => {
    const { calls, session } = counted();
    assert.equal(await session.run('a', async () => 1), 1);
    assert.equal(await session.run('b', async () => 2), 2);
    assert.equal(calls.connects, 1);
  });

  it('maps a failed connect to a retriable TopicAdminError and connects again next call', async () => {
    const { calls, session } = counted(1);
    const error = await session.run('describe', async () => 1).catch((e: unknown) => e);
    assert.ok(error instanceof TopicAdminError);
    assert.equal(error.operation, 'describe');
    assert.equal(error.retriable, true);
    assert.equal(error.message, 'kafka describe: connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(await session.run('describe', async () => 2), 2);
    assert.equal(calls.connects, 2);
  });

  it('passes a TopicAdminError of the body unchanged and maps any other failure', async () => {
    const { session } = counted();
    const own = new TopicAdminError('inner', 'refused', false, undefined);
    await assert.rejects(
      session.run('outer', () => Promise.reject(own)),
      (e) => e === own,
    );
    await assert.rejects(
      session.run('outer', () => Promise.reject('plain')),
      {
        name: 'TopicAdminError',
        message: 'kafka outer: plain',
        retriable: false,
      },
    );
  });

  it('keeps the connection after a retriable failure of the body unless told to reconnect', async () => {
    for (const reconnect of [false, true]) {
      const { calls, session } = counted(0, reconnect);
      await assert.rejects(
        session.run('x', () => Promise.reject(refused())),
        { retriable: true },
      );
      await session.run('x', async () => undefined);
      assert.equal(calls.connects, reconnect ? 2 : 1, `reconnectAfterRetriable: ${reconnect}`);
    }
  });

  it('close disconnects, ignoring its failure, and the next call connects again', async () => {
    const { calls, session } = counted();
    await session.run('x', async () => undefined);
    await session.close();
    assert.equal(calls.disconnects, 1);
    await session.run('x', async () => undefined);
    assert.equal(calls.connects, 2);
  });
});
