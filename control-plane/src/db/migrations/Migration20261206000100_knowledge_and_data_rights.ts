// Knowledge documents and their chunks (the ledger of what is in the vector store), and data
// exports with their archive stored in parts. Tenant tables with row-level security like the others
// (Migration20261123000002); the background workers find unfinished work across tenants through
// one SECURITY DEFINER function that returns ids only.
import { Migration } from '@mikro-orm/migrations';

const tables = ['knowledge_documents', 'knowledge_chunks', 'data_exports', 'data_export_parts'] as const;
const currentTenant = "nullif(current_setting('app.tenant_id', true), '')";

export class Migration20261206000100KnowledgeAndDataRights extends Migration {
  override up(): void {
    this.addSql(`
      create table knowledge_documents (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        title text not null,
        content_type text not null check (content_type in ('text/markdown', 'text/plain')),
        content text not null,
        bytes integer not null check (bytes >= 0),
        sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
        status text not null check (status in ('pending', 'indexing', 'ready', 'failed')),
        error text,
        chunk_count integer not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        indexed_at timestamptz,
        unique (tenant_id, id)
      )`);
    this.addSql('create index knowledge_documents_tenant on knowledge_documents (tenant_id, created_at)');
    this.addSql(`
      create table knowledge_chunks (
        id uuid primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        document_id uuid not null,
        seq integer not null check (seq >= 0),
        title text not null,
        text text not null,
        unique (tenant_id, document_id, seq),
        foreign key (tenant_id, document_id) references knowledge_documents(tenant_id, id) on delete cascade
      )`);
    this.addSql(`
      create table data_exports (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        status text not null check (status in ('pending', 'running', 'ready', 'failed', 'purged')),
        requested_by text not null,
        stage text,
        records_done integer not null default 0,
        records_total integer,
        parts integer not null default 0,
        bytes bigint not null default 0,
        error text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz,
        unique (tenant_id, id)
      )`);
    this.addSql('create index data_exports_tenant on data_exports (tenant_id, created_at)');
    this.addSql(`
      create table data_export_parts (
        tenant_id text not null references tenants(id) on delete cascade,
        export_id uuid not null,
        seq integer not null check (seq >= 0),
        body text not null,
        primary key (tenant_id, export_id, seq),
        foreign key (tenant_id, export_id) references data_exports(tenant_id, id) on delete cascade
      )`);
    for (const table of tables) {
      this.addSql(`alter table ${table} owner to agentplane_owner`);
      this.addSql(`alter table ${table} enable row level security`);
      this.addSql(`create policy tenant_isolation on ${table} using (tenant_id = ${currentTenant})`);
      this.addSql(`grant select, insert, update, delete on ${table} to agentplane_api`);
    }
    // Work a crashed or restarted control plane left behind: documents waiting to be indexed and
    // exports not finished, quiet for `p_stale_seconds` (a running worker touches updated_at).
    // Ids only, never content; each worker then claims the row in the tenant's own scope.
    this.addSql(`
      create function data_rights_unfinished_work(p_stale_seconds integer)
      returns table (kind text, tenant_id text, id uuid)
      language sql stable security definer set search_path = public, pg_temp as $$
        select 'knowledge-document', d.tenant_id, d.id from knowledge_documents d
        where d.status = 'pending' or (d.status = 'indexing' and d.updated_at < now() - make_interval(secs => p_stale_seconds))
        union all
        select 'export', e.tenant_id, e.id from data_exports e
        where e.status = 'pending' or (e.status = 'running' and e.updated_at < now() - make_interval(secs => p_stale_seconds))
      $$`);
    this.addSql('alter function data_rights_unfinished_work(integer) owner to agentplane_owner');
    this.addSql('revoke all on function data_rights_unfinished_work(integer) from public');
    this.addSql('grant execute on function data_rights_unfinished_work(integer) to agentplane_api');
  }
}
