// Runs one pipeline step: the model when one is configured and the budget allows, the step's
// deterministic fallback otherwise or when the model fails. Records path, timing, usage and a span.
import type { Logger } from '@agentplane/shared';
import { SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { addUsage, type LlmPort, type StructuredResult } from '../llm/port.ts';
import { costOf } from '../llm/pricing.ts';
import type { Usage } from '../messages.ts';

export interface ModelAccess {
  llm: LlmPort;
  /** Cheap model for triage, intent, qualification and extraction. */
  model: string;
  /** Model for replies: the premium one when the tier has it, else the cheap one. */
  replyModel: string;
  apiKey?: string;
  /** False when the tenant's token budget is spent: the fallback runs and the event says so. */
  withinBudget: () => boolean;
  onUsage: (usage: Usage) => void;
}

export interface StepContext {
  access?: ModelAccess;
  tracer: Tracer;
  logger: Logger;
  usage: Usage;
  models: Set<string>;
  paths: Record<string, 'model' | 'fallback'>;
  fallbackReasons: Set<string>;
  timings: Record<string, number>;
  costUsd: number;
}

export type ModelCall<T> = (access: ModelAccess) => Promise<StructuredResult<T>>;

/** Returns the step's value; never throws for model failures (the fallback answers instead). */
export async function runStep<T>(
  ctx: StepContext,
  name: string,
  modelCall: ModelCall<T> | undefined,
  fallback: () => T | Promise<T>,
): Promise<T> {
  const started = performance.now();
  // A child of the active (message) span, not made active itself: nothing inside a step starts
  // spans, and activating one would cost an async-context switch per step. When the message's span
  // is not recorded (its trace is not sampled), a child would not be either: none is started.
  const span = trace.getActiveSpan()?.isRecording() ? ctx.tracer.startSpan(`agent.${name}`) : undefined;
  try {
    // No model for this step: straight to the rules, without a round through the model path.
    const value = ctx.access && modelCall ? await tryModel(ctx, ctx.access, name, modelCall) : undefined;
    span?.setAttribute('agentplane.path', value ? 'model' : 'fallback');
    if (value) return value.value;
    if (modelCall) ctx.paths[name] = 'fallback'; // rules-only steps (triage, retrieval) have no model path
    return await fallback();
  } catch (error) {
    span?.recordException(error as Error);
    span?.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    ctx.timings[name] = Math.round((performance.now() - started) * 100) / 100;
    span?.end();
  }
}

async function tryModel<T>(ctx: StepContext, access: ModelAccess, name: string, modelCall: ModelCall<T>) {
  if (!access.withinBudget()) {
    ctx.fallbackReasons.add('budget_exceeded');
    return undefined;
  }
  try {
    const result = await modelCall(access);
    addUsage(ctx.usage, result.usage);
    access.onUsage(result.usage);
    ctx.models.add(result.model);
    ctx.costUsd += costOf(result.model, result.usage);
    ctx.paths[name] = 'model';
    return result;
  } catch (error) {
    ctx.logger.warn({ err: error, step: name }, 'model failed, using fallback');
    ctx.fallbackReasons.add(`${name}:${(error as { code?: string }).code ?? 'model_error'}`);
    return undefined;
  }
}
