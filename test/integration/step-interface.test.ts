/**
 * The queryInterface of a migration step (src/db/step-interface.ts), against the database under
 * test: on MySQL every operation done twice is done once, also when the second one does not see
 * the first (a dead runner's ALTER still finishing), so the migrations of tomorrow (addColumn,
 * addConstraint, …) resume too; on SQLite a step's statements, table rebuilds included, all run
 * in its transaction and vanish with it.
 */
import {expect} from 'chai'
import {DataTypes, QueryTypes, literal, type QueryInterface, type Sequelize} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {stepInterface} from '../../src/db/step-interface.js'
import {checks, columns, foreignKeys, indexes, tableNames} from '../support/catalog.js'
import {testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

/** A queryInterface that finds nothing in information_schema, as a runner racing a dead one's DDL would. */
function blind(queryInterface: QueryInterface): QueryInterface {
  const sequelize = new Proxy(queryInterface.sequelize, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (sql: string, options?: object) => (/information_schema/.test(sql) ? Promise.resolve([]) : target.query(sql, options))
      }
      return Reflect.get(target, property, receiver) as unknown
    },
  }) as Sequelize
  return Object.create(queryInterface, {sequelize: {value: sequelize}}) as QueryInterface
}

/**
 * The operations of a migration of tomorrow: columns, checks, keys, a rename and removals. (Not
 * resumable, and not here: renaming what the same migration added; split such a migration.)
 */
async function operations(qi: QueryInterface): Promise<void> {
  await qi.createTable('guards', {
    id: {type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true},
    owner_id: DataTypes.INTEGER,
    refunded: {type: DataTypes.DECIMAL(12, 2), allowNull: false, defaultValue: 0},
    legacy: DataTypes.INTEGER,
  })
  await qi.addColumn('guards', 'version', {type: DataTypes.INTEGER, allowNull: false, defaultValue: 0})
  await qi.addConstraint('guards', {type: 'check', name: 'guards_version_not_negative', fields: [], where: literal('version >= 0')})
  await qi.addConstraint('guards', {type: 'unique', name: 'guards_owner_unique', fields: ['owner_id']})
  await qi.addConstraint('guards', {
    type: 'foreign key',
    name: 'guards_owner_fk',
    fields: ['owner_id'],
    references: {table: 'owners', field: 'id'},
    onDelete: 'RESTRICT',
    onUpdate: 'RESTRICT',
  })
  await qi.addIndex('guards', ['version'], {name: 'guards_version'})
  await qi.renameColumn('guards', 'refunded', 'refunded_total')
  await qi.removeIndex('guards', 'guards_version')
  await qi.removeColumn('guards', 'legacy')
}

async function snapshot(db: Db) {
  return {
    tables: await tableNames(db),
    columns: await columns(db, 'guards'),
    indexes: await indexes(db, 'guards'),
    checks: await checks(db, 'guards'),
    foreignKeys: await foreignKeys(db, 'guards'),
  }
}

