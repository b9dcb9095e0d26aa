import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, silentLogger } from '@agentplane/shared';
import { eventually } from '@agentplane/shared/testing';
import {
  createController,
  type ReconcileOutcome,
  type Reconciler,
  type Source,
  watch,
} from './controller.ts';
import type { Informer, InformerEvent } from './informer.ts';
import { generationChanged } from './predicates.ts';
import type { KubeObject } from './resource.ts';
import { TerminalError } from './result.ts';

const log = silentLogger();

/** A source the test pushes keys into. */
function manualSource(): Source & { push(key: string): void } {
  let enqueue: (key: string) => void = () => {};
  return {
    kind: 'Fake',
    connect(next) {
      enqueue = next;
      return () => {
        enqueue = () => {};
      };
    },
    push: (key) => enqueue(key),
  };
}

function start(
  reconcile: Reconciler,
  extra: { onTerminal?: (key: string, error: TerminalError) => void } = {},
) {
  const source = manualSource();
  const outcomes: ReconcileOutcome[] = [];
  const controller = createController({
    name: 'test',
    reconcile,
    watches: [source],
    log,
    backoff: { baseDelayMs: 1, maxDelayMs: 4 },
    metrics: {
      queue: { added() {}, depth() {}, retried() {} },
      reconciled: (outcome) => void outcomes.push(outcome),
    },
    ...extra,
  });
  controller.start();
  return { source, outcomes, controller };
}

describe('controller', () => {
  it('retries a failing key with backoff until it succeeds', async (t) => {
    let calls = 0;
    const { source, outcomes, controller } = start(async () => {
      calls += 1;
      if (calls < 3) throw new Error('not yet');
    });
    t.after(() => controller.stop());
    source.push('a');
    await eventually(() => outcomes.includes('success'), { what: 'success' });
    assert.deepEqual(outcomes, ['error', 'error', 'success']);
  });

  it('reports a TerminalError once and does not retry it', async (t) => {
    const terminal: string[] = [];
    const { source, outcomes, controller } = start(
      async () => {
        throw new TerminalError('TierLimitExceeded', 'too many');
      },
      { onTerminal: (key, error) => terminal.push(`${key}:${error.reason}`) },
    );
    t.after(() => controller.stop());
    source.push('a');
    await eventually(() => terminal.length === 1, { what: 'the terminal report' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(outcomes, ['terminal']);
    assert.deepEqual(terminal, ['a:TierLimitExceeded']);
  });

  it("logs each reconcile's failure with the key's fields and a fresh trace id", async (t) => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
    let calls = 0;
    const controller = createController({
      name: 'tenant',
      reconcile: async () => {
        calls += 1;
        if (calls < 3) throw new Error('Vault is down');
      },
      watches: [],
      log: createLogger({ name: 'operator', destination }),
      backoff: { baseDelayMs: 1, maxDelayMs: 2 },
      logFields: (key) => ({ tenant: key }),
    });
    controller.start();
    t.after(() => controller.stop());
    controller.enqueue('acme');
    await eventually(() => calls === 3, { what: 'the retried reconcile' });
    const failures = lines.filter((l) => l.msg === 'reconcile failed; retrying with backoff');
    assert.equal(failures.length, 2);
    for (const line of failures) {
      assert.equal(line.tenant, 'acme');
      assert.match(String(line.traceId), /^[0-9a-f]{32}$/);
    }
    assert.notEqual(failures[0]?.traceId, failures[1]?.traceId, 'one trace id per reconcile');
  });

  it('reconciles again after requeueAfterMs', async (t) => {
    let calls = 0;
    const { source, controller } = start(async () => {
      calls += 1;
      return calls === 1 ? { requeueAfterMs: 10 } : undefined;
    });
    t.after(() => controller.stop());
    source.push('a');
    await eventually(() => calls === 2, { what: 'the requeued reconcile' });
  });

  it('lets the reconcile in flight finish on stop, and aborts it after the drain time', async () => {
    let finished = false;
    const graceful = start(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished = true;
    });
    graceful.source.push('a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await graceful.controller.stop(1000);
    assert.equal(finished, true);

    let aborted = false;
    const stuck = start(
      (_key, { signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(undefined);
          }),
        ),
    );
    stuck.source.push('a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await stuck.controller.stop(10);
    assert.equal(aborted, true);
    assert.equal(stuck.controller.isRunning(), false);
  });
});

describe('watch', () => {
  /** Just enough of an informer for `watch`: a kind and handlers. */
  function fakeInformer() {
    const handlers: Array<(event: InformerEvent<KubeObject>) => void> = [];
    const informer = {
      kind: 'Fake',
      on: (handler: (event: InformerEvent<KubeObject>) => void) => {
        handlers.push(handler);
        return () => {};
      },
    } as unknown as Informer<KubeObject>;
    const emit = (event: InformerEvent<KubeObject>) => {
      for (const handler of handlers) handler(event);
    };
    return { informer, emit };
  }
  const obj = (name: string, generation = 1, owner?: string): KubeObject => ({
    metadata: {
      name,
      namespace: 'ns',
      generation,
      resourceVersion: String(generation),
      ...(owner
        ? {
            ownerReferences: [{ apiVersion: 'v1', kind: 'Owner', name: owner, uid: owner, controller: true }],
          }
        : {}),
    },
  });

  it('enqueues the primary object’s key through the predicate, and every resync', () => {
    const { informer, emit } = fakeInformer();
    const keys: string[] = [];
    watch(informer, { predicate: generationChanged }).connect((key) => keys.push(key));
    emit({ type: 'add', object: obj('a') });
    emit({ type: 'update', old: obj('a'), object: obj('a'), resync: false });
    emit({ type: 'update', old: obj('a'), object: obj('a', 2), resync: false });
    emit({ type: 'update', old: obj('a', 2), object: obj('a', 2), resync: true });
    assert.deepEqual(keys, ['ns/a', 'ns/a', 'ns/a']);
  });

  it('maps owned objects to the old and new owners and ignores their resyncs', () => {
    const { informer, emit } = fakeInformer();
    const keys: string[] = [];
    const mapToKeys = (o: KubeObject) => (o.metadata?.ownerReferences ?? []).map((r) => `ns/${r.name}`);
    watch(informer, { mapToKeys }).connect((key) => keys.push(key));
    emit({ type: 'delete', object: obj('child', 1, 'p1') });
    emit({ type: 'update', old: obj('child', 1, 'p1'), object: obj('child', 2, 'p2'), resync: false });
    emit({ type: 'update', old: obj('child', 2, 'p2'), object: obj('child', 2, 'p2'), resync: true });
    assert.deepEqual(keys, ['ns/p1', 'ns/p2', 'ns/p1']);
  });
});
