// `npm run eval -w runtime [-- --file other.jsonl] [--json] [--base-url URL --model NAME [--api-key KEY]]`
// Prints the fallback path's scores, and the model path's when a model endpoint is given.
import { parseArgs } from 'node:util';
import { silentLogger } from '@agentplane/shared';
import type { ModelAccess } from '../src/agents/step.ts';
import { createOpenAiLlm } from '../src/llm/openai.ts';
import { type EvalReport, evaluate, readDataset } from './evaluate.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string', default: new URL('./messages.jsonl', import.meta.url).pathname },
    json: { type: 'boolean', default: false },
    'base-url': { type: 'string' },
    model: { type: 'string', default: 'gpt-4o-mini' },
    'api-key': { type: 'string' },
  },
});

const dataset = readDataset(values.file);
const reports: EvalReport[] = [await evaluate(dataset)];
if (values['base-url']) {
  const llm = createOpenAiLlm({
    baseURL: values['base-url'],
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    timeoutMs: 30_000,
    retry: { attempts: 3, baseMs: 500, maxDelayMs: 5_000, budgetMs: 20_000 },
    logger: silentLogger(),
  });
  const access: ModelAccess = {
    llm,
    model: values.model,
    replyModel: values.model,
    withinBudget: () => true,
    onUsage: () => {},
  };
  reports.push(await evaluate(dataset, access));
}

if (values.json) {
  console.log(
    JSON.stringify(
      reports.map(({ failures: _f, ...report }) => report),
      null,
      2,
    ),
  );
} else {
  for (const report of reports) print(report);
}

function print(report: EvalReport) {
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`.padStart(7);
  console.log(`\n== ${report.path} path: ${report.count} messages from ${values.file}`);
  console.log(`intent accuracy ${pct(report.intent.accuracy)}    lead accuracy ${pct(report.lead.accuracy)}`);
  console.log('label        precision  recall     f1  support');
  for (const [label, s] of [
    ...Object.entries(report.intent.perLabel),
    ...Object.entries(report.lead.perLabel).map(([l, s]) => [`lead:${l}`, s] as const),
  ]) {
    console.log(
      `${label.padEnd(12)} ${pct(s.precision)}  ${pct(s.recall)} ${pct(s.f1)}  ${String(s.support).padStart(7)}`,
    );
  }
  console.log('entity       precision  recall     f1  accuracy  present');
  for (const [field, s] of Object.entries(report.entities)) {
    console.log(
      `${field.padEnd(12)} ${pct(s.precision)}  ${pct(s.recall)} ${pct(s.f1)}  ${pct(s.accuracy)}  ${String(s.support).padStart(7)}`,
    );
  }
  const { safety } = report;
  console.log(
    `safety: ${safety.replies} replies, ${safety.tooLong} over 280 chars, ${safety.leaks} leaks, ${safety.offTaskInjectionReplies} off-task replies to injections`,
  );
}
