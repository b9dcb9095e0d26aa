// The flags as data: per flag its type, variants and which variant each tier gets. Tier facts
// (custom prompts, isolation, limits) come from the tier table in @agentplane/crds, so the flags
// and the operator can never disagree. Numbers use -1 for "unlimited / by contract".
import { type Tier, tierNames, tiers } from '@agentplane/crds';

export type FlagValue = boolean | number;

export interface FlagDefinition {
  key: string;
  type: 'boolean' | 'number';
  description: string;
  variants: Record<string, FlagValue>;
  /** The variant each tier evaluates to. */
  byTier: Record<Tier, string>;
  defaultVariant: string;
}

const onOff = { on: true, off: false };
const perTier = (pick: (tier: Tier) => string) =>
  Object.fromEntries(tierNames.map((tier) => [tier, pick(tier)])) as Record<Tier, string>;
const fromTable = (value: (tier: Tier) => number | null) =>
  Object.fromEntries(tierNames.map((tier) => [tier, value(tier) ?? -1]));

export const flagDefinitions: readonly FlagDefinition[] = [
  {
    key: 'dedicated-namespace',
    type: 'boolean',
    description: 'The tenant runs in its own namespace by default.',
    variants: onOff,
    byTier: perTier((tier) => (tiers[tier].defaultIsolation === 'dedicated' ? 'on' : 'off')),
    defaultVariant: 'off',
  },
  {
    key: 'custom-prompts',
    type: 'boolean',
    description: 'Agent instances may replace the system prompt.',
    variants: onOff,
    byTier: perTier((tier) => (tiers[tier].customPrompts ? 'on' : 'off')),
    defaultVariant: 'off',
  },
  {
    key: 'advanced-workflows',
    type: 'boolean',
    description: 'Multi-step workflows (hand-off, follow-ups).',
    variants: onOff,
    byTier: { basic: 'off', pro: 'on', enterprise: 'on' },
    defaultVariant: 'off',
  },
  {
    key: 'sentiment-analysis',
    type: 'boolean',
    description: 'The pipeline labels sentiment.',
    variants: onOff,
    byTier: { basic: 'off', pro: 'on', enterprise: 'on' },
    defaultVariant: 'off',
  },
  {
    key: 'premium-reply-model',
    type: 'boolean',
    description: 'Replies use the instance replyModel instead of the default model.',
    variants: onOff,
    byTier: { basic: 'off', pro: 'off', enterprise: 'on' },
    defaultVariant: 'off',
  },
  {
    key: 'max-agent-instances',
    type: 'number',
    description: 'Agent instances the tenant may have (-1: unlimited).',
    variants: fromTable((tier) => tiers[tier].maxAgentInstances),
    byTier: perTier((tier) => tier),
    defaultVariant: 'basic',
  },
  {
    key: 'monthly-conversation-limit',
    type: 'number',
    description: 'Conversations a month included in the price (-1: by contract).',
    variants: fromTable((tier) => tiers[tier].includedConversationsPerMonth),
    byTier: perTier((tier) => tier),
    defaultVariant: 'basic',
  },
];
