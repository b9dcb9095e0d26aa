// Drains the outbox of outbound webhook deliveries. Each round leases due deliveries of every tenant
// (claim_webhook_deliveries: a lease, so replicas and a restarted process never send one at the same
// time), POSTs each signed body outside any transaction, then records the outcome in the tenant's
// scope: delivered (never sent again), a later attempt with exponential backoff and jitter, or after
// the last attempt dead with an audit event `webhook.dead_lettered`. Delivery is at least once: a
// process that dies between the receiver's 2xx and the update sends it again after the lease.
import type { Logger } from '@agentplane/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pii } from '../../crypto/pii.ts';
import { withTenantScope } from '../../db/tenant-scope.ts';
import type { OutboundWebhookSecrets } from '../../vault/outbound-webhook-secrets.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import { receiverRefusal } from './receiver-address.ts';
import { signatureHeader, signDelivery } from './signing.ts';

export interface DeliveryWorkerSettings {
  root: EntityManager;
  pii: Pii;
  secrets: OutboundWebhookSecrets;
  audit: AuditLog;
  log: Logger;
  /** How often the outbox is looked at when nothing woke the worker. */
  pollMs?: number;
  /** Attempts before a delivery is dead. */
  maxAttempts?: number;
  /** The first retry waits about this long; each next one twice as long, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A receiver that has not answered within this is a failed attempt. */
  timeoutMs?: number;
  /** Deliveries leased per round (and sent concurrently). */
  batchSize?: number;
  random?: () => number;
  /** Receivers on private, loopback or link-local addresses (receiver-address.ts); default false. */
  allowPrivateReceivers?: boolean;
}

