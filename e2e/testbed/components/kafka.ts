import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { BedContext } from '../context.ts';
import { freePort } from '../ports.ts';
import { type RunningService, startService, stopService, waitUntilReady } from '../processes.ts';

/**
 * Starts a single Kafka 3.9 node in KRaft mode (broker and controller in one JVM) on loopback, with
 * a SASL/SCRAM listener next to the PLAINTEXT one. Resolves once kafkajs can describe the cluster.
 */
export async function startKafka(ctx: BedContext): Promise<{ brokers: string; sasl?: KafkaSasl }> {
  const node = await prepareKafkaNode(ctx, 'kafka', { sasl: true });
  ctx.track(await node.start());
  return { brokers: node.brokers, ...(node.sasl ? { sasl: node.sasl } : {}) };
}

/** The SASL_PLAINTEXT listener (SCRAM-SHA-512) and its super user's login. */
export interface KafkaSasl {
  brokers: string;
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaNodeOptions {
  /**
   * Adds a SASL_PLAINTEXT listener with SCRAM-SHA-512 and the StandardAuthorizer
   * (allow.everyone.if.no.acl.found=false). PLAINTEXT clients are User:ANONYMOUS, a super user,
   * so they keep every right; SASL clients get only what ACLs grant, except the super user `admin`.
   */
  sasl?: boolean;
}

export interface KafkaNode {
  /** `127.0.0.1:<port>`: the same across restarts. */
  brokers: string;
  /** Set when the node has a SASL listener. */
  sasl?: KafkaSasl;
  /** Starts the JVM on the node's data and ports; resolves once the broker answers. */
  start(): Promise<RunningService>;
}

/**
 * A Kafka node whose storage is formatted and whose ports are fixed, so that it can be started,
 * stopped and started again on the same data (the chaos suites restart a broker under load).
 */
export async function prepareKafkaNode(
  ctx: BedContext,
  name: string,
  options: KafkaNodeOptions = {},
): Promise<KafkaNode> {
  const dir = join(ctx.runDir, name);
  mkdirSync(dir, { recursive: true });
  const [brokerPort, controllerPort] = [await freePort(), await freePort()];
  const saslPort = options.sasl ? await freePort() : undefined;
  const sasl: KafkaSasl | undefined = saslPort
    ? {
        brokers: `127.0.0.1:${saslPort}`,
        mechanism: 'scram-sha-512',
        username: 'admin',
        password: randomBytes(18).toString('base64url'),
      }
    : undefined;
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, serverProperties(join(dir, 'data'), brokerPort, controllerPort, saslPort));
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(log4j, LOG4J);

  const classpath = `${join(ctx.components.kafka, 'libs')}/*`;
  const jvm = ['-cp', classpath, `-Dlog4j.configuration=file:${log4j}`, '-Djava.awt.headless=true'];
  // A KRaft cluster id is 16 random bytes in URL-safe base64, which saves a JVM start. One that
  // starts with '-' is read as an option by the storage tool (1 start in 64 failed so).
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  await runJava([
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    properties,
    '--ignore-formatted',
    // SCRAM users live in the cluster metadata: the super user's must exist before the first start.
    ...(sasl ? ['--add-scram', `SCRAM-SHA-512=[name=${sasl.username},password=${sasl.password}]`] : []),
  ]);
  const brokers = `127.0.0.1:${brokerPort}`;
  return {
    brokers,
    ...(sasl ? { sasl } : {}),
    async start() {
      const service = startService({
        name,
        command: 'java',
        args: ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', ...jvm, 'kafka.Kafka', properties],
        logFile: join(ctx.logsDir, `${name}.log`),
      });
      const admin = new Kafka({
        brokers: [brokers],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      }).admin();
      try {
        await waitUntilReady(
          service,
          async () => {
            await admin.connect();
            return (await admin.describeCluster()).brokers.length > 0;
          },
          90_000,
        );
      } catch (error) {
        await stopService(service.pid);
        throw error;
      } finally {
        await admin.disconnect();
      }
      return service;
    },
  };
}

function serverProperties(
  dataDir: string,
  brokerPort: number,
  controllerPort: number,
  saslPort?: number,
): string {
  const saslListener = saslPort ? `,SASL_PLAINTEXT://127.0.0.1:${saslPort}` : '';
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}${saslListener}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}${saslListener}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${saslPort ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
    ...(saslPort ? saslProperties : []),
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are the operator's to create; a typo in a topic name must fail, not create a topic.
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
  ].join('\n')}\n`;
}

// The broker's side of SCRAM needs only the login module; users come from the cluster metadata.
const saslProperties = [
  'sasl.enabled.mechanisms=SCRAM-SHA-512',
  'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
  'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users=User:ANONYMOUS;User:admin',
  'allow.everyone.if.no.acl.found=false',
];

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
`;

function runJava(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) => fail(new Error(`cannot run java (${error.message}); install a JDK 17+`)));
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`Kafka storage format failed:\n${output}`)),
    );
  });
}
