// PII at rest and outbound webhooks (docs/pii-encryption.md, docs/webhooks-and-events.md).
// - tenant_keys: each tenant's data key, wrapped by its Vault transit key.
// - leads and results get the blind indexes of the email and phone they hold (the values themselves
//   are sealed in place: `pii1:…`). Rows stored before this migration stay plaintext until
//   `npm run pii:backfill -w control-plane` seals them (a migration cannot reach Vault).
// - outbound_webhooks (one per tenant) and webhook_deliveries, the outbox the delivery worker drains.
//   The worker claims due deliveries of every tenant through one definer function, then works on
//   each in that tenant's scope.
import { Migration } from '@mikro-orm/migrations';

const currentTenant = "nullif(current_setting('app.tenant_id', true), '')";
const newTenantTables = ['tenant_keys', 'outbound_webhooks', 'webhook_deliveries'];

export class Migration20261206000200PiiAndOutboundWebhooks extends Migration {
  override up(): void {
    this.addSql(`
      create table tenant_keys (
        tenant_id text primary key references tenants(id) on delete cascade,
        transit_key text not null,
        wrapped_key text not null,
        created_at timestamptz not null default now()
      )`);
    for (const table of ['leads', 'results']) {
      this.addSql(`alter table ${table} add column email_index text, add column phone_index text`);
      for (const kind of ['email', 'phone']) {
        this.addSql(
          `create index ${table}_${kind}_index on ${table} (tenant_id, ${kind}_index) where ${kind}_index is not null`,
        );
      }
    }
    this.addSql(`
      create table outbound_webhooks (
        tenant_id text primary key references tenants(id) on delete cascade,
        url text not null check (url ~ '^https?://'),
        events text[] not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table webhook_deliveries (
        id uuid primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        event text not null,
        body text not null,
        status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        locked_until timestamptz,
        last_status integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz not null default now()
      )`);
    this.addSql(
      "create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'",
    );
    this.addSql('create index webhook_deliveries_tenant on webhook_deliveries (tenant_id, created_at)');
    for (const table of newTenantTables) {
      this.addSql(`alter table ${table} owner to agentplane_owner`);
      this.addSql(`alter table ${table} enable row level security`);
      this.addSql(`create policy tenant_isolation on ${table} using (tenant_id = ${currentTenant})`);
      this.addSql(`grant select, insert, update, delete on ${table} to agentplane_api`);
    }
    // Leases due deliveries across tenants (skipping those another worker holds) and names them;
    // reading or changing one is then done in its tenant's scope, under RLS.
    this.addSql(`
      create function claim_webhook_deliveries(p_limit integer, p_lease_seconds integer)
      returns table (id uuid, tenant_id text)
      language sql volatile security definer set search_path = public, pg_temp as $$
        update webhook_deliveries d
           set locked_until = now() + make_interval(secs => p_lease_seconds)
         where d.id in (
           select w.id from webhook_deliveries w
            where w.status = 'pending' and w.next_attempt_at <= now()
              and (w.locked_until is null or w.locked_until < now())
            order by w.next_attempt_at
            limit p_limit
            for update skip locked)
        returning d.id, d.tenant_id
      $$`);
    this.addSql('alter function claim_webhook_deliveries(integer, integer) owner to agentplane_owner');
    this.addSql('revoke all on function claim_webhook_deliveries(integer, integer) from public');
    this.addSql('grant execute on function claim_webhook_deliveries(integer, integer) to agentplane_api');
  }
}
