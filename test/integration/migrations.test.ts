/**
 * The migrations, proved against the real catalogue of the database under test (SQLite by
 * default, MariaDB/MySQL with STAYCTL_TEST_DATABASE_URL): the schema they build, what the
 * database then refuses, rollback, dry run, status and checksums, a sequelize-cli
 * SequelizeMeta kept as it is, reset, a failing migration, and the scaffold of a new one.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'
import {QueryTypes} from 'sequelize'
import ts from 'typescript'

import {openDb, type Db} from '../../src/db/index.js'
import {discoverFiles} from '../../src/db/migrator.js'
import {StayctlError} from '../../src/errors.js'
import {
  migrate,
  migrationTimestamp,
  newMigration,
  reset,
  rollback,
  status,
  type DryRunMigrateResult,
  type MigrateResult,
} from '../../src/services/schema.js'
import {root} from '../support/cli.js'
import {columns, foreignKeys, indexes, checks, metaRows, primaryKeyColumns, schemaSnapshot, tableNames} from '../support/catalog.js'
import {freshDatabase, testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const MIGRATIONS = discoverFiles('migrations').map((f) => f.name)
const TABLES = ['api_tokens', 'audit_events', 'blocks', 'bookings', 'calendar_feeds', 'calendar_gaps', 'calendar_tokens', 'import_checkpoints', 'import_rejections', 'login_attempts', 'payments', 'properties', 'reviews', 'users']

/** What ARCHITECTURE.md promises, table by table. */
const FOREIGN_KEYS: Record<string, [column: string, references: string, onDelete: string][]> = {
  users: [],
  properties: [['owner_id', 'users', 'RESTRICT']],
  bookings: [
    ['guest_id', 'users', 'RESTRICT'],
    ['property_id', 'properties', 'RESTRICT'],
  ],
  reviews: [
    ['property_id', 'properties', 'RESTRICT'],
    ['reviewer_id', 'users', 'RESTRICT'],
  ],
  payments: [
    ['booking_id', 'bookings', 'RESTRICT'],
    ['refund_of_id', 'payments', 'RESTRICT'],
  ],
  api_tokens: [['user_id', 'users', 'CASCADE']],
  blocks: [
    ['created_by_id', 'users', 'SET NULL'],
    ['property_id', 'properties', 'CASCADE'],
  ],
  calendar_feeds: [
    ['created_by_id', 'users', 'SET NULL'],
    ['property_id', 'properties', 'CASCADE'],
  ],
  calendar_tokens: [
    ['created_by_id', 'users', 'SET NULL'],
    ['property_id', 'properties', 'CASCADE'],
  ],
  calendar_gaps: [['property_id', 'properties', 'CASCADE']],
  audit_events: [],
  import_checkpoints: [],
  import_rejections: [],
  login_attempts: [['user_id', 'users', 'CASCADE']],
}

const UNIQUE_KEYS: Record<string, string[][]> = {
  users: [['email'], ['username']],
  properties: [],
  bookings: [['external_ref']],
  reviews: [['property_id', 'reviewer_id']],
  payments: [['idempotency_key'], ['transaction_id']],
  api_tokens: [['token_hash']],
  blocks: [['property_id', 'source_key']],
  calendar_feeds: [['property_id', 'url_hash']],
  calendar_tokens: [['token_hash']],
  calendar_gaps: [],
  audit_events: [],
  import_checkpoints: [],
  import_rejections: [],
  login_attempts: [['subject']],
}

const CHECKS: Record<string, string[]> = {
  users: [],
  properties: ['properties_cancellation_policy_known', 'properties_price_positive'],
  bookings: ['bookings_charged_within_total', 'bookings_dates_ordered', 'bookings_status_known', 'bookings_total_not_negative'],
  reviews: ['reviews_rating_range'],
  payments: ['payments_amount_positive', 'payments_kind_known', 'payments_refund_has_charge', 'payments_refunded_within_amount', 'payments_status_known'],
  api_tokens: [],
  blocks: ['blocks_dates_ordered'],
  calendar_feeds: [],
  calendar_tokens: [],
  calendar_gaps: [],
  audit_events: ['audit_events_via_known'],
  import_checkpoints: [],
  import_rejections: [],
  login_attempts: ['login_attempts_failures_not_negative'],
}

const MONEY: [table: string, column: string][] = [
  ['properties', 'price_per_night'],
  ['bookings', 'total_price'],
  ['payments', 'amount'],
]

const STAMP = '2026-01-01 00:00:00'

