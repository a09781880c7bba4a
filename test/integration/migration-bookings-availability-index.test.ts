/**
 * Issue 14: the index of the availability search. It is safe to run again, its down removes
 * it alone (twice is fine), and up brings the schema back the same.
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import type {MigrationContext} from '../../src/db/migration-kit.js'
import {indexes, schemaSnapshot} from '../support/catalog.js'
import {testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {down, up} from '../../migrations/2026.12.06T12.00.00.bookings-availability-index.js'

const NAME = '2026.12.06T12.00.00.bookings-availability-index'
const INDEX = 'bookings_property_end_dates'

describe(`migration ${NAME} (${testDialect})`, () => {
  const scratch = useScratch({per: 'suite', database: 'migration_availability'})
  let db: Db
  const context = (): MigrationContext => ({queryInterface: db.sequelize.getQueryInterface(), dialect: db.dialect})
  const run = (fn: typeof up) => fn({name: NAME, context: context()})
  const bookingIndexes = async () => (await indexes(db, 'bookings')).sort((a, b) => a.name.localeCompare(b.name))

  before(() => (db = scratch.db))

  it('indexes bookings on (property_id, end_date, start_date, status), and running it again changes nothing', async () => {
    expect(await bookingIndexes()).to.deep.include({name: INDEX, unique: false, columns: ['property_id', 'end_date', 'start_date', 'status']})
    const before = await schemaSnapshot(db)
    await run(up)
    expect(await schemaSnapshot(db)).to.deep.equal(before)
  })

  it('down removes that index only (twice is fine), and up brings it back the same', async () => {
    const migrated = await schemaSnapshot(db)
    const others = (await bookingIndexes()).filter((index) => index.name !== INDEX)
    await run(down)
    await run(down)
    expect(await bookingIndexes()).to.deep.equal(others)
    await run(up)
    expect(await schemaSnapshot(db)).to.deep.equal(migrated)
  })
})
