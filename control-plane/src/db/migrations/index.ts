// The migrations, in order. Hand-written SQL; a new one is appended here and never edited after release.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000001Schema } from './Migration20261123000001_schema.ts';
import { Migration20261123000002RowLevelSecurity } from './Migration20261123000002_row_level_security.ts';
import { Migration20261124000003EventsIngest } from './Migration20261124000003_events_ingest.ts';
import { Migration20261129000010Multicluster } from './Migration20261129000010_multicluster.ts';
import { Migration20261206000100KnowledgeAndDataRights } from './Migration20261206000100_knowledge_and_data_rights.ts';
import { Migration20261206000200PiiAndOutboundWebhooks } from './Migration20261206000200_pii_and_outbound_webhooks.ts';
import { Migration20261206000300AgentKnowledgeAndSources } from './Migration20261206000300_agent_knowledge_and_sources.ts';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261123000001_schema', class: Migration20261123000001Schema },
  { name: 'Migration20261123000002_row_level_security', class: Migration20261123000002RowLevelSecurity },
  { name: 'Migration20261124000003_events_ingest', class: Migration20261124000003EventsIngest },
  { name: 'Migration20261129000010_multicluster', class: Migration20261129000010Multicluster },
  {
    name: 'Migration20261206000100_knowledge_and_data_rights',
    class: Migration20261206000100KnowledgeAndDataRights,
  },
  {
    name: 'Migration20261206000200_pii_and_outbound_webhooks',
    class: Migration20261206000200PiiAndOutboundWebhooks,
  },
  {
    name: 'Migration20261206000300_agent_knowledge_and_sources',
    class: Migration20261206000300AgentKnowledgeAndSources,
  },
];