/** Inserts one row with plain SQL (timestamps filled in) and returns its id. */
async function insert(db: Db, table: string, row: Record<string, unknown>): Promise<number> {
  const values = table === 'audit_events' ? row : {created_at: STAMP, updated_at: STAMP, ...row}
  const qi = db.sequelize.getQueryInterface()
  const names = Object.keys(values)
  const [id] = await db.sequelize.query(
    `INSERT INTO ${qi.quoteIdentifier(table)} (${names.map((n) => qi.quoteIdentifier(n)).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    {type: QueryTypes.INSERT, replacements: Object.values(values)},
  )
  return Number(id)
}

/** The error the database raised for a statement that should fail, with the driver's own message. */
async function rejection(promise: Promise<unknown>): Promise<{name: string; message: string}> {
  try {
    await promise
  } catch (error) {
    const e = error as Error & {original?: Error; parent?: Error}
    return {name: e.name, message: (e.original ?? e.parent ?? e).message}
  }
  return expect.fail('the database accepted a row it should have rejected')
}

async function count(db: Db, table: string): Promise<number> {
  const [row] = await db.sequelize.query<{n: number | string}>(
    `SELECT COUNT(*) AS n FROM ${db.sequelize.getQueryInterface().quoteIdentifier(table)}`,
    {type: QueryTypes.SELECT},
  )
  return Number(row.n)
}

async function appliedNames(db: Db): Promise<string[]> {
  return (await metaRows(db)).map((row) => String(row.name))
}

async function caught(promise: Promise<unknown>): Promise<StayctlError> {
  try {
    await promise
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(StayctlError)
    return error as StayctlError
  }
  return expect.fail('expected an error')
}

/** A fresh, empty database, opened; closed and dropped after the surrounding describe. */
function useFreshDatabase(label: string): {db: () => Db; database: () => TestDatabase} {
  const scratch = useScratch({per: 'suite', database: label, empty: true})
  return {db: () => scratch.db, database: () => scratch.database}
}

describe(`migrations (${testDialect})`, function () {
  it('finds the migrations, in order: the seven tables of ARCHITECTURE.md first', () => {
    expect(MIGRATIONS.slice(0, 7).map((name) => name.replace(/^[\d.T]+\./, ''))).to.deep.equal([
      'create-users',
      'create-properties',
      'create-bookings',
      'create-reviews',
      'create-payments',
      'create-api-tokens',
      'create-audit-events',
    ])
    expect(MIGRATIONS).to.include('2026.11.21T10.00.07.create-import-checkpoints')
    expect([...MIGRATIONS].sort()).to.deep.equal(MIGRATIONS)
  })

  describe('the migrated schema', () => {
    const {db} = useFreshDatabase('schema')

    before(async () => {
      const result = (await migrate(db(), {})) as MigrateResult
      expect(result.applied.map((m) => m.name)).to.deep.equal(MIGRATIONS)
    })

    it('has every table and SequelizeMeta, which lists every migration once', async () => {
      expect(await tableNames(db())).to.deep.equal([...TABLES, 'SequelizeMeta'].sort())
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS)
    })

    for (const table of TABLES) {
      it(`${table}: foreign keys, unique keys and checks`, async () => {
        const fks = await foreignKeys(db(), table)
        expect(fks.map((fk) => [fk.column, fk.referencedTable, fk.onDelete])).to.deep.equal(FOREIGN_KEYS[table])
        for (const fk of fks) {
          expect(fk.referencedColumn, `${table}.${fk.column}`).to.equal('id')
          expect(fk.onUpdate, `${table}.${fk.column}`).to.equal('RESTRICT')
        }
        const unique = (await indexes(db(), table)).filter((i) => i.unique).map((i) => i.columns)
        expect(unique.sort()).to.deep.equal(UNIQUE_KEYS[table])
        expect(await checks(db(), table)).to.deep.equal(CHECKS[table])
      })
    }

    it('indexes every foreign key column (as the leading column of an index of its own, or of a composite primary key)', async () => {
      for (const table of TABLES) {
        const tableIndexes = await indexes(db(), table)
        const primary = await primaryKeyColumns(db(), table)
        if (primary.length > 1) tableIndexes.push({name: `${table}_primary`, unique: true, columns: primary})
        // InnoDB invents an index for an unindexed foreign key; ours are all named <table>_…
        for (const index of tableIndexes) expect(index.name, `index on ${table}`).to.match(new RegExp(`^${table}_`))
        for (const fk of await foreignKeys(db(), table)) {
          const leading = tableIndexes.filter((i) => i.columns[0] === fk.column)
          expect(leading, `no index leads with ${table}.${fk.column}`).to.not.be.empty
        }
      }
    })

    it('indexes the lookups: availability of a property, bookings of a guest, payments of a booking', async () => {
      const bookings = (await indexes(db(), 'bookings')).map((i) => i.columns)
      expect(bookings).to.deep.include(['property_id', 'start_date', 'end_date'])
      expect(bookings).to.deep.include(['guest_id', 'start_date'])
      const payments = (await indexes(db(), 'payments')).map((i) => i.columns)
      expect(payments.some((columns) => columns[0] === 'booking_id')).to.equal(true)
    })

    it('declares money as DECIMAL, and no column as a floating-point type', async () => {
      for (const [table, column] of MONEY) {
        const info = (await columns(db(), table)).find((c) => c.name === column)
        expect(info?.type, `${table}.${column}`).to.match(/^decimal\(\d+,2\)$/)
      }
      for (const table of TABLES) {
        for (const column of await columns(db(), table)) {
          expect(column.type, `${table}.${column.name}`).to.not.match(/float|double|real/)
        }
      }
    })

    it('creates InnoDB tables in utf8mb4 (MySQL)', async function () {
      if (db().dialect !== 'mysql') this.skip()
      const tables = await db().sequelize.query<{name: string; engine: string; collation: string}>(
        `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
        {type: QueryTypes.SELECT, replacements: [TABLES]},
      )
      expect(tables).to.have.length(TABLES.length)
      for (const table of tables) {
        expect(table.engine, table.name).to.equal('InnoDB')
        expect(table.collation, table.name).to.match(/^utf8mb4_/)
      }
      const charsets = await db().sequelize.query<{charset: string}>(
        `SELECT DISTINCT CHARACTER_SET_NAME AS charset FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) AND CHARACTER_SET_NAME IS NOT NULL`,
        {type: QueryTypes.SELECT, replacements: [TABLES]},
      )
      expect(charsets.map((c) => c.charset)).to.deep.equal(['utf8mb4'])
    })

    describe('the database enforces', () => {
      let owner: number
      let guest: number
      let property: number
      let booking: number
      let charge: number
      let n = 0
      const unique = (prefix: string) => `${prefix}${++n}`
      const user = (name = unique('user')) => ({username: name, email: `${name}@example.com`, password_hash: 'x'})
      const propertyRow = (extra: Record<string, unknown> = {}) => ({
        owner_id: owner,
        name: 'Cabin',
        address: '1 Lake Road',
        price_per_night: '120.00',
        ...extra,
      })
      const bookingRow = (extra: Record<string, unknown> = {}) => ({
        property_id: property,
        guest_id: guest,
        start_date: '2026-12-01',
        end_date: '2026-12-05',
        status: 'confirmed',
        total_price: '480.00',
        ...extra,
      })
      const reviewRow = (extra: Record<string, unknown> = {}) => ({property_id: property, reviewer_id: guest, rating: 4, ...extra})
      const paymentRow = (extra: Record<string, unknown> = {}) => ({
        booking_id: booking,
        amount: '480.00',
        payment_date: STAMP,
        status: 'completed',
        transaction_id: unique('tx-'),
        kind: 'charge',
        ...extra,
      })

      before(async () => {
        owner = await insert(db(), 'users', user('owner'))
        guest = await insert(db(), 'users', user('guest'))
        property = await insert(db(), 'properties', propertyRow())
        booking = await insert(db(), 'bookings', bookingRow())
        charge = await insert(db(), 'payments', paymentRow())
      })

      it('unique usernames, regardless of case', async () => {
        await insert(db(), 'users', {username: 'Alice', email: 'alice1@example.com', password_hash: 'x'})
        for (const username of ['Alice', 'alice', 'ALICE']) {
          const error = await rejection(insert(db(), 'users', {username, email: unique('a') + '@example.com', password_hash: 'x'}))
          expect(error.name, username).to.equal('SequelizeUniqueConstraintError')
          expect(error.message).to.match(/users_username_unique|users\.username/)
        }
      })

      it('unique e-mail addresses, regardless of case', async () => {
        await insert(db(), 'users', {username: unique('bob'), email: 'bob@example.com', password_hash: 'x'})
        for (const email of ['bob@example.com', 'Bob@Example.com']) {
          const error = await rejection(insert(db(), 'users', {username: unique('bob'), email, password_hash: 'x'}))
          expect(error.name, email).to.equal('SequelizeUniqueConstraintError')
          expect(error.message).to.match(/users_email_unique|users\.email/)
        }
      })

      it('price_per_night > 0', async () => {
        await insert(db(), 'properties', propertyRow({price_per_night: '0.01'}))
        for (const price of ['0', '-5.00']) {
          const error = await rejection(insert(db(), 'properties', propertyRow({price_per_night: price})))
          expect(error.message, price).to.include('properties_price_positive')
        }
      })

      it('a known cancellation policy', async () => {
        await insert(db(), 'properties', propertyRow({cancellation_policy: 'strict'}))
        const error = await rejection(insert(db(), 'properties', propertyRow({cancellation_policy: 'lenient'})))
        expect(error.message).to.include('properties_cancellation_policy_known')
      })

      it('end_date > start_date', async () => {
        await insert(db(), 'bookings', bookingRow({start_date: '2027-01-01', end_date: '2027-01-02'}))
        for (const end of ['2027-02-01', '2027-01-31']) {
          const error = await rejection(insert(db(), 'bookings', bookingRow({start_date: '2027-02-01', end_date: end})))
          expect(error.message, end).to.include('bookings_dates_ordered')
        }
      })

      it('booking status in (pending, confirmed, cancelled)', async () => {
        for (const status of ['pending', 'confirmed', 'cancelled']) await insert(db(), 'bookings', bookingRow({status}))
        // Not 'Confirmed': MySQL compares with the column's case-insensitive collation, and accepts it.
        for (const status of ['done', 'confirm', '']) {
          const error = await rejection(insert(db(), 'bookings', bookingRow({status})))
          expect(error.message, status).to.include('bookings_status_known')
        }
      })

      it('rating from 1 to 5, and one review per property and reviewer', async () => {
        const reviewers = await Promise.all([1, 2, 3].map(() => insert(db(), 'users', user())))
        await insert(db(), 'reviews', reviewRow({reviewer_id: reviewers[0], rating: 1}))
        await insert(db(), 'reviews', reviewRow({reviewer_id: reviewers[1], rating: 5}))
        for (const rating of [0, 6, -1]) {
          const error = await rejection(insert(db(), 'reviews', reviewRow({reviewer_id: reviewers[2], rating})))
          expect(error.message, String(rating)).to.include('reviews_rating_range')
        }
        const duplicate = await rejection(insert(db(), 'reviews', reviewRow({reviewer_id: reviewers[0], rating: 3})))
        expect(duplicate.name).to.equal('SequelizeUniqueConstraintError')
      })

      it('amount > 0', async () => {
        await insert(db(), 'payments', paymentRow({amount: '0.01'}))
        for (const amount of ['0', '-10.00']) {
          const error = await rejection(insert(db(), 'payments', paymentRow({amount})))
          expect(error.message, amount).to.include('payments_amount_positive')
        }
      })

      it('a refund names its charge, and a charge names none', async () => {
        await insert(db(), 'payments', paymentRow({kind: 'refund', refund_of_id: charge, amount: '10.00'}))
        const orphan = await rejection(insert(db(), 'payments', paymentRow({kind: 'refund', refund_of_id: null})))
        expect(orphan.message).to.include('payments_refund_has_charge')
        const chargeOfCharge = await rejection(insert(db(), 'payments', paymentRow({kind: 'charge', refund_of_id: charge})))
        expect(chargeOfCharge.message).to.include('payments_refund_has_charge')
        const kind = await rejection(insert(db(), 'payments', paymentRow({kind: 'payout'})))
        expect(kind.message).to.include('payments_kind_known')
      })

      it('the guarded totals: a booking charged within its total, a charge refunded within its amount, a refund holding none', async () => {
        const booking = await insert(db(), 'bookings', bookingRow({total_price: '100.00', charged_amount: '100.00'}))
        for (const charged of ['100.01', '-1.00']) {
          const error = await rejection(insert(db(), 'bookings', bookingRow({total_price: '100.00', charged_amount: charged})))
          expect(error.message, charged).to.include('bookings_charged_within_total')
        }
        const over = await rejection(db().sequelize.query("UPDATE bookings SET total_price = '99.99' WHERE id = ?", {replacements: [booking]}))
        expect(over.message).to.include('bookings_charged_within_total')
        await insert(db(), 'payments', paymentRow({amount: '50.00', refunded_amount: '50.00'}))
        for (const refunded of ['50.01', '-0.01']) {
          const error = await rejection(insert(db(), 'payments', paymentRow({amount: '50.00', refunded_amount: refunded})))
          expect(error.message, refunded).to.include('payments_refunded_within_amount')
        }
        const onRefund = await rejection(insert(db(), 'payments', paymentRow({kind: 'refund', refund_of_id: charge, amount: '10.00', refunded_amount: '1.00'})))
        expect(onRefund.message).to.include('payments_refunded_within_amount')
      })

      it('unique transaction ids and idempotency keys (several charges may have none)', async () => {
        await insert(db(), 'payments', paymentRow({transaction_id: 'tx-unique'}))
        expect((await rejection(insert(db(), 'payments', paymentRow({transaction_id: 'tx-unique'})))).name).to.equal(
          'SequelizeUniqueConstraintError',
        )
        await insert(db(), 'payments', paymentRow({idempotency_key: 'key-1'}))
        expect((await rejection(insert(db(), 'payments', paymentRow({idempotency_key: 'key-1'})))).name).to.equal(
          'SequelizeUniqueConstraintError',
        )
        await insert(db(), 'payments', paymentRow({idempotency_key: null}))
        await insert(db(), 'payments', paymentRow({idempotency_key: null}))
      })

      it('foreign keys: no row may point at nothing', async () => {
        const missing = 999_999
        const cases: [string, Record<string, unknown>][] = [
          ['properties', propertyRow({owner_id: missing})],
          ['bookings', bookingRow({property_id: missing})],
          ['bookings', bookingRow({guest_id: missing})],
          ['reviews', reviewRow({property_id: missing})],
          ['payments', paymentRow({booking_id: missing})],
          ['payments', paymentRow({kind: 'refund', refund_of_id: missing})],
          ['api_tokens', {user_id: missing, name: 'ci', token_hash: unique('hash')}],
        ]
        for (const [table, row] of cases) {
          const error = await rejection(insert(db(), table, row))
          expect(error.name, `${table} ${JSON.stringify(row)}`).to.equal('SequelizeForeignKeyConstraintError')
        }
      })

      it('foreign keys: a referenced user cannot be deleted; their API tokens go with them', async () => {
        const error = await rejection(db().sequelize.query('DELETE FROM users WHERE id = ?', {replacements: [owner]}))
        expect(error.name).to.equal('SequelizeForeignKeyConstraintError')
        const leaving = await insert(db(), 'users', user())
        await insert(db(), 'api_tokens', {user_id: leaving, name: 'laptop', token_hash: unique('hash')})
        await db().sequelize.query('DELETE FROM users WHERE id = ?', {replacements: [leaving]})
        const [row] = await db().sequelize.query<{n: number}>('SELECT COUNT(*) AS n FROM api_tokens WHERE user_id = ?', {
          type: QueryTypes.SELECT,
          replacements: [leaving],
        })
        expect(Number(row.n)).to.equal(0)
      })

      it('a unique token hash', async () => {
        await insert(db(), 'api_tokens', {user_id: guest, name: 'a', token_hash: 'same-hash'})
        const error = await rejection(insert(db(), 'api_tokens', {user_id: owner, name: 'b', token_hash: 'same-hash'}))
        expect(error.name).to.equal('SequelizeUniqueConstraintError')
      })
    })
  })

  describe('rollback', () => {
    const {db} = useFreshDatabase('rollback')
    let migratedSchema: Awaited<ReturnType<typeof schemaSnapshot>>

    it('--all removes every table but SequelizeMeta, which is left empty', async () => {
      await migrate(db(), {})
      migratedSchema = await schemaSnapshot(db())
      const result = await rollback(db(), {all: true})
      expect(result.reverted.map((m) => m.name)).to.deep.equal([...MIGRATIONS].reverse())
      expect(await tableNames(db())).to.deep.equal(['SequelizeMeta'])
      expect(await count(db(), 'SequelizeMeta')).to.equal(0)
    })

    it('migrate again builds the same schema', async () => {
      const result = (await migrate(db(), {})) as MigrateResult
      expect(result.applied).to.have.length(MIGRATIONS.length)
      expect(await schemaSnapshot(db())).to.deep.equal(migratedSchema)
    })

    it('reverts what came after the seven tables of ARCHITECTURE.md, leaving those', async () => {
      const result = await rollback(db(), {to: MIGRATIONS[7]})
      expect(result.reverted.map((m) => m.name)).to.deep.equal(MIGRATIONS.slice(7).reverse())
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS.slice(0, 7))
    })

    it('without options reverts the last migration only', async () => {
      const result = await rollback(db(), {})
      expect(result.reverted.map((m) => m.name)).to.deep.equal([MIGRATIONS[6]])
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS.slice(0, 6))
      expect(await tableNames(db())).to.not.include('audit_events')
      expect(await tableNames(db())).to.include('api_tokens')
    })

    it('--step 2 reverts the last two', async () => {
      const result = await rollback(db(), {step: 2})
      expect(result.reverted.map((m) => m.name)).to.deep.equal([MIGRATIONS[5], MIGRATIONS[4]])
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS.slice(0, 4))
      expect(await tableNames(db())).to.deep.equal(['SequelizeMeta', 'bookings', 'properties', 'reviews', 'users'])
    })

    it('--to NAME reverts down to and including NAME', async () => {
      const result = await rollback(db(), {to: MIGRATIONS[2]})
      expect(result.reverted.map((m) => m.name)).to.deep.equal([MIGRATIONS[3], MIGRATIONS[2]])
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS.slice(0, 2))
      expect(await tableNames(db())).to.deep.equal(['SequelizeMeta', 'properties', 'users'])
    })

    it('--to a migration that is not applied is a conflict, an unknown name is not found; nothing changes', async () => {
      const before = await schemaSnapshot(db())
      expect((await caught(rollback(db(), {to: MIGRATIONS[4]}))).kind).to.equal('CONFLICT')
      expect((await caught(rollback(db(), {to: '2026.01.01T00.00.00.no-such-thing'}))).kind).to.equal('NOT_FOUND')
      expect((await caught(rollback(db(), {step: 0}))).kind).to.equal('VALIDATION')
      expect(await schemaSnapshot(db())).to.deep.equal(before)
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS.slice(0, 2))
    })

    it('migrate --to an unknown name is not found; --to an applied one is up to date', async () => {
      expect((await caught(migrate(db(), {to: 'nope'}))).kind).to.equal('NOT_FOUND')
      const result = (await migrate(db(), {to: MIGRATIONS[0]})) as MigrateResult
      expect(result).to.include({upToDate: true})
      expect(result.applied).to.deep.equal([])
    })
  })

  describe('dry run', () => {
    const {db} = useFreshDatabase('dryrun')

    async function state() {
      return {tables: await tableNames(db()), meta: await metaRows(db()), schema: await schemaSnapshot(db())}
    }

    it('from empty: the SQL of every migration, and the database untouched', async () => {
      const before = await state()
      const result = (await migrate(db(), {dryRun: true})) as DryRunMigrateResult
      expect(result.dryRun).to.equal(true)
      expect(result.pending.map((m) => m.name)).to.deep.equal(MIGRATIONS)
      for (const [i, table] of ['users', 'properties', 'bookings', 'reviews', 'payments', 'api_tokens', 'audit_events'].entries()) {
        const sql = result.pending[i].statements.join('\n')
        expect(sql, MIGRATIONS[i]).to.match(new RegExp(`CREATE TABLE (IF NOT EXISTS )?\`${table}\``))
        for (const statement of result.pending[i].statements) expect(statement).to.match(/;$/)
      }
      expect(result.pending[2].statements.join('\n')).to.include('bookings_property_dates')
      expect(await state()).to.deep.equal(before)
    })

    it('from half-migrated: only the pending migrations, and the database untouched', async () => {
      await migrate(db(), {to: MIGRATIONS[2]})
      const before = await state()
      expect(before.meta.map((row) => row.name)).to.deep.equal(MIGRATIONS.slice(0, 3))
      const result = (await migrate(db(), {dryRun: true})) as DryRunMigrateResult
      expect(result.pending.map((m) => m.name)).to.deep.equal(MIGRATIONS.slice(3))
      const sql = result.pending.flatMap((m) => m.statements).join('\n')
      expect(sql).to.not.match(/CREATE TABLE (IF NOT EXISTS )?`users`/)
      expect(sql).to.match(/CREATE TABLE (IF NOT EXISTS )?`reviews`/)
      expect(await state()).to.deep.equal(before)
    })

    it('--to stops at the named migration; --to an applied one has nothing to show', async () => {
      const result = (await migrate(db(), {dryRun: true, to: MIGRATIONS[4]})) as DryRunMigrateResult
      expect(result.pending.map((m) => m.name)).to.deep.equal(MIGRATIONS.slice(3, 5))
      const applied = (await migrate(db(), {dryRun: true, to: MIGRATIONS[1]})) as DryRunMigrateResult
      expect(applied.pending).to.deep.equal([])
    })

    it('when up to date, nothing', async () => {
      await migrate(db(), {})
      const result = (await migrate(db(), {dryRun: true})) as DryRunMigrateResult
      expect(result.pending).to.deep.equal([])
    })
  })

  describe('status', () => {
    const {db} = useFreshDatabase('status')

    it('counts pending and applied migrations', async () => {
      const empty = await status(db(), 'test')
      expect(empty.database).to.deep.equal({url: db().target.display, dialect: testDialect, source: 'test'})
      expect(empty.pendingMigrations).to.equal(MIGRATIONS.length)
      expect(empty.migrations.map((m) => [m.name, m.state])).to.deep.equal(MIGRATIONS.map((name) => [name, 'pending']))
      expect(empty.warnings).to.deep.equal([])

      await migrate(db(), {to: MIGRATIONS[2]})
      const half = await status(db(), 'test')
      expect(half.pendingMigrations).to.equal(MIGRATIONS.length - 3)
      expect(half.migrations.map((m) => m.state)).to.deep.equal([...Array(3).fill('applied'), ...Array(MIGRATIONS.length - 3).fill('pending')])
      for (const m of half.migrations.slice(0, 3)) expect(Date.parse(m.appliedAt!), m.name).to.be.closeTo(Date.now(), 60_000)
      for (const m of half.migrations.slice(3)) expect(m.appliedAt).to.equal(null)

      await migrate(db(), {})
      const done = await status(db(), 'test')
      expect(done.pendingMigrations).to.equal(0)
      expect(done.migrations.every((m) => m.state === 'applied' && !m.edited)).to.equal(true)
      expect(done.warnings).to.deep.equal([])
    })

    it('reports a migration whose file changed after it was applied as edited, with a warning', async () => {
      const target = MIGRATIONS[1]
      await db().sequelize.query("UPDATE SequelizeMeta SET checksum = 'deadbeef' WHERE name = ?", {replacements: [target]})
      const result = await status(db(), 'test')
      expect(result.migrations.filter((m) => m.edited).map((m) => m.name)).to.deep.equal([target])
      expect(result.warnings).to.have.length(1)
      expect(result.warnings[0]).to.include(target).and.to.include('edited')
      expect(result.pendingMigrations).to.equal(0)
    })

    it('reports an applied migration with no file as missing-file, with a warning; migrate still works', async () => {
      await db().sequelize.query('INSERT INTO SequelizeMeta (name) VALUES (?)', {replacements: ['20200101000000-old.js']})
      await rollback(db(), {})
      const result = await status(db(), 'test')
      const old = result.migrations.find((m) => m.name === '20200101000000-old.js')
      expect(old).to.include({state: 'missing-file', edited: false})
      expect(result.warnings.some((w) => w.includes('20200101000000-old.js') && w.includes('no file'))).to.equal(true)
      expect(result.pendingMigrations).to.equal(1)

      const migrated = (await migrate(db(), {})) as MigrateResult
      expect(migrated.applied.map((m) => m.name)).to.deep.equal([MIGRATIONS.at(-1)])
      expect(await appliedNames(db())).to.deep.equal(['20200101000000-old.js', ...MIGRATIONS].sort())
    })
  })

  describe('a database with sequelize-cli\'s table: its rows kept, no history shared', () => {
    const {db} = useFreshDatabase('adopt')

    before(async () => {
      // The table as sequelize-cli creates it: nothing but the name.
      await db().sequelize.query(
        db().dialect === 'mysql'
          ? 'CREATE TABLE `SequelizeMeta` (`name` VARCHAR(255) COLLATE utf8mb3_unicode_ci NOT NULL UNIQUE, PRIMARY KEY (`name`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_unicode_ci'
          : 'CREATE TABLE `SequelizeMeta` (`name` VARCHAR(255) NOT NULL UNIQUE PRIMARY KEY)',
      )
      await db().sequelize.query("INSERT INTO SequelizeMeta (name) VALUES ('20200101000000-old.js')")
    })

    it('status reads the old table as it is', async () => {
      const result = await status(db(), 'test')
      expect(result.pendingMigrations).to.equal(MIGRATIONS.length)
      expect(result.migrations.filter((m) => m.state === 'missing-file').map((m) => m.name)).to.deep.equal([
        '20200101000000-old.js',
      ])
    })

    it('migrate adds our columns and keeps the old row', async () => {
      const result = (await migrate(db(), {})) as MigrateResult
      expect(result.applied).to.have.length(MIGRATIONS.length)
      const metaColumns = (await columns(db(), 'SequelizeMeta')).map((c) => c.name)
      expect(metaColumns).to.include.members(['name', 'checksum', 'applied_at', 'details'])
      const rows = await metaRows(db())
      expect(rows.map((row) => row.name)).to.deep.equal(['20200101000000-old.js', ...MIGRATIONS].sort())
      expect(rows.find((row) => row.name === '20200101000000-old.js')).to.include({checksum: null})
      const checksums = Object.fromEntries(discoverFiles('migrations').map((f) => [f.name, f.checksum]))
      for (const row of rows.filter((r) => r.name !== '20200101000000-old.js')) {
        expect(row.checksum, String(row.name)).to.equal(checksums[String(row.name)])
      }
      const after = await status(db(), 'test')
      expect(after.pendingMigrations).to.equal(0)
      expect(after.migrations.filter((m) => m.edited)).to.deep.equal([])
    })

    it('rollback --all refuses while rows without files are applied, and changes nothing', async () => {
      const error = await caught(rollback(db(), {all: true}))
      expect(error.kind).to.equal('CONFLICT')
      expect(error.message).to.include('20200101000000-old.js')
      expect(await tableNames(db())).to.deep.equal([...TABLES, 'SequelizeMeta'].sort())
    })
  })

  describe('reset', () => {
    const {db} = useFreshDatabase('reset')

    it('drops every table, strays included, and migrates again', async () => {
      await migrate(db(), {})
      const migratedSchema = await schemaSnapshot(db())
      await insert(db(), 'users', {username: 'kept?', email: 'kept@example.com', password_hash: 'x'})
      await db().sequelize.query(
        'CREATE TABLE stray_notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id))',
      )
      await db().sequelize.query('INSERT INTO stray_notes (id, user_id) SELECT 1, id FROM users')

      const result = await reset(db())
      expect([...result.dropped].sort()).to.deep.equal([...TABLES, 'SequelizeMeta', 'stray_notes'].sort())
      expect(result.applied.map((m) => m.name)).to.deep.equal(MIGRATIONS)
      expect(await tableNames(db())).to.deep.equal([...TABLES, 'SequelizeMeta'].sort())
      expect(await count(db(), 'users')).to.equal(0)
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS)
      expect(await schemaSnapshot(db())).to.deep.equal(migratedSchema)
    })
  })

  describe('runs interrupted by a runner that died (MySQL)', () => {
    const {db} = useFreshDatabase('interrupted')
    // The migration a runner dies in: the last one applied once the migrations after it are rolled back.
    const last = '2026.11.22T10.00.00.create-login-attempts'
    const later = MIGRATIONS.slice(MIGRATIONS.indexOf(last) + 1)
    const revertLater = async () => {
      if (later.length > 0) await rollback(db(), {to: later[0]})
    }
    let clean: Awaited<ReturnType<typeof schemaSnapshot>>
    /** What a dead runner leaves in the lease row: the migration it was running, and no holder. */
    const diedDuring = (direction: 'up' | 'down') =>
      db().sequelize.query(
        "UPDATE stayctl_leases SET holder = NULL, expires_at = NULL, step = ?, step_direction = ?, step_started_at = UTC_TIMESTAMP(3), step_by = 'pid 1 on host gone (db migrate)'",
        {replacements: [last, direction]},
      )

    before(async function () {
      if (db().dialect !== 'mysql') this.skip()
      await migrate(db(), {})
      clean = await schemaSnapshot(db())
    })

    it('a rollback that died half-way: status says so, and migrate applies that migration again', async () => {
      await revertLater()
      await db().sequelize.query('DROP TABLE login_attempts')
      await diedDuring('down')
      const before = await status(db(), 'test')
      expect(before.warnings).to.have.length(1)
      expect(before.warnings[0]).to.match(new RegExp(`^reverting migration ${last.replace(/\./g, '\\.')} was interrupted at .* \\(by pid 1 on host gone \\(db migrate\\)\\)`))
      const result = (await migrate(db(), {})) as MigrateResult
      expect(result.applied.map((m) => m.name)).to.deep.equal([last, ...later])
      expect(await schemaSnapshot(db())).to.deep.equal(clean)
      expect((await status(db(), 'test')).warnings).to.deep.equal([])
    })

    it('a migrate that died half-way: rollback first reverts what it did, then rolls back as asked', async () => {
      await revertLater()
      await rollback(db(), {})
      // The dead runner had made the table, and not yet its indexes, nor recorded it.
      await db().sequelize.query('CREATE TABLE login_attempts (id INTEGER PRIMARY KEY)')
      await diedDuring('up')
      expect((await status(db(), 'test')).migrations.find((m) => m.name === last)?.state).to.equal('interrupted')
      const result = await rollback(db(), {})
      const before = MIGRATIONS[MIGRATIONS.indexOf(last) - 1]
      expect(result.reverted.map((m) => m.name)).to.deep.equal([last, before])
      expect(await tableNames(db())).to.not.include('login_attempts')
      expect(await appliedNames(db())).to.deep.equal(MIGRATIONS.slice(0, MIGRATIONS.indexOf(before)))
      await migrate(db(), {})
      expect(await schemaSnapshot(db())).to.deep.equal(clean)
    })
  })

  describe('concurrent runners in one process', () => {
    const {database} = useFreshDatabase('concurrent')

    it('apply each migration once; the others find the database up to date', async () => {
      const handles = await Promise.all([1, 2, 3].map(() => openDb(database().target)))
      try {
        const results = (await Promise.all(handles.map((handle) => migrate(handle, {})))) as MigrateResult[]
        expect(results.filter((r) => !r.upToDate)).to.have.length(1)
        expect(results.flatMap((r) => r.applied.map((m) => m.name)).sort()).to.deep.equal(MIGRATIONS)
        expect(await appliedNames(handles[0])).to.deep.equal(MIGRATIONS)
      } finally {
        await Promise.all(handles.map((handle) => handle.close()))
      }
    })
  })

  describe('a migration that fails', () => {
    const {db} = useFreshDatabase('failing')

    it('is reported in one line naming the migration and the database message, and is not recorded', async () => {
      // A users table without the columns the first migration indexes: CREATE TABLE IF NOT
      // EXISTS skips it, and the unique index on username then fails in the database.
      await db().sequelize.query('CREATE TABLE users (id INTEGER PRIMARY KEY)')
      const error = await caught(migrate(db(), {}))
      expect(error.exitCode).to.equal(1)
      expect(error.message).to.include(MIGRATIONS[0]).and.to.match(/username/)
      expect(error.message).to.not.include('\n').and.to.not.include('Original error')
      const advice = `${error.message} ${error.suggestion ?? ''}`
      if (db().dialect === 'mysql') expect(advice).to.match(/DDL/).and.to.match(/partly applied/)
      expect(error.details).to.deep.include({migration: MIGRATIONS[0], direction: 'up'})
      expect(await appliedNames(db())).to.deep.equal([])
    })
  })

  describe('newMigration', () => {
    // Inside the project, so that the scaffold's import of ../src/db/migration-kit.js resolves.
    const temp = useScratch({per: 'suite', folder: path.join(root, '.stayctl-test-scaffold-')})
    let dir: string
    before(() => (dir = temp.dir))

    it('names the file <UTC timestamp>.<slug>.ts', () => {
      const now = new Date(Date.UTC(2027, 2, 4, 5, 6, 7))
      const result = newMigration('  Add guest count!  ', {dir, now})
      expect(result.name).to.equal('2027.03.04T05.06.07.add-guest-count')
      expect(result.path).to.equal(path.join(dir, '2027.03.04T05.06.07.add-guest-count.ts'))
      expect(fs.existsSync(result.path)).to.equal(true)
      expect(migrationTimestamp(now)).to.equal('2027.03.04T05.06.07')
    })

    it('stamps the current time by default, in a name the runner recognises', () => {
      const before = Date.now()
      const result = newMigration('add-index-to-bookings', {dir})
      expect(result.name).to.match(/^\d{4}\.\d{2}\.\d{2}T\d{2}\.\d{2}\.\d{2}\.add-index-to-bookings$/)
      const [date, time] = result.name.split('T')
      const stamped = Date.parse(`${date.replace(/\./g, '-')}T${time.slice(0, 8).replace(/\./g, ':')}Z`)
      expect(stamped).to.be.within(before - 1000, Date.now())
    })

    it('writes a file that type-checks and exports up and down that run', async function () {
      this.timeout(60_000)
      const {path: file} = newMigration('scaffold-check', {dir, now: new Date(Date.UTC(2027, 0, 1))})
      const program = ts.createProgram([file], {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        esModuleInterop: true,
        types: ['node'],
      })
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      expect(diagnostics).to.deep.equal([])

      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
      expect(module.up).to.be.a('function')
      expect(module.down).to.be.a('function')
      const database = await freshDatabase('scaffold')
      const db = await openDb(database.target)
      try {
        const context = {queryInterface: db.sequelize.getQueryInterface(), dialect: db.dialect}
        type Fn = (params: {name: string; context: typeof context}) => Promise<void>
        await (module.up as Fn)({name: 'scaffold-check', context})
        await (module.down as Fn)({name: 'scaffold-check', context})
      } finally {
        await db.close()
        await database.drop()
      }
    })

    it('rejects a name with nothing usable in it, and an existing file', async () => {
      for (const name of ['', '   ', '!!!', '---']) {
        let error: unknown
        try {
          newMigration(name, {dir})
        } catch (e) {
          error = e
        }
        expect(error, JSON.stringify(name)).to.be.instanceOf(StayctlError)
        expect((error as StayctlError).kind).to.equal('VALIDATION')
      }
      const now = new Date(Date.UTC(2027, 5, 6))
      newMigration('twice', {dir, now})
      expect(() => newMigration('twice', {dir, now}))
        .to.throw(StayctlError)
        .with.property('kind', 'CONFLICT')
    })

    it('refuses to write into an installed package (under node_modules) without --dir, and writes nothing', () => {
      const installed = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-installed-'))
      const packageRoot = path.join(installed, 'lib', 'node_modules', 'stayctl')
      expect(() => newMigration('add-thing', {packageRoot}))
        .to.throw(StayctlError)
        .with.property('kind', 'USAGE')
      expect(fs.existsSync(path.join(packageRoot, 'migrations'))).to.equal(false)
      expect(newMigration('add-thing', {packageRoot, dir}).path.startsWith(dir)).to.equal(true)
      fs.rmSync(installed, {recursive: true, force: true})
    })

    it('writes into the migrations folder of a checkout when no --dir is given', () => {
      const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-checkout-'))
      expect(newMigration('add-thing', {packageRoot: checkout}).path.startsWith(path.join(checkout, 'migrations'))).to.equal(true)
      fs.rmSync(checkout, {recursive: true, force: true})
    })
  })
})
