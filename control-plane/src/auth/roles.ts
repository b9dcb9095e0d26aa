// The role table (docs/roles.md) as data, and the one function that decides with it.
import type { tenantRoles } from '../db/entities.ts';

export type TenantRole = (typeof tenantRoles)[number];

/** Every action a route can require. `platform:*` actions are for platform administrators only. */
export const actionRoles = {
  'tenant:read': ['owner', 'admin', 'member', 'developer'],
  'tenant:update': ['owner', 'admin'],
  'keys:manage': ['owner', 'admin'],
  'members:invite': ['owner', 'admin'],
  'members:change-role': ['owner'],
  'agents:read': ['owner', 'admin', 'member', 'developer'],
  'agents:deploy': ['owner', 'admin', 'developer'],
  'prompts:edit': ['owner', 'admin', 'developer'],
  'conversations:read': ['owner', 'admin', 'member', 'developer'],
  'messages:send': ['owner', 'admin', 'member', 'developer'],
  'flags:read': ['owner', 'admin', 'member', 'developer'],
  'billing:read': ['owner', 'admin'],
  'audit:read': ['owner', 'admin'],
  'knowledge:read': ['owner', 'admin', 'member', 'developer'],
  'knowledge:manage': ['owner', 'admin', 'developer'],
  'data:export': ['owner', 'admin'],
  'data:erase': ['owner'],
  'platform:tenants': [],
  'platform:flags': [],
  'platform:clusters': [],
} as const satisfies Record<string, readonly TenantRole[]>;

export type Action = keyof typeof actionRoles;

export type Principal =
  | { kind: 'platform-admin' }
  | {
      kind: 'api-key';
      keyId: string;
      tenantId: string;
      role: TenantRole;
      tier: 'basic' | 'pro' | 'enterprise';
      suspended: boolean;
    };

/** Whether `principal` may do `action` (tenant membership is checked separately). Pure. */
export function can(principal: Principal, action: Action): boolean {
  if (principal.kind === 'platform-admin') return true;
  return (actionRoles[action] as readonly TenantRole[]).includes(principal.role);
}

/** The actor written into audit events. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'platform-admin' ? 'platform-admin' : `api-key:${principal.keyId}`;
}
