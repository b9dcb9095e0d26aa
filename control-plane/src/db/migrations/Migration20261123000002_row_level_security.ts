// Row-level security. Two roles (cluster-wide in PostgreSQL, so created only when missing):
//   agentplane_owner  owns the tables; NOLOGIN; used by migrations and SECURITY DEFINER functions.
//   agentplane_api    what every request runs as (`SET LOCAL ROLE`): not the owner, no BYPASSRLS,
//                     sees only rows whose tenant_id equals `app.tenant_id` of its transaction.
// RLS is ENABLEd, not FORCEd: the owner must see across tenants inside the one definer function
// that authenticates API keys; the API role never owns anything, so the policies always bind it.
import { Migration } from '@mikro-orm/migrations';

export const tenantTables = [
  'users',
  'memberships',
  'api_keys',
  'agent_instances',
  'conversations',
  'messages',
  'results',
  'leads',
  'usage_records',
  'audit_events',
  'flag_overrides',
] as const;

const ownedTables = ['tenants', 'agent_definitions', ...tenantTables];

function ensureRole(name: string, attributes: string): string {
  // Two databases migrating at once may race to create the role; the loser ignores the error.
  return `do $$ begin
    if not exists (select 1 from pg_roles where rolname = '${name}') then
      create role ${name} ${attributes};
    end if;
  exception when duplicate_object or unique_violation then null;
  end $$`;
}

const currentTenant = "nullif(current_setting('app.tenant_id', true), '')";

export class Migration20261123000002RowLevelSecurity extends Migration {
  override up(): void {
    this.addSql(ensureRole('agentplane_owner', 'nologin nobypassrls'));
    this.addSql(ensureRole('agentplane_api', 'login nobypassrls nosuperuser nocreatedb nocreaterole'));
    this.addSql('grant usage on schema public to agentplane_owner, agentplane_api');
    for (const table of ownedTables) this.addSql(`alter table ${table} owner to agentplane_owner`);

    this.addSql('grant select on agent_definitions to agentplane_api');
    this.addSql('grant select, insert, update, delete on tenants to agentplane_api');
    this.addSql('alter table tenants enable row level security');
    this.addSql(`create policy tenant_isolation on tenants using (id = ${currentTenant})`);

    for (const table of tenantTables) {
      this.addSql(`alter table ${table} enable row level security`);
      this.addSql(`create policy tenant_isolation on ${table} using (tenant_id = ${currentTenant})`);
      if (table !== 'audit_events') {
        this.addSql(`grant select, insert, update, delete on ${table} to agentplane_api`);
      }
    }
    // The audit trail is append-only for the API: no UPDATE, no DELETE.
    this.addSql('grant select, insert on audit_events to agentplane_api');

    // Authentication happens before the tenant is known: this function returns the one key with
    // the given lookup id (never a list), running as the owner so RLS does not hide it.
    this.addSql(`
      create function api_key_principal(p_lookup_id text)
      returns table (key_id uuid, tenant_id text, role text, key_hash text, tier text, suspended boolean)
      language sql stable security definer set search_path = public, pg_temp as $$
        select k.id, k.tenant_id, k.role, k.key_hash, t.tier, t.suspended
        from api_keys k join tenants t on t.id = k.tenant_id
        where k.lookup_id = p_lookup_id and k.revoked_at is null
      $$`);
    this.addSql('alter function api_key_principal(text) owner to agentplane_owner');
    this.addSql('revoke all on function api_key_principal(text) from public');
    this.addSql('grant execute on function api_key_principal(text) to agentplane_api');
  }
}
