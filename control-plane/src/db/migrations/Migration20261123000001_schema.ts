// The tables. Every tenant table carries `tenant_id`; children reference their parent by
// (tenant_id, id) so a row can never point at another tenant's row, whatever the application does.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000001Schema extends Migration {
  override up(): void {
    this.addSql(`
      create table tenants (
        id text primary key check (id ~ '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$'),
        display_name text,
        tier text not null check (tier in ('basic', 'pro', 'enterprise')),
        isolation text check (isolation in ('shared', 'dedicated')),
        region text,
        suspended boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table users (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        email text not null,
        display_name text,
        created_at timestamptz not null default now(),
        unique (tenant_id, email),
        unique (tenant_id, id)
      )`);
    this.addSql(`
      create table memberships (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        user_id uuid not null,
        role text not null check (role in ('owner', 'admin', 'member', 'developer')),
        created_at timestamptz not null default now(),
        unique (tenant_id, user_id),
        foreign key (tenant_id, user_id) references users(tenant_id, id) on delete cascade
      )`);
    this.addSql(`
      create table api_keys (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        lookup_id text not null unique,
        key_hash text not null check (key_hash ~ '^[0-9a-f]{64}$'),
        name text not null,
        role text not null check (role in ('owner', 'admin', 'member', 'developer')),
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`);
    this.addSql('create index api_keys_tenant on api_keys (tenant_id)');
    this.addSql(`
      create table agent_definitions (
        id uuid primary key default gen_random_uuid(),
        agent text not null,
        version text not null,
        description text not null default '',
        capabilities jsonb not null default '[]',
        tiers text[] not null,
        unique (agent, version)
      )`);
    this.addSql(`
      create table agent_instances (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        name text not null check (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
        agent text not null,
        version text not null,
        model jsonb,
        prompt jsonb,
        replicas integer not null default 1,
        paused boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (tenant_id, name),
        unique (tenant_id, id)
      )`);
    this.addSql(`
      create table conversations (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        agent_instance_id uuid not null,
        channel text not null default 'api',
        external_id text,
        created_at timestamptz not null default now(),
        unique (tenant_id, id),
        foreign key (tenant_id, agent_instance_id) references agent_instances(tenant_id, id) on delete cascade
      )`);
    this.addSql(`
      create table messages (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        conversation_id uuid not null,
        author text not null check (author in ('end-user', 'agent')),
        body text not null,
        sender jsonb,
        created_at timestamptz not null default now(),
        unique (tenant_id, id),
        foreign key (tenant_id, conversation_id) references conversations(tenant_id, id) on delete cascade
      )`);
    this.addSql('create index messages_conversation on messages (tenant_id, conversation_id, created_at)');
    this.addSql(`
      create table results (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        message_id uuid not null,
        conversation_id uuid not null,
        intent text,
        sentiment text,
        labels jsonb not null default '[]',
        entities jsonb not null default '{}',
        reply text,
        tokens integer not null default 0,
        created_at timestamptz not null default now(),
        unique (tenant_id, message_id),
        foreign key (tenant_id, message_id) references messages(tenant_id, id) on delete cascade
      )`);
    this.addSql(`
      create table leads (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        conversation_id uuid not null,
        message_id uuid,
        score integer not null check (score between 0 and 100),
        temperature text not null check (temperature in ('hot', 'warm', 'cold')),
        name text, email text, phone text, company text, interest text,
        created_at timestamptz not null default now(),
        foreign key (tenant_id, conversation_id) references conversations(tenant_id, id) on delete cascade
      )`);
    this.addSql(`
      create table usage_records (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null references tenants(id) on delete cascade,
        kind text not null check (kind in ('conversation', 'message', 'tokens')),
        quantity bigint not null check (quantity >= 0),
        source_id text not null,
        occurred_at timestamptz not null default now(),
        unique (tenant_id, kind, source_id)
      )`);
    this.addSql(`
      create table audit_events (
        id uuid primary key default gen_random_uuid(),
        tenant_id text not null,
        seq bigint not null check (seq > 0),
        actor text not null,
        action text not null,
        target text not null,
        before_digest text,
        after_digest text,
        details jsonb not null default '{}',
        created_at timestamptz not null,
        prev_hash text not null,
        hash text not null,
        unique (tenant_id, seq)
      )`);
    this.addSql(`
      create table flag_overrides (
        tenant_id text not null references tenants(id) on delete cascade,
        flag_key text not null,
        value jsonb not null,
        updated_at timestamptz not null default now(),
        primary key (tenant_id, flag_key)
      )`);
  }
}
