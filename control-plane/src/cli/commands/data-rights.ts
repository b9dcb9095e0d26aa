// export and erase: the tenant's data-rights routes. An export is built in the background: start it,
// follow its progress, then stream the NDJSON archive to a file.
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, requireTenant, stringFlag, tenantFlag } from '../command.ts';
import { CliError, exitCodes, usageError } from '../exit.ts';
import { duration, parseDuration } from '../output.ts';

/** The API's ExportView (modules/data-rights/data-rights.schemas.ts), as much as is read. */
interface ExportView {
  id: string;
  status: 'pending' | 'running' | 'ready' | 'failed' | 'purged';
  stage?: string | null;
  progress?: { recordsDone: number; recordsTotal: number | null; percent: number };
  bytes?: number;
  error?: string | null;
  downloadUrl?: string | null;
}

const exportsPath = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}/exports`;

function progressText(view: ExportView): string {
  const p = view.progress;
  const records = p
    ? `${p.recordsDone}${p.recordsTotal === null ? '' : `/${p.recordsTotal}`} records, ${Math.floor(p.percent)}%`
    : '';
  return [view.status, view.stage, records].filter(Boolean).join(' · ');
}

/** Streams `response` into `file`; resolves with bytes and lines written. */
async function save(body: ReadableStream<Uint8Array>, file: string) {
  let bytes = 0;
  let lines = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) lines++;
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), count, createWriteStream(file));
  return { bytes, lines };
}

const exportCommand: Command = {
  path: ['export'],
  summary: 'export everything about a tenant to an NDJSON file (owner, admin)',
  description:
    'POST /v1/tenants/<t>/exports, then GET …/exports/<id> until it is ready (progress on stderr),\n' +
    'then GET …/exports/<id>/download into --file.',
  flags: {
    tenant: tenantFlag,
    file: {
      type: 'string',
      value: '<path>',
      description: 'where to write the archive (default <tenant>-export-<id>.ndjson)',
    },
    timeout: {
      type: 'string',
      value: '<duration>',
      description: 'give up waiting after this long, exit 5 (default 10m)',
    },
  },
  examples: ['platformctl export --tenant acme --file acme.ndjson'],
  async run(context, input) {
    const tenant = requireTenant(input, 'platformctl export --tenant <t> [--file <path>]');
    const timeoutMs = parseDuration(stringFlag(input, 'timeout') ?? '10m');
    if (timeoutMs === undefined) throw usageError('--timeout must be a duration such as 90s or 10m');
    const api = context.api();
    const started = Date.now();
    let view = await api.request<ExportView>({ method: 'POST', path: exportsPath(tenant) });
    let shown = '';
    while (view.status === 'pending' || view.status === 'running') {
      const text = progressText(view);
      if (text !== shown) context.note(`export ${view.id}: ${text}`);
      shown = text;
      if (Date.now() - started > timeoutMs)
        throw new CliError(
          exitCodes.timeout,
          `export ${view.id} of ${tenant} not ready after ${duration(timeoutMs)} (${text})`,
          {
            hint: `it keeps running: GET ${exportsPath(tenant)}/${view.id}`,
          },
        );
      await sleep(500);
      view = await api.request<ExportView>({ path: `${exportsPath(tenant)}/${view.id}` });
    }
    if (view.status !== 'ready')
      throw new CliError(
        exitCodes.failure,
        `export ${view.id} of ${tenant} ${view.status}${view.error ? `: ${view.error}` : ''}`,
      );
    const file = stringFlag(input, 'file') ?? `${tenant}-export-${view.id}.ndjson`;
    const response = await api.stream(`${exportsPath(tenant)}/${view.id}/download`);
    if (!response.body) throw new CliError(exitCodes.failure, `export ${view.id}: the download has no body`);
    const written = await save(response.body, file);
    const data = { tenant, id: view.id, file, ...written, elapsedMs: Date.now() - started };
    return {
      data,
      human: () =>
        `export ${view.id} of ${tenant}: ${written.lines} records, ${written.bytes} bytes written to ${file} (${duration(data.elapsedMs)})`,
    };
  },
};

const eraseCommand: Command = {
  path: ['erase'],
  summary: "erase one end user's data from every store (owner)",
  description:
    'POST /v1/tenants/<t>/erasures with exactly one of --email, --phone or --external-id; prints\n' +
    'what was removed where. The erasure itself stays in the audit log.',
  flags: {
    tenant: tenantFlag,
    email: { type: 'string', value: '<address>', description: "the end user's e-mail address" },
    phone: { type: 'string', value: '<number>', description: 'their phone number (compared by its digits)' },
    'external-id': { type: 'string', value: '<id>', description: 'their id on the channel' },
  },
  examples: ['platformctl erase --tenant acme --email jane@example.com'],
  async run(context, input) {
    const usage = 'platformctl erase --tenant <t> (--email <a> | --phone <n> | --external-id <id>)';
    const tenant = requireTenant(input, usage);
    const subjects = {
      email: stringFlag(input, 'email'),
      phone: stringFlag(input, 'phone'),
      externalId: stringFlag(input, 'external-id'),
    };
    const given = Object.entries(subjects).filter(([, value]) => value !== undefined);
    if (given.length !== 1)
      throw usageError('give exactly one of --email, --phone or --external-id', `usage: ${usage}`);
    const report = await context.api().request<Record<string, unknown>>({
      method: 'POST',
      path: `/v1/tenants/${encodeURIComponent(tenant)}/erasures`,
      body: Object.fromEntries(given),
    });
    return {
      data: report,
      human: () =>
        `erased ${given[0]?.[0]} ${given[0]?.[1]} from tenant ${tenant}:\n${flatten(report).join('\n')}`,
    };
  },
};

/** `postgres.messages: 3` lines of a nested report. */
function flatten(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [`  ${prefix}: ${String(value)}`];
  return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
}

export const dataRightsCommands: Command[] = [exportCommand, eraseCommand];
