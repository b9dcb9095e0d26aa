// The runtime as a value: builds every component from the configuration, starts them in order and
// stops them in reverse. main.ts adds only process concerns (signals, exit codes); tests start
// runtimes in-process through this function.
import type { Logger } from '@agentplane/shared';
import { type Tracer, trace } from '@opentelemetry/api';
import type { ModelAccess } from './agents/step.ts';
import type { RuntimeConfig } from './config.ts';
import { errorCode } from './errors.ts';
import { startHealthServer } from './http/server.ts';
import { createEventsTail } from './idempotency/events-tail.ts';
import { createLedger } from './idempotency/ledger.ts';
import { createKafka } from './kafka/client.ts';
import { startConsumer } from './kafka/consumer.ts';
import { createPublisher } from './kafka/producer.ts';
import { createTokenBudget, tierBudgets } from './llm/budget.ts';
import { createOpenAiEmbedder, createOpenAiLlm } from './llm/openai.ts';
import type { LlmPort } from './llm/port.ts';
import { createMetrics } from './metrics.ts';
import { createProcessor } from './processor.ts';
import { readTenantSecrets } from './vault/secrets.ts';
import { createEmbeddedStore } from './vectors/embedded.ts';
import { createHashedEmbedder } from './vectors/hashed-embedding.ts';
import { tenantKnowledge } from './vectors/knowledge.ts';
import { createQdrantStore } from './vectors/qdrant.ts';
import type { Embedder, VectorStore } from './vectors/store.ts';

export interface Runtime {
  readonly httpPort: number;
  readonly store: VectorStore;
  readonly embedder: Embedder;
  isReady(): boolean;
  /** Stops fetching, finishes in-flight records, publishes and commits, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

export interface RuntimeOverrides {
  store?: VectorStore;
  llm?: LlmPort;
  /** Default: the globally registered provider's (see instrumentation.ts). */
  tracer?: Tracer;
  /** The consumer stopped for good (main.ts exits, so the pod restarts); default: only logged. */
  onFatal?: (error: Error) => void;
}

