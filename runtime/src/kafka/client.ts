// Builds the kafkajs client with its log lines routed to our logger. The only module besides the
// consumer and producer that touches kafkajs.
import type { Logger } from '@agentplane/shared';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';

export type { Kafka };

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client for `brokers`; `clientId` shows in broker logs and quotas. */
export function createKafka({
  brokers,
  clientId,
  logger,
  sasl,
}: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** The tenant's SCRAM login; absent: PLAINTEXT. */
  sasl?: { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}) {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        log[levels[level] ?? 'info']({ ...fields, kafkaMessage: message }, 'kafkajs');
      },
  });
}
