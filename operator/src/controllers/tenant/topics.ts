// A tenant's Kafka topics: which ones it should have (pure), bringing the broker to that (through
// the TopicAdmin port), and removing them on deletion. Names come from `topicNames` only.
import type { EffectiveTenantSettings } from '@agentplane/crds';
import { topicNames } from '@agentplane/shared';
import {
  type TopicAdmin,
  TopicAdminError,
  type TopicSpec,
  type TopicState,
} from '../../messaging/kafka-admin.ts';
import type { StepOutcome } from './status.ts';

export type MessagingSettings = Pick<EffectiveTenantSettings, 'messaging'>;

export const messagingReady = 'MessagingReady';

const hourMs = 3_600_000;

/** The topic configs the operator manages; any other config of a topic is left alone. */
function managedConfigs(settings: MessagingSettings): Record<string, string> {
  return { 'retention.ms': String(settings.messaging.retentionHours * hourMs) };
}

/** The events and dead-letter topics of a tenant. */
export function desiredTenantTopics(tenant: string, settings: MessagingSettings): TopicSpec[] {
  return [topicNames.events(tenant), topicNames.deadLetter(tenant)].map((name) => ({
    name,
    partitions: settings.messaging.partitions,
    configs: managedConfigs(settings),
  }));
}

/** The inbound topic of one agent instance of the tenant. */
export function desiredInboundTopic(
  tenant: string,
  instance: string,
  settings: MessagingSettings,
): TopicSpec {
  return {
    name: topicNames.inbound(tenant, instance),
    partitions: settings.messaging.partitions,
    configs: managedConfigs(settings),
  };
}

export interface ConfigDrift {
  topic: string;
  config: string;
  from: string | undefined;
  to: string;
}

export interface TopicPlan {
  create: TopicSpec[];
  grow: { topic: string; from: number; to: number }[];
  shrink: { topic: string; from: number; to: number }[];
  drift: ConfigDrift[];
}

/** Pure: what must change so that `current` (the broker's view) matches `desired`. */
export function planTopics(desired: TopicSpec[], current: Map<string, TopicState>): TopicPlan {
  const plan: TopicPlan = { create: [], grow: [], shrink: [], drift: [] };
  for (const spec of desired) {
    const state = current.get(spec.name);
    if (!state) {
      plan.create.push(spec);
      continue;
    }
    if (state.partitions < spec.partitions) {
      plan.grow.push({ topic: spec.name, from: state.partitions, to: spec.partitions });
    } else if (state.partitions > spec.partitions) {
      plan.shrink.push({ topic: spec.name, from: state.partitions, to: spec.partitions });
    }
    for (const [config, to] of Object.entries(spec.configs)) {
      const from = state.configs[config];
      if (from !== to) plan.drift.push({ topic: spec.name, config, from, to });
    }
  }
  return plan;
}

function outcome(status: StepOutcome['status'], reason: string, message: string): StepOutcome {
  return { type: messagingReady, status, reason, message };
}

function failure(error: unknown, doing: string): StepOutcome {
  if (error instanceof TopicAdminError && error.retriable) {
    return outcome('False', 'KafkaUnavailable', `cannot reach Kafka while ${doing}: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return outcome('False', 'TopicOperationFailed', `Kafka refused ${doing}: ${message}`);
}

/** MessagingReady, and what was changed to get there (for an Event, never for the condition). */
export type TopicsOutcome = StepOutcome & { changed?: string };

/**
 * Brings the desired topics about: creates the missing ones, raises partition counts, corrects
 * drifted configs. A requested shrink changes nothing at all (Kafka cannot shrink a topic) and
 * reports `PartitionsCannotShrink`. On an unchanged cluster it only describes: no create or alter.
 * The condition states how the topics are, the same however they got there: a message naming what
 * was just done would change again on the next reconcile, a status write nobody needed.
 */
export async function ensureTopics(desired: TopicSpec[], admin: TopicAdmin): Promise<TopicsOutcome> {
  let current: Map<string, TopicState>;
  try {
    current = await admin.describe(desired.map((d) => d.name));
  } catch (error) {
    return failure(error, 'describing the topics');
  }
  const plan = planTopics(desired, current);
  if (plan.shrink.length > 0) {
    const which = plan.shrink
      .map((s) => `${s.topic} has ${s.from} partitions, the spec asks for ${s.to}`)
      .join('; ');
    return outcome(
      'False',
      'PartitionsCannotShrink',
      `Kafka cannot reduce a topic's partitions: ${which}; set messaging.partitions back to at least ${Math.max(...plan.shrink.map((s) => s.from))} (nothing was changed)`,
    );
  }
  const done: string[] = [];
  try {
    if (plan.create.length > 0) {
      await admin.create(plan.create);
      done.push(`created ${plan.create.map((c) => c.name).join(', ')}`);
    }
    for (const g of plan.grow) {
      await admin.addPartitions(g.topic, g.to);
      done.push(`raised partitions of ${g.topic} from ${g.from} to ${g.to}`);
    }
    const driftByTopic = Map.groupBy(plan.drift, (d) => d.topic);
    for (const [topic, drifts] of driftByTopic) {
      await admin.setConfigs(topic, Object.fromEntries(drifts.map((d) => [d.config, d.to])));
    }
  } catch (error) {
    const progress = done.length > 0 ? ` (already ${done.join('; ')})` : '';
    return failure(error, `changing the topics${progress}`);
  }
  const names = desired.map((d) => d.name).join(', ');
  const corrected = plan.drift.map((d) => `${d.config} of ${d.topic} from ${d.from ?? 'unset'} to ${d.to}`);
  if (corrected.length > 0) done.push(`corrected ${corrected.join(', ')}`);
  const ready = outcome('True', 'TopicsReady', `topics ${names} are ready`);
  return done.length > 0 ? { ...ready, changed: done.join('; ') } : ready;
}

/**
 * Deletes every topic and consumer group under the tenant's prefix (`agentplane.<tenant>.`) and
 * nothing else; returns the topic names deleted. Throws TopicAdminError (see `retriable`) when Kafka
 * cannot do it now.
 */
export async function deleteTenantTopics(tenant: string, admin: TopicAdmin): Promise<string[]> {
  const prefix = topicNames.tenantPrefix(tenant);
  const topics = (await admin.listByPrefix(prefix)).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.delete(topics);
  const groups = (await admin.groupsByPrefix(prefix)).filter((g) => g.startsWith(prefix));
  if (groups.length > 0) await admin.deleteGroups(groups);
  return topics;
}