export interface DeliveryWorker {
  /** Looks at the outbox now instead of at the next poll (the ingest calls it after enqueuing). */
  wake(): void;
  /** One round: leases due deliveries and attempts each; resolves with how many were attempted. */
  runOnce(): Promise<number>;
  /** Finishes the round in hand and stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The wait before attempt `attempt + 1`: base × 2^(attempt−1), capped, with "equal jitter" (half
 * fixed, half random) so retries of many deliveries spread out but never come back at once. Pure.
 */
export function backoffDelayMs(attempt: number, base: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

interface Outcome {
  ok: boolean;
  status?: number;
  error?: string;
  /** Our side failed (Vault, a key): try again later without counting an attempt. */
  ours?: boolean;
}

/** Starts polling at once. */
export function startDeliveryWorker(settings: DeliveryWorkerSettings): DeliveryWorker {
  const {
    root,
    pii,
    secrets,
    audit,
    log,
    pollMs = 1000,
    maxAttempts = 8,
    baseDelayMs = 2000,
    maxDelayMs = 15 * 60_000,
    timeoutMs = 10_000,
    batchSize = 20,
    random = Math.random,
    allowPrivateReceivers = false,
  } = settings;
  const leaseSeconds = Math.ceil(timeoutMs / 1000) + 30;

  const attempt = async (tenantId: string, id: string): Promise<Outcome | undefined> => {
    const found = await withTenantScope(root, tenantId, async (em) => {
      const [row] = await em.execute<{ event: string; body: string; status: string }[]>(
        'select event, body, status from webhook_deliveries where id = ?',
        [id],
      );
      const [hook] = await em.execute<{ url: string }[]>(
        'select url from outbound_webhooks where tenant_id = ?',
        [tenantId],
      );
      return row?.status === 'pending' ? { ...row, url: hook?.url } : undefined;
    });
    if (!found) return undefined;
    if (!found.url) return { ok: false, error: 'the tenant has no outbound webhook' };
    let body: string;
    let secret: string | undefined;
    try {
      body = (await pii.keysFor(tenantId)).open(found.body);
      secret = await secrets.read(tenantId);
    } catch (error) {
      return { ok: false, ours: true, error: error instanceof Error ? error.message : String(error) };
    }
    if (!secret) return { ok: false, error: 'the outbound webhook has no signing secret' };
    const refusal = await receiverRefusal(found.url, { allowPrivate: allowPrivateReceivers });
    if (refusal) return { ok: false, error: refusal };
    try {
      const response = await fetch(found.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'agentplane-webhooks/1',
          'x-agentplane-event': found.event,
          'x-agentplane-delivery': id,
          [signatureHeader]: signDelivery(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { ok: false, status: response.status, error: `the receiver answered ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return {
        ok: false,
        error: `${error instanceof Error ? error.name : 'Error'}${cause ? ` (${cause})` : ''}`,
      };
    }
  };

  const record = (tenantId: string, id: string, outcome: Outcome) =>
    withTenantScope(root, tenantId, async (em) => {
      if (outcome.ok) {
        await em.execute(
          `update webhook_deliveries set status = 'delivered', attempts = attempts + 1, delivered_at = now(),
                  last_status = ?, last_error = null, locked_until = null
            where id = ? and status = 'pending'`,
          [outcome.status ?? null, id],
          'run',
        );
        return;
      }
      if (outcome.ours) {
        await em.execute(
          `update webhook_deliveries set locked_until = null, last_error = ?,
                  next_attempt_at = now() + make_interval(secs => ?) where id = ? and status = 'pending'`,
          [outcome.error ?? null, baseDelayMs / 1000, id],
          'run',
        );
        return;
      }
      const [row] = await em.execute<{ attempts: number; event: string }[]>(
        `update webhook_deliveries set attempts = attempts + 1, last_status = ?, last_error = ?, locked_until = null
          where id = ? and status = 'pending' returning attempts, event`,
        [outcome.status ?? null, outcome.error ?? null, id],
      );
      if (!row) return;
      if (row.attempts < maxAttempts) {
        const delay = backoffDelayMs(row.attempts, baseDelayMs, maxDelayMs, random);
        await em.execute(
          'update webhook_deliveries set next_attempt_at = now() + make_interval(secs => ?) where id = ?',
          [delay / 1000, id],
          'run',
        );
        return;
      }
      await em.execute("update webhook_deliveries set status = 'dead' where id = ?", [id], 'run');
      await audit.record(em, {
        tenantId,
        actor: 'system:outbound-webhooks',
        action: 'webhook.dead_lettered',
        target: `tenant/${tenantId}/outbound-webhook/deliveries/${id}`,
        details: {
          delivery: id,
          event: row.event,
          attempts: row.attempts,
          lastStatus: outcome.status ?? null,
          lastError: outcome.error ?? null,
        },
      });
      log.warn({ tenant: tenantId, delivery: id, attempts: row.attempts }, 'outbound webhook dead-lettered');
    });

  const runOnce = async () => {
    const claimed = await root
      .fork()
      .execute<{ id: string; tenant_id: string }[]>('select * from claim_webhook_deliveries(?, ?)', [
        batchSize,
        leaseSeconds,
      ]);
    await Promise.all(
      claimed.map(async ({ id, tenant_id: tenantId }) => {
        try {
          const outcome = await attempt(tenantId, id);
          if (outcome) await record(tenantId, id, outcome);
        } catch (error) {
          // PostgreSQL went away mid-way: the lease runs out and the delivery is tried again.
          log.warn({ err: error, tenant: tenantId, delivery: id }, 'outbound webhook attempt failed');
        }
      }),
    );
    return claimed.length;
  };

  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  let again = false;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (running) timer = setTimeout(tick, ms);
  };
  function tick() {
    round = round.then(async () => {
      if (!running) return;
      try {
        // A full batch means more may be due: go on at once.
        again = (await runOnce()) >= batchSize || again;
      } catch (error) {
        log.warn({ err: error }, 'outbound webhook round failed');
      }
      const next = again ? 0 : pollMs;
      again = false;
      schedule(next);
    });
  }
  schedule(0);

  let stopping: Promise<void> | undefined;
  return {
    wake() {
      again = true;
      schedule(0);
    },
    runOnce,
    stop() {
      stopping ??= (async () => {
        running = false;
        clearTimeout(timer);
        await round;
      })();
      return stopping;
    },
  };
}
