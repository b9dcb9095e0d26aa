// What ingesting the runtime's events and channel deliveries needs: one lead per processed message
// (so a redelivered event cannot add a second), and the indexes the SSE replay and the channel
// conversation lookup read by.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261124000003EventsIngest extends Migration {
  override up(): void {
    this.addSql('create unique index leads_message on leads (tenant_id, message_id)');
    this.addSql('create index results_conversation on results (tenant_id, conversation_id, created_at, id)');
    this.addSql('create index conversations_external on conversations (tenant_id, channel, external_id)');
  }
}
