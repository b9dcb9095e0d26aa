// Seals email and phone stored before PII encryption (Migration20261206000200): leads' columns and
// the entities of results, with their blind indexes. Runs on a connection that sees every tenant
// (the migration role); each tenant's rows are rewritten in one transaction. Idempotent: a sealed
// value is recognised by its prefix and left alone.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sealedPrefix } from './envelope.ts';
import { type Pii, sealContact, sealEntities } from './pii.ts';

const plainLeads = `(email is not null and email not like '${sealedPrefix}%')
  or (phone is not null and phone not like '${sealedPrefix}%')`;
const plainResults = `(entities->>'email' is not null and entities->>'email' not like '${sealedPrefix}%')
  or (entities->>'phone' is not null and entities->>'phone' not like '${sealedPrefix}%')`;

/** Returns how many rows were sealed per table. Throws 503 when Vault cannot be reached (re-run it). */
export async function backfillPii(
  root: EntityManager,
  pii: Pii,
): Promise<{ leads: number; results: number }> {
  const em = root.fork();
  const tenants = await em.execute<{ tenant_id: string }[]>(
    `select tenant_id from leads where ${plainLeads} union select tenant_id from results where ${plainResults}`,
  );
  const done = { leads: 0, results: 0 };
  for (const { tenant_id: tenant } of tenants) {
    const keys = await pii.keysFor(tenant);
    await em.transactional(async (tx) => {
      const leads = await tx.execute<{ id: string; email: string | null; phone: string | null }[]>(
        `select id, email, phone from leads where tenant_id = ? and (${plainLeads}) for update`,
        [tenant],
      );
      for (const lead of leads) {
        const sealed = sealContact(keys, {
          email: keys.open(lead.email ?? ''),
          phone: keys.open(lead.phone ?? ''),
        });
        await tx.execute(
          'update leads set email = ?, phone = ?, email_index = ?, phone_index = ? where id = ?',
          [sealed.email, sealed.phone, sealed.emailIndex, sealed.phoneIndex, lead.id],
          'run',
        );
      }
      const results = await tx.execute<{ id: string; entities: Record<string, string> }[]>(
        `select id, entities from results where tenant_id = ? and (${plainResults}) for update`,
        [tenant],
      );
      for (const result of results) {
        const plain = {
          email: keys.open(result.entities.email ?? ''),
          phone: keys.open(result.entities.phone ?? ''),
        };
        const { emailIndex, phoneIndex } = sealContact(keys, plain);
        await tx.execute(
          'update results set entities = ?, email_index = ?, phone_index = ? where id = ?',
          [JSON.stringify(sealEntities(keys, result.entities)), emailIndex, phoneIndex, result.id],
          'run',
        );
      }
      done.leads += leads.length;
      done.results += results.length;
    });
  }
  return done;
}
