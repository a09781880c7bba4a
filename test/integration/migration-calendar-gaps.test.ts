/**
 * Issue 14: calendar_gaps and its back-fill. On stays written before it (adjacent, apart,
 * cancelled, blocks, an overlap an older version let in, a property without stays), up fills
 * the gaps the kernel of rules/gaps.ts computes from scratch; running it again fills them
 * again the same; down drops the table.
 */
import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import type {MigrationContext} from '../../src/db/migration-kit.js'
import {gapDisagreements} from '../../src/services/rules/gaps.js'
import {testContext} from '../support/fixtures.js'
import {testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {down, up} from '../../migrations/2026.12.08T10.00.00.create-calendar-gaps.js'

const NAME = '2026.12.08T10.00.00.create-calendar-gaps'
const STAMP = '2026-01-01 00:00:00'

describe(`migration ${NAME} (${testDialect})`, () => {
  const scratch = useScratch({per: 'suite', database: 'migration_gaps'})
  let db: Db
  const context = (): MigrationContext => ({queryInterface: db.sequelize.getQueryInterface(), dialect: db.dialect})
  const run = (fn: typeof up) => fn({name: NAME, context: context()})
  const sql = (text: string) => db.sequelize.query(text)
  const gapCount = async () => Number((await db.sequelize.query<{n: number}>('SELECT COUNT(*) AS n FROM calendar_gaps', {type: QueryTypes.SELECT}))[0].n)

  before(async () => {
    db = scratch.db
    await sql(`INSERT INTO users (id, username, email, password_hash, is_active, is_admin, created_at, updated_at) VALUES (1, 'h', 'h@x.io', '!', 1, 0, '${STAMP}', '${STAMP}'), (2, 'g', 'g@x.io', '!', 1, 0, '${STAMP}', '${STAMP}')`)
    const property = (id: number) => `(${id}, 1, 'P${id}', 'A', 10, 'moderate', '${STAMP}', '${STAMP}')`
    await sql(`INSERT INTO properties (id, owner_id, name, address, price_per_night, cancellation_policy, created_at, updated_at) VALUES ${[1, 2, 3, 4].map(property).join(', ')}`)
    const booking = (p: number, a: string, b: string, status: string) => `(${p}, 2, '${a}', '${b}', '${status}', 10, '${STAMP}', '${STAMP}')`
    await sql(
      `INSERT INTO bookings (property_id, guest_id, start_date, end_date, status, total_price, created_at, updated_at) VALUES ${[
        booking(1, '2027-01-01', '2027-01-05', 'confirmed'),
        booking(1, '2027-01-05', '2027-01-07', 'pending'),
        booking(1, '2027-01-09', '2027-01-20', 'confirmed'),
        booking(1, '2027-01-21', '2027-01-22', 'cancelled'),
        booking(1, '2027-03-01', '2027-03-02', 'confirmed'),
        booking(2, '2027-02-01', '2027-02-10', 'confirmed'),
        booking(2, '2027-02-03', '2027-02-05', 'confirmed'),
        booking(2, '2027-02-07', '2027-02-12', 'confirmed'),
        booking(3, '2027-05-01', '2027-05-04', 'cancelled'),
      ].join(', ')}`,
    )
    await sql(`INSERT INTO blocks (property_id, start_date, end_date, reason, created_at, updated_at) VALUES (1, '2027-01-22', '2027-02-01', '', '${STAMP}', '${STAMP}'), (3, '2027-06-01', '2027-06-30', '', '${STAMP}', '${STAMP}')`)
  })

  it('fills the gaps of the stays there are, as the kernel computes them; again the same when run again', async () => {
    await run(down)
    await run(up)
    expect(await gapDisagreements(testContext(db))).to.deep.equal([])
    // P1: before, 07→09, 20→22 (the cancelled booking holds nothing; the block takes 22→01), 01/02→01/03, after;
    // P2 (overlapping stays, one inside another): before, after; P3 (a cancelled booking, a block): before, after; P4: one.
    expect(await gapCount()).to.equal(5 + 2 + 2 + 1)
    await run(up)
    expect(await gapDisagreements(testContext(db))).to.deep.equal([])
    expect(await gapCount()).to.equal(10)
  })

  it('down drops the table (twice is fine)', async () => {
    await run(down)
    await run(down)
    expect(await db.sequelize.getQueryInterface().tableExists('calendar_gaps')).to.equal(false)
    await run(up)
    expect(await gapDisagreements(testContext(db))).to.deep.equal([])
  })
})
