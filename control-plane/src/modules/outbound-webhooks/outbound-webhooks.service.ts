// The tenant's outbound webhook: its configuration (url and events in PostgreSQL, the signing secret
// in Vault) and the outbox of deliveries (webhook_deliveries), filled in the transaction that
// stores what they announce and drained by the delivery worker (delivery-worker.ts).
import { isIP } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantKeys } from '../../crypto/envelope.ts';
import { derivedId } from '../../db/derived-id.ts';
import { DomainError, notFound } from '../../errors.ts';
import type { OutboundWebhookSecrets } from '../../vault/outbound-webhook-secrets.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type {
  OutboundEventType,
  OutboundPayload,
  OutboundWebhookView,
  PutOutboundWebhookBody,
} from './outbound-webhooks.schemas.ts';
import { newSigningSecret } from './signing.ts';

interface ConfigRow {
  url: string;
  events: OutboundEventType[];
  created_at: Date;
  updated_at: Date;
}

const view = (row: ConfigRow): OutboundWebhookView => ({
  url: row.url,
  events: row.events,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/**
 * The URL if deliveries may go there: http(s), no credentials in it, and not a link-local address
 * (cloud metadata endpoints live at 169.254.169.254 and fe80::/10). Names are not resolved here:
 * see docs/webhooks-and-events.md for what this does and does not stop. Throws 400 naming `url`.
 */
export function checkedUrl(raw: string): string {
  const refuse = (why: string) =>
    new DomainError('invalid_request', `body/url ${why}`, { details: { field: 'body/url' } });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('must be http or https');
  if (url.username || url.password) throw refuse('must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const linkLocal = (isIP(host) === 4 && host.startsWith('169.254.')) || /^fe[89ab][0-9a-f]:/i.test(host);
  if (linkLocal || host === 'metadata.google.internal') throw refuse('must not be a link-local address');
  return url.toString();
}

export interface OutboundWebhooksDeps {
  secrets: OutboundWebhookSecrets;
  audit: AuditLog;
}

export function createOutboundWebhooksService({ secrets, audit }: OutboundWebhooksDeps) {
  const read = async (em: EntityManager, tenantId: string) =>
    (
      await em.execute<ConfigRow[]>(
        'select url, events, created_at, updated_at from outbound_webhooks where tenant_id = ?',
        [tenantId],
      )
    )[0];

  return {
    /**
     * Creates or replaces the tenant's webhook. A signing secret is generated (and returned, once)
     * when there is none yet or `rotateSecret` asks for it. 400 for a URL that is refused; 503 when
     * Vault cannot store the secret (nothing is changed then: the transaction rolls back).
     */
    async put(em: EntityManager, tenantId: string, body: PutOutboundWebhookBody, actor: string) {
      const url = checkedUrl(body.url);
      const before = await read(em, tenantId);
      await em.execute(
        // Event names have no commas; an array parameter would be expanded into a list.
        `insert into outbound_webhooks (tenant_id, url, events) values (?, ?, string_to_array(?, ','))
         on conflict (tenant_id) do update set url = excluded.url, events = excluded.events, updated_at = now()`,
        [tenantId, url, body.events.join(',')],
        'run',
      );
      const after = await read(em, tenantId);
      if (!after) throw new DomainError('internal', 'the outbound webhook was not stored');
      let secret: string | undefined;
      if (!before || body.rotateSecret || !(await secrets.read(tenantId))) {
        secret = newSigningSecret();
        await secrets.write(tenantId, secret);
      }
      await audit.record(em, {
        tenantId,
        actor,
        action: 'outbound_webhook.configured',
        target: `tenant/${tenantId}/outbound-webhook`,
        ...(before ? { before: { url: before.url, events: before.events } } : {}),
        after: { url, events: body.events },
        details: { secretRotated: secret !== undefined },
      });
      return { ...view(after), ...(secret ? { secret } : {}) };
    },

    /** The webhook without its secret; 404 when the tenant has none. */
    async get(em: EntityManager, tenantId: string): Promise<OutboundWebhookView> {
      const row = await read(em, tenantId);
      if (!row) throw notFound('outbound webhook', tenantId);
      return view(row);
    },

    /** Removes the webhook and its secret; its pending deliveries become dead. 404 when there is none. */
    async remove(em: EntityManager, tenantId: string, actor: string): Promise<void> {
      const row = await read(em, tenantId);
      if (!row) throw notFound('outbound webhook', tenantId);
      await em.execute('delete from outbound_webhooks where tenant_id = ?', [tenantId], 'run');
      await em.execute(
        `update webhook_deliveries set status = 'dead', last_error = 'the outbound webhook was removed',
                locked_until = null
          where tenant_id = ? and status = 'pending'`,
        [tenantId],
        'run',
      );
      await audit.record(em, {
        tenantId,
        actor,
        action: 'outbound_webhook.removed',
        target: `tenant/${tenantId}/outbound-webhook`,
        before: { url: row.url, events: row.events },
      });
      await secrets.remove(tenantId);
    },

    /** The tenant's deliveries, newest first. */
    async deliveries(em: EntityManager, tenantId: string, status: string | undefined, limit: number) {
      const rows = await em.execute<
        {
          id: string;
          event: OutboundEventType;
          status: 'pending' | 'delivered' | 'dead';
          attempts: number;
          next_attempt_at: Date;
          last_status: number | null;
          last_error: string | null;
          delivered_at: Date | null;
          created_at: Date;
        }[]
      >(
        `select id, event, status, attempts, next_attempt_at, last_status, last_error, delivered_at, created_at
           from webhook_deliveries where tenant_id = ? ${status ? 'and status = ?' : ''}
          order by created_at desc, id limit ?`,
        status ? [tenantId, status, limit] : [tenantId, limit],
      );
      const iso = (at: Date | null) => (at ? new Date(at).toISOString() : null);
      return rows.map((row) => ({
        id: row.id,
        event: row.event,
        status: row.status,
        attempts: row.attempts,
        nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
        lastStatus: row.last_status,
        lastError: row.last_error,
        deliveredAt: iso(row.delivered_at),
        createdAt: new Date(row.created_at).toISOString(),
      }));
    },
  };
}

export type OutboundWebhooksService = ReturnType<typeof createOutboundWebhooksService>;

/** The events the tenant's webhook takes, empty when it has none. Runs in the caller's tenant scope. */
export async function subscribedEvents(em: EntityManager, tenantId: string): Promise<OutboundEventType[]> {
  const [row] = await em.execute<{ events: OutboundEventType[] }[]>(
    'select events from outbound_webhooks where tenant_id = ?',
    [tenantId],
  );
  return row?.events ?? [];
}

/** The id a payload of `type` about `sourceId` always gets: enqueuing it twice stores it once. */
export const deliveryId = (tenantId: string, type: OutboundEventType, sourceId: string) =>
  derivedId('outbound-webhook', tenantId, type, sourceId);

/**
 * Adds `payload` to the outbox in the caller's transaction, its body sealed with the tenant's keys
 * (it carries PII). Idempotent by `payload.id`.
 */
export async function enqueueDelivery(em: EntityManager, keys: TenantKeys, payload: OutboundPayload) {
  await em.execute(
    `insert into webhook_deliveries (id, tenant_id, event, body) values (?, ?, ?, ?)
     on conflict (id) do nothing`,
    [payload.id, payload.tenant, payload.type, keys.seal(JSON.stringify(payload))],
    'run',
  );
}
