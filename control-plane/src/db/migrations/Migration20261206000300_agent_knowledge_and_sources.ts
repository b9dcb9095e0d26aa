// Agent instances carry their knowledge settings (the AgentInstance's spec.knowledge: without it the
// operator configures no retrieval), and results keep the knowledge chunks their reply drew on.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261206000300AgentKnowledgeAndSources extends Migration {
  override up(): void {
    this.addSql('alter table agent_instances add column knowledge jsonb');
    this.addSql(`alter table results add column sources jsonb not null default '[]'::jsonb`);
  }

  override down(): void {
    this.addSql('alter table results drop column sources');
    this.addSql('alter table agent_instances drop column knowledge');
  }
}
