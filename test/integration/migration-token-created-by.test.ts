/**
 * Issue 12, item 12: the migration that records which session or token made a token. It is
 * safe to run again, also after stopping halfway (the column added, not yet its index), and
 * its down keeps the rest of api_tokens as it was (SQLite's indexes included).
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import type {MigrationContext} from '../../src/db/migration-kit.js'
import {columns, indexes, schemaSnapshot} from '../support/catalog.js'
import {testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {down, up} from '../../migrations/2026.12.05T10.00.00.token-created-by.js'

const NAME = '2026.12.05T10.00.00.token-created-by'

describe(`migration ${NAME} (${testDialect})`, () => {
  const scratch = useScratch({per: 'suite', database: 'migration_created_by'})
  let db: Db
  const context = (): MigrationContext => ({queryInterface: db.sequelize.getQueryInterface(), dialect: db.dialect})
  const run = (fn: typeof up) => fn({name: NAME, context: context()})
  const tokenColumns = async () => (await columns(db, 'api_tokens')).map((c: {name: string}) => c.name)
  const tokenIndexes = async () => (await indexes(db, 'api_tokens')).map((i: {name: string}) => i.name).sort()

  before(() => (db = scratch.db))

  it('adds created_by_token_id with its index, and running it again changes nothing', async () => {
    expect(await tokenColumns()).to.include('created_by_token_id')
    expect(await tokenIndexes()).to.include('api_tokens_created_by_token_id')
    const before = await schemaSnapshot(db)
    await run(up)
    expect(await schemaSnapshot(db)).to.deep.equal(before)
  })

  it('finishes a run stopped after the column, before the index', async () => {
    const migrated = await schemaSnapshot(db)
    await db.sequelize.getQueryInterface().removeIndex('api_tokens', 'api_tokens_created_by_token_id')
    expect(await tokenIndexes()).not.to.include('api_tokens_created_by_token_id')
    await run(up)
    expect(await schemaSnapshot(db)).to.deep.equal(migrated)
  })

  it('down removes the column and its index only (twice is fine), and up brings them back the same', async () => {
    const migrated = await schemaSnapshot(db)
    const otherIndexes = (await tokenIndexes()).filter((name) => name !== 'api_tokens_created_by_token_id')
    await run(down)
    await run(down)
    expect(await tokenColumns()).not.to.include('created_by_token_id')
    expect(await tokenIndexes()).to.deep.equal(otherIndexes)
    await run(up)
    expect(await schemaSnapshot(db)).to.deep.equal(migrated)
  })
})
