// Composes the steps for one agent type. Triage ends spam and empty messages; the agent type
// decides whether qualification, retrieval and a reply run. Pure of I/O except through its inputs.
import type { Logger } from '@agentplane/shared';
import type { Tracer } from '@opentelemetry/api';
import type { AgentSettings, AgentType } from '../config.ts';
import { zeroUsage } from '../llm/port.ts';
import type { Entities, Lead, ResultEvent } from '../messages.ts';
import type { TenantKnowledge } from '../vectors/knowledge.ts';
import { fallbackEntities, modelEntities } from './extraction.ts';
import { fallbackIntent, type IntentResult, modelIntent } from './intent.ts';
import { fallbackLead, modelLead } from './qualification.ts';
import { fallbackReply, modelReply } from './reply.ts';
import { retrieve } from './retrieval.ts';
import { type ModelAccess, runStep, type StepContext } from './step.ts';
import { triage } from './triage.ts';

const plans: Record<AgentType, { qualify: boolean; retrieve: boolean; reply: boolean }> = {
  'customer-service': { qualify: false, retrieve: true, reply: true },
  sales: { qualify: true, retrieve: true, reply: true },
  marketing: { qualify: true, retrieve: true, reply: true },
  'lead-qualifier': { qualify: true, retrieve: false, reply: false },
};

export interface PipelineDeps {
  agent: AgentType;
  settings: AgentSettings;
  knowledge?: TenantKnowledge;
  tracer: Tracer;
  logger: Logger;
}

export type PipelineOutcome = Pick<
  ResultEvent,
  | 'reply'
  | 'skipReason'
  | 'intent'
  | 'sentiment'
  | 'lead'
  | 'entities'
  | 'sources'
  | 'model'
  | 'path'
  | 'fallbackReason'
  | 'budgetExceeded'
  | 'tokens'
  | 'timings'
  | 'costUsd'
> & { injection: boolean };

/** Runs the agent's steps on one message's text. Model failures fall back; never throws for them. */
export async function runPipeline(
  deps: PipelineDeps,
  access: ModelAccess | undefined,
  text: string,
): Promise<PipelineOutcome> {
  const plan = plans[deps.agent];
  const ctx: StepContext = {
    ...(access ? { access } : {}),
    tracer: deps.tracer,
    logger: deps.logger,
    usage: zeroUsage(),
    models: new Set(),
    paths: {},
    fallbackReasons: new Set(),
    timings: {},
    costUsd: 0,
  };
  const triaged = await runStep(ctx, 'triage', undefined, () => triage(text));
  if (triaged.verdict !== 'ok') {
    const intent: IntentResult =
      triaged.verdict === 'spam'
        ? { label: 'spam', confidence: 0.9, urgency: 'low', sentiment: 'neutral' }
        : { label: 'other', confidence: 1, urgency: 'low', sentiment: 'neutral' };
    return finish(ctx, intent, {}, undefined, [], { skipReason: triaged.verdict }, false);
  }
  const intent = await runStep(ctx, 'intent', modelIntent(text), () => fallbackIntent(text));
  const entities = await runStep(ctx, 'extraction', modelEntities(text), () => fallbackEntities(text));
  const lead = plan.qualify
    ? await runStep(ctx, 'qualification', modelLead(text, intent.label), () =>
        fallbackLead(text, intent.label, entities),
      )
    : undefined;
  const retrieved =
    plan.retrieve && deps.settings.knowledge.enabled
      ? await runStep(ctx, 'retrieval', undefined, () =>
          retrieve(deps.knowledge, text, deps.settings.knowledge.topK),
        )
      : { hits: [], failed: false };
  if (retrieved.failed) ctx.fallbackReasons.add('retrieval_unavailable');
  if (!plan.reply || intent.label === 'spam') {
    const skipReason = intent.label === 'spam' ? 'spam' : 'not_applicable';
    return finish(ctx, intent, entities, lead, retrieved.hits, { skipReason }, triaged.injection);
  }
  if (intent.confidence < deps.settings.replyConfidenceThreshold) {
    return finish(
      ctx,
      intent,
      entities,
      lead,
      retrieved.hits,
      { skipReason: 'low_confidence' },
      triaged.injection,
    );
  }
  const label = intent.label;
  const reply = await runStep(
    ctx,
    'reply',
    modelReply({
      text,
      intent: label,
      tone: deps.settings.prompt.tone,
      system: deps.settings.prompt.system,
      hits: retrieved.hits,
    }),
    () =>
      fallbackReply({
        intent: label,
        language: triaged.language,
        tone: deps.settings.prompt.tone,
        ...(entities.name ? { name: entities.name } : {}),
        hits: retrieved.hits,
      }),
  );
  return finish(ctx, intent, entities, lead, retrieved.hits, { reply }, triaged.injection);
}

function finish(
  ctx: StepContext,
  intent: IntentResult,
  entities: Entities,
  lead: Lead | undefined,
  hits: { id: string; score: number }[],
  answer: Pick<ResultEvent, 'reply' | 'skipReason'>,
  injection: boolean,
): PipelineOutcome {
  const usedFallback = !ctx.access || Object.values(ctx.paths).includes('fallback');
  const reasons = [...ctx.fallbackReasons];
  return {
    ...answer,
    intent: { label: intent.label, confidence: intent.confidence, urgency: intent.urgency },
    sentiment: intent.sentiment,
    ...(lead ? { lead } : {}),
    entities,
    sources: hits.map((hit) => ({ id: hit.id, score: Math.round(hit.score * 1000) / 1000 })),
    model: ctx.models.size > 0 ? [...ctx.models].join(',') : null,
    path: usedFallback ? 'fallback' : 'model',
    ...(reasons.length > 0 ? { fallbackReason: reasons.join(',') } : {}),
    ...(ctx.fallbackReasons.has('budget_exceeded') ? { budgetExceeded: true } : {}),
    tokens: ctx.usage,
    costUsd: Math.round(ctx.costUsd * 1e6) / 1e6,
    timings: ctx.timings,
    injection,
  };
}