describe(`the queryInterface of a migration step (${testDialect})`, () => {
  const scratch = useScratch({per: 'test', database: 'step', empty: true})
  let db: Db

  beforeEach(async () => {
    db = scratch.db
    await db.sequelize.getQueryInterface().createTable('owners', {id: {type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true}})
  })

  describe('resumable (MySQL)', () => {
    before(function () {
      if (testDialect !== 'mysql') this.skip()
    })

    it('does each operation once when run twice: the second run changes nothing', async () => {
      const qi = db.sequelize.getQueryInterface()
      await operations(qi)
      const once = await snapshot(db)
      expect(once.columns.map((c) => c.name)).to.deep.equal(['id', 'owner_id', 'refunded_total', 'version'])
      expect(once.checks).to.deep.equal(['guards_version_not_negative'])
      expect(once.indexes.map((i) => i.name)).to.deep.equal(['guards_owner_unique'])
      expect(once.foreignKeys.map((fk) => fk.column)).to.deep.equal(['owner_id'])

      await operations(stepInterface(qi, {resumable: true}).queryInterface)
      expect(await snapshot(db)).to.deep.equal(once)
    })

    it('counts the database\'s "already exists" and "does not exist" errors as done, for a runner that did not see the other\'s work', async () => {
      const qi = db.sequelize.getQueryInterface()
      await operations(qi)
      const once = await snapshot(db)
      // Adding again what exists, blind: only the errors say it is done.
      const again = stepInterface(blind(qi), {resumable: true}).queryInterface
      await again.createTable('guards', {id: {type: DataTypes.INTEGER, primaryKey: true}})
      await again.addColumn('guards', 'version', {type: DataTypes.INTEGER, allowNull: false, defaultValue: 0})
      await again.addConstraint('guards', {type: 'check', name: 'guards_version_not_negative', fields: [], where: literal('version >= 0')})
      await again.addConstraint('guards', {type: 'unique', name: 'guards_owner_unique', fields: ['owner_id']})
      await again.addConstraint('guards', {
        type: 'foreign key',
        name: 'guards_owner_fk',
        fields: ['owner_id'],
        references: {table: 'owners', field: 'id'},
        onDelete: 'RESTRICT',
        onUpdate: 'RESTRICT',
      })
      await again.addIndex('guards', ['owner_id'], {name: 'guards_owner_unique'})
      await again.removeIndex('guards', 'guards_version')
      await again.removeColumn('guards', 'legacy')
      expect(await snapshot(db)).to.deep.equal(once)
    })

    it('still fails on a real error', async () => {
      const step = stepInterface(db.sequelize.getQueryInterface(), {resumable: true}).queryInterface
      let error: unknown
      await step.addIndex('no_such_table', ['id'], {name: 'nope'}).catch((e) => (error = e))
      expect(String(error)).to.match(/no_such_table/)
    })
  })

  describe('in the step\'s transaction (SQLite migrations, every seeder)', () => {
    it('runs every statement in it, table rebuilds included: a step that fails leaves nothing behind (SQLite)', async function () {
      if (testDialect !== 'sqlite') this.skip()
      const before = await tableNames(db)
      const failed = await db.sequelize
        .transaction(async (transaction) => {
          const {queryInterface} = stepInterface(db.sequelize.getQueryInterface(), {transaction})
          await queryInterface.createTable('guards', {id: {type: DataTypes.INTEGER, primaryKey: true}, version: DataTypes.INTEGER})
          // A rebuild of the table in several statements.
          await queryInterface.addConstraint('guards', {type: 'check', name: 'guards_version_known', fields: [], where: literal('version >= 0')})
          await queryInterface.addColumn('guards', 'note', {type: DataTypes.STRING(20), allowNull: true})
          // Other connections see none of it yet.
          expect(await tableNames(db)).to.deep.equal(before)
          throw new Error('killed here')
        })
        .catch((error: Error) => error.message)
      expect(failed).to.equal('killed here')
      expect(await tableNames(db)).to.deep.equal(before)
    })

    it("joins a step's own sequelize.transaction(fn) to it, as the seeders open theirs", async () => {
      const failed = await db.sequelize
        .transaction(async (transaction) => {
          const {sequelize} = stepInterface(db.sequelize.getQueryInterface(), {transaction})
          await sequelize.transaction(async (inner) => {
            expect(inner).to.equal(transaction)
            await sequelize.query('INSERT INTO owners (id) VALUES (7)', {transaction: inner})
          })
          // Without a transaction given: the step's all the same.
          await sequelize.query('INSERT INTO owners (id) VALUES (8)')
          const seen = await db.sequelize.query('SELECT id FROM owners ORDER BY id', {type: QueryTypes.SELECT, transaction})
          expect(seen).to.deep.equal([{id: 7}, {id: 8}])
          throw new Error('rolled back')
        })
        .catch((error: Error) => error.message)
      expect(failed).to.equal('rolled back')
      expect(await db.sequelize.query('SELECT id FROM owners', {type: QueryTypes.SELECT})).to.deep.equal([])
    })
  })
})
