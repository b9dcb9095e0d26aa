// Multi-cluster: the registry of member clusters and where each tenant is placed. Platform tables
// without RLS (see multicluster/entities.ts): owned by agentplane_owner, readable and writable by
// the API role. Credentials are not here: they live in Vault under platform/clusters/<name>.
import { Migration } from '@mikro-orm/migrations';

const dnsLabel = "'^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'";

export class Migration20261129000010Multicluster extends Migration {
  override up(): void {
    this.addSql(`
      create table member_clusters (
        name text primary key check (name ~ ${dnsLabel}),
        region text not null check (region ~ ${dnsLabel}),
        labels jsonb not null default '{}',
        max_tenants integer not null check (max_tenants > 0),
        cpu_millis bigint not null check (cpu_millis > 0),
        memory_bytes bigint not null check (memory_bytes > 0),
        api_server_url text not null,
        credentials_kind text not null check (credentials_kind in ('kubeconfig', 'token')),
        runtime jsonb not null default '{}',
        health text not null default 'Unknown'
          check (health in ('Unknown', 'Ready', 'Unreachable', 'OperatorMissing', 'CRDsOutdated')),
        health_message text,
        health_since timestamptz,
        last_probe_at timestamptz,
        last_success_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table tenant_placements (
        tenant_id text primary key references tenants(id) on delete cascade,
        cluster text not null references member_clusters(name),
        tier text not null check (tier in ('basic', 'pro', 'enterprise')),
        region text,
        cpu_millis bigint not null check (cpu_millis >= 0),
        memory_bytes bigint not null check (memory_bytes >= 0),
        pinned boolean not null default false,
        decision jsonb not null,
        migration_peer text references member_clusters(name),
        migration jsonb,
        sync jsonb,
        placed_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check (migration_peer is null or migration_peer <> cluster)
      )`);
    this.addSql('create index tenant_placements_cluster on tenant_placements (cluster)');
    this.addSql(
      'create index tenant_placements_migration_peer on tenant_placements (migration_peer) where migration_peer is not null',
    );
    for (const table of ['member_clusters', 'tenant_placements']) {
      this.addSql(`alter table ${table} owner to agentplane_owner`);
      this.addSql(`grant select, insert, update, delete on ${table} to agentplane_api`);
    }
  }
}
