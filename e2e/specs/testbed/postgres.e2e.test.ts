import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Migration, Migrator } from '@mikro-orm/migrations';
import { defineEntity, MikroORM, p } from '@mikro-orm/postgresql';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';

const Probe = defineEntity({
  name: 'Probe',
  tableName: 'probes',
  properties: {
    id: p.integer().primary().autoincrement(),
    label: p.string(),
  },
});

class CreateProbes extends Migration {
  override up(): void {
    this.addSql('create table probes (id serial primary key, label text not null unique)');
  }
}

describe('test bed: PostgreSQL with MikroORM', () => {
  const dbName = uniqueName('tb_pg').replace('-', '_');
  let orm: MikroORM;

  before(async () => {
    orm = await MikroORM.init({
      clientUrl: testbedEnv('DATABASE_URL'),
      dbName,
      entities: [Probe],
      extensions: [Migrator],
      // No schema snapshot file: migrations here are hand-written, and the snapshot would land in the cwd.
      migrations: {
        snapshot: false,
        migrationsList: [{ name: 'Migration20261123000000_CreateProbes', class: CreateProbes }],
      },
      debug: false,
    });
    await orm.schema.ensureDatabase();
  });
  after(async () => {
    await orm.close(true);
    const admin = await MikroORM.init({ clientUrl: testbedEnv('DATABASE_URL'), entities: [Probe] });
    await admin.schema.dropDatabase(dbName);
    await admin.close(true);
  });

  it('runs a versioned migration once, then reads and writes through the ORM', async () => {
    const first = await orm.migrator.up();
    assert.deepEqual(
      first.map((m) => m.name),
      ['Migration20261123000000_CreateProbes'],
    );
    assert.deepEqual(await orm.migrator.up(), [], 'an applied migration is not run again');

    const em = orm.em.fork();
    em.create(Probe, { label: 'hello' });
    await em.flush();
    const found = await orm.em.fork().findOneOrFail(Probe, { label: 'hello' });
    assert.equal(found.label, 'hello');

    await assert.rejects(async () => {
      const dup = orm.em.fork();
      dup.create(Probe, { label: 'hello' });
      await dup.flush();
    }, /unique|duplicate/i);
  });
});
