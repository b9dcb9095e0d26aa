// A Kafka broker of a suite's own, next to the test bed's, for suites that stop or restart a broker
// under load: stopping the bed's broker would break every other suite running at the same time. It
// keeps its data and ports across restarts and is recorded in the bed's state, so `testbed down`
// stops it even when the suite that started it crashed.
import { join } from 'node:path';
import { ensureComponents } from './build.ts';
import { type KafkaNodeOptions, type KafkaSasl, prepareKafkaNode } from './components/kafka.ts';
import type { BedContext } from './context.ts';
import { stateDir } from './paths.ts';
import { isAlive, type RunningService, stopService } from './processes.ts';
import { readState, trackInState, untrackInState } from './testbed.ts';

export interface ExtraKafka {
  brokers: string;
  /** Set when started with `{ sasl: true }`: the SCRAM listener and its super user. */
  sasl?: KafkaSasl;
  /** Stops the broker: SIGTERM (a clean shutdown) or SIGKILL (a crash). Idempotent. */
  stop(how?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same data and port; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it for good. */
  remove(): Promise<void>;
}

/** Starts broker `name` (a file name) on the running test bed; about 10 s. */
export async function startExtraKafka(name: string, options: KafkaNodeOptions = {}): Promise<ExtraKafka> {
  const state = readState();
  if (!state?.ready) throw new Error('no test bed is running: start it with npm run testbed -- up');
  const ctx: BedContext = {
    runDir: state.runDir,
    logsDir: join(stateDir, 'logs'),
    components: await ensureComponents(() => {}),
    log: () => {},
    track: trackInState,
  };
  const node = await prepareKafkaNode(ctx, `kafka-${name}`, options);
  let running: RunningService | undefined;
  const stop = async (how: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (!running) return;
    const { pid } = running;
    running = undefined;
    if (how === 'SIGKILL' && isAlive(pid)) process.kill(-pid, 'SIGKILL');
    await stopService(pid);
    untrackInState([pid]);
  };
  const start = async () => {
    if (running) return;
    running = await node.start();
    trackInState(running);
  };
  await start();
  return {
    brokers: node.brokers,
    ...(node.sasl ? { sasl: node.sasl } : {}),
    stop,
    start,
    remove: () => stop('SIGKILL'),
  };
}
