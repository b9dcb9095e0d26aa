// The idempotent write of at-least-once delivery: `insert … on conflict do nothing`, reporting
// whether this call created the row. A concurrent writer of the same row waits for the other
// transaction and then sees the conflict, so exactly one of them gets `true`.
import type { EntityManager, EntityName, RequiredEntityData } from '@mikro-orm/postgresql';

/** Inserts `data` unless a row with the same `conflictOn` columns exists; true when it inserted. */
export async function insertOnce<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  data: RequiredEntityData<T>,
  conflictOn: (keyof T & string)[],
): Promise<boolean> {
  const result = await em
    .createQueryBuilder(entity)
    .insert(data)
    // biome-ignore lint/suspicious/noExplicitAny: the builder's field type is not expressible from keyof T
    .onConflict(conflictOn as any)
    .ignore()
    .execute('run');
  return result.affectedRows > 0;
}