/** Starts a runtime; throws (having closed what it opened) when a dependency cannot be reached. */
export async function startRuntime(
  config: RuntimeConfig,
  logger: Logger,
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  const closers: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const close of closers.reverse()) await close().catch((err) => logger.warn({ err }, 'close failed'));
    closers.length = 0;
  };
  try {
    return await assemble(config, logger, overrides, closers, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function assemble(
  config: RuntimeConfig,
  logger: Logger,
  overrides: RuntimeOverrides,
  closers: (() => Promise<unknown>)[],
  stopAll: () => Promise<void>,
): Promise<Runtime> {
  const { tenant, instance, topics, settings } = config;
  const tracer = overrides.tracer ?? trace.getTracer('agentplane-runtime');
  const metrics = createMetrics({ tenant, instance });
  const retry = {
    attempts: config.retryAttempts,
    baseMs: config.retryBaseMs,
    maxDelayMs: 10_000,
    budgetMs: config.retryBudgetMs,
  };

  const secrets = config.vaultAddr
    ? await readTenantSecrets({
        addr: config.vaultAddr,
        path: config.vaultPath,
        role: config.vaultRole,
        kvMount: config.vaultKvMount,
        authMount: config.vaultAuthMount,
        jwtPath: config.vaultKubernetesTokenPath,
        ...(config.vaultToken ? { token: config.vaultToken } : {}),
      })
    : {};
  const apiKey = secrets.llmApiKey ?? config.openaiApiKey;
  const openai = config.openaiBaseUrl
    ? {
        baseURL: config.openaiBaseUrl,
        ...(apiKey ? { apiKey } : {}),
        timeoutMs: config.modelTimeoutMs,
        retry,
        logger,
      }
    : undefined;
  const llm = overrides.llm ?? (openai ? createOpenAiLlm(openai) : undefined);
  const embedder =
    openai && config.embeddingModel
      ? createOpenAiEmbedder({
          ...openai,
          model: config.embeddingModel,
          dimensions: config.embeddingDimensions,
        })
      : createHashedEmbedder();
  const store =
    overrides.store ??
    (config.qdrantUrl
      ? createQdrantStore({
          url: config.qdrantUrl,
          collection: config.qdrantCollection,
          ...(config.qdrantApiKey ? { apiKey: config.qdrantApiKey } : {}),
        })
      : createEmbeddedStore());
  await store.ensureReady(embedder.dimensions);

  const budget = createTokenBudget({
    perMinute: config.tokensPerMinute ?? tierBudgets[settings.tier].perMinute,
    perMonth: config.tokensPerMonth ?? tierBudgets[settings.tier].perMonth,
  });
  const premium =
    config.premiumReplies === 'on' || (config.premiumReplies === 'tier' && settings.tier !== 'basic');
  const cheapModel = settings.model.name ?? 'gpt-4o-mini';
  const access: ModelAccess | undefined = llm
    ? {
        llm,
        model: cheapModel,
        replyModel: premium ? (settings.model.replyModel ?? cheapModel) : cheapModel,
        withinBudget: () => budget.allows(),
        onUsage: (usage) => budget.record(usage.totalTokens),
      }
    : undefined;

  const kafka = createKafka({
    brokers: [...config.brokers],
    clientId: `agentplane-runtime-${tenant}-${instance}`,
    logger,
    ...(config.kafkaSaslMechanism && config.kafkaSaslUsername && config.kafkaSaslPassword
      ? {
          sasl: {
            mechanism: config.kafkaSaslMechanism,
            username: config.kafkaSaslUsername,
            password: config.kafkaSaslPassword,
          },
        }
      : {}),
  });
  const ledger = createLedger(config.dedupeCapacity);
  const tail = createEventsTail({
    kafka,
    topic: topics.events,
    groupId: topics.consumerGroup,
    instance,
    ledger,
    lookbackMs: config.dedupeLookbackMs,
    logger,
  });
  await tail.start();
  closers.push(() => tail.stop());
  await tail.caughtUp();

  const publisher = createPublisher(kafka);
  await publisher.connect();
  closers.push(() => publisher.disconnect());

  const processor = createProcessor({
    tenant,
    instance,
    topics,
    pipeline: {
      agent: config.agent,
      settings,
      knowledge: tenantKnowledge(store, embedder, tenant),
      tracer,
      logger,
    },
    ledger,
    tracer,
    logger,
    modelAccess: () => access,
    onResult: metrics.result,
    onDuplicate: metrics.duplicate,
  });

  let catchUp: Promise<void> | undefined;
  const consumer = await startConsumer({
    kafka,
    topic: topics.inbound,
    groupId: topics.consumerGroup,
    publisher,
    handle: processor.handle,
    deadLetter: processor.deadLetter,
    retry,
    concurrency: config.concurrency,
    logger,
    ...(overrides.onFatal ? { onFatal: overrides.onFatal } : {}),
    // After a rebalance, records another pod published results for may come back: read the events
    // topic up to now before handling them.
    onJoin: () => {
      catchUp = undefined;
    },
    beforeBatch: () => (catchUp ??= tail.caughtUp()),
    hooks: {
      onHandled: (_record, outcome, ms) => metrics.handled(outcome, ms),
      onRetry: (_record, error) => metrics.failure(errorCode(error)),
      onLag: (_topic, partition, lag) => metrics.lag(partition, lag),
    },
  });
  closers.push(() => consumer.stop());

  const http = await startHealthServer({
    host: config.httpHost,
    port: config.httpPort,
    ready: () => consumer.isReady(),
    registry: metrics.registry,
  });
  closers.push(() => http.close());
  logger.info(
    { inbound: topics.inbound, group: topics.consumerGroup, httpPort: http.port, model: Boolean(llm) },
    'runtime started',
  );

  let stopping: Promise<void> | undefined;
  return {
    httpPort: http.port,
    store,
    embedder,
    isReady: () => consumer.isReady(),
    stop: () => (stopping ??= stopAll()),
  };
}
