/**
 * Issue 12, item 2 and acceptance 2: an import never stores a value other than the one given.
 * Files with out-of-range money, over-long strings, dates outside what a column holds, NUL
 * bytes, lone surrogates and 4-byte emoji go in through the built binary: the good rows are
 * stored exactly as written, every bad row is rejected with its line, field and reason (exit
 * 8), and an export afterwards exits 0 and imports again into a fresh database identically.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {isolatedEnv, runCli} from '../support/cli.js'
import {migratedDatabase, testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const env = isolatedEnv({STAYCTL_TODAY: '2030-01-01'})
const stayctl = (database: TestDatabase, ...args: string[]) => runCli([...args, '--database-url', database.url], {env, timeoutMs: 120_000})

interface Rejected {
  line: number
  field: string | null
  reason: string
}

describe(`import: values that do not fit are rejected, never changed (e2e, ${testDialect})`, function () {
  this.timeout(300_000)

  const scratch = useScratch({per: 'suite', database: 'import_values', folder: 'stayctl-values-'})
  let database: TestDatabase
  let db: Db
  let dir: string

  before(() => {
    ;({db, database, dir} = scratch)
  })

  /** Imports `lines` (NDJSON records) of `entity` and returns the exit code, summary and rejected rows. */
  async function importRecords(entity: string, records: Record<string, unknown>[]) {
    const file = path.join(dir, `${entity}.ndjson`)
    // JSON.stringify writes a lone surrogate as \ud800, so the file carries exactly that.
    fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const errors = `${file}.errors.ndjson`
    const result = await stayctl(database, 'import', entity, file, '--errors', errors, '--json')
    const rejected = fs.existsSync(errors)
      ? fs.readFileSync(errors, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rejected)
      : []
    return {code: result.code, summary: JSON.parse(result.stdout) as {inserted: number; rejected: number}, rejected, stderr: result.stderr}
  }

  const rows = async (sql: string) => (await db.sequelize.query(sql))[0] as Record<string, unknown>[]
  const expectRejected = (rejected: Rejected[], expected: [line: number, field: string, reason: RegExp][]) => {
    expect(rejected.map((r) => [r.line, r.field]), JSON.stringify(rejected, null, 1)).to.deep.equal(expected.map(([line, field]) => [line, field]))
    for (const [i, [, , reason]] of expected.entries()) expect(rejected[i].reason).to.match(reason)
  }

  it('users, properties, bookings and payments: good rows in as written, bad rows rejected with line, field and reason', async () => {
    const users = await importRecords('users', [
      {username: 'host', email: 'host@example.com', password: 'host-password-1', firstName: 'Zoë 🏖️'},
      {username: 'guest', email: 'guest@example.com', password: 'guest-password-1'},
      {username: 'x'.repeat(51), email: 'long@example.com', password: 'long-password-1'},
      {username: 'nul', email: 'nul@example.com', password: 'nul-password-1', firstName: 'a\u0000b'},
      {username: 'lone', email: 'lone@example.com', password: 'lone-password-1', lastName: 'a\ud800b'},
    ])
    expect(users.code, users.stderr).to.equal(8)
    expect(users.summary).to.include({inserted: 2, rejected: 3})
    expectRejected(users.rejected, [
      [3, 'username', /username/],
      [4, 'firstName', /firstName/],
      [5, 'lastName', /lastName/],
    ])

    const properties = await importRecords('properties', [
      {owner: 'host', name: 'Casa 🌊', address: '1 Shore Rd', pricePerNight: '99999999.99'},
      {owner: 'host', name: 'Too dear', address: '2 Shore Rd', pricePerNight: '100000000.00'},
      {owner: 'host', name: 'N'.repeat(201), address: '3 Shore Rd', pricePerNight: '10.00'},
      {owner: 'host', name: 'Cheap', address: '4 Shore Rd', pricePerNight: '10.00'},
      {owner: 'host', name: 'Way too dear', address: '5 Shore Rd', pricePerNight: '12345678901.00'},
    ])
    expect(properties.code, properties.stderr).to.equal(8)
    expect(properties.summary).to.include({inserted: 2, rejected: 3})
    expectRejected(properties.rejected, [
      [2, 'pricePerNight', /at most 99999999\.99/],
      [3, 'name', /longer than 200/],
      [5, 'pricePerNight', /price per night/],
    ])
    expect(await rows("SELECT name, price_per_night AS price FROM properties ORDER BY id")).to.deep.equal(
      testDialect === 'mysql'
        ? [{name: 'Casa 🌊', price: '99999999.99'}, {name: 'Cheap', price: '10.00'}]
        : [{name: 'Casa 🌊', price: 99999999.99}, {name: 'Cheap', price: 10}],
    )

    const bookings = await importRecords('bookings', [
      {property: 'Casa 🌊', guest: 'guest', startDate: '2030-02-01', endDate: '2031-02-01', status: 'confirmed'},
      {property: 'Casa 🌊', guest: 'guest', startDate: '2030-02-01', endDate: '2030-02-03', status: 'confirmed', externalRef: 'ok-1'},
      {property: 'Cheap', guest: 'guest', startDate: '0999-12-30', endDate: '1000-01-02'},
      {property: 'Cheap', guest: 'guest', startDate: '2030-03-01', endDate: '2030-03-04', totalPrice: '99999999999.00'},
      {property: 'Cheap', guest: 'guest', startDate: '2030-03-01', endDate: '2030-03-04', externalRef: 'ok-2'},
    ])
    expect(bookings.code, bookings.stderr).to.equal(8)
    expect(bookings.summary).to.include({inserted: 2, rejected: 3})
    expectRejected(bookings.rejected, [
      [1, 'totalPrice', /365 nights at 99999999\.99 come to 36499999996\.35, more than a booking's total can hold \(9999999999\.99\)/],
      [3, 'startDate', /years 1000 to 9999/],
      [4, 'totalPrice', /totalPrice/],
    ])
    expect(await rows('SELECT external_ref AS ref, total_price AS total FROM bookings ORDER BY id')).to.deep.equal(
      testDialect === 'mysql'
        ? [{ref: 'ok-1', total: '199999999.98'}, {ref: 'ok-2', total: '30.00'}]
        : [{ref: 'ok-1', total: 199999999.98}, {ref: 'ok-2', total: 30}],
    )

    const payments = await importRecords('payments', [
      {transactionId: 'p-ok', booking: 'ok-1', amount: '199999999.98', paymentDate: '2030-01-01T10:00:00.123Z'},
      {transactionId: 'p-big', booking: 'ok-2', amount: '10000000000.00'},
      {transactionId: 'p-10000', booking: 'ok-2', amount: '1.00', paymentDate: '+010000-01-01T00:00:00Z'},
      {transactionId: 'p-feb', booking: 'ok-2', amount: '1.00', paymentDate: '2027-02-30'},
      {transactionId: 'p-\u0000', booking: 'ok-2', amount: '1.00'},
      {transactionId: 'p-ok-2', booking: 'ok-2', amount: '30.00', paymentDate: '2030-01-02'},
    ])
    expect(payments.code, payments.stderr).to.equal(8)
    expect(payments.summary).to.include({inserted: 2, rejected: 4})
    expectRejected(payments.rejected, [
      [2, 'amount', /amount/],
      [3, 'paymentDate', /paymentDate/],
      [4, 'paymentDate', /paymentDate/],
      [5, 'transactionId', /transactionId/],
    ])
    const stored = await rows('SELECT transaction_id AS tx, amount FROM payments ORDER BY id')
    expect(stored.map((p) => [p.tx, Number(p.amount)])).to.deep.equal([
      ['p-ok', 199999999.98],
      ['p-ok-2', 30],
    ])
  })

  it('exports what was imported (exit 0), and the export imports into a fresh database identically', async () => {
    const exportAll = async (from: TestDatabase, folder: string) => {
      fs.mkdirSync(folder)
      for (const entity of ['users', 'properties', 'bookings', 'reviews', 'payments']) {
        const extra = entity === 'users' ? ['--include-password-hashes'] : []
        const result = await stayctl(from, 'export', entity, '--output', path.join(folder, `${entity}.csv`), ...extra)
        expect(result.code, `${entity}: ${result.stderr}`).to.equal(0)
      }
    }
    const exported = path.join(dir, 'export')
    await exportAll(database, exported)
    const fresh = await migratedDatabase('import_values_again')
    try {
      await fresh.db.close()
      const again = await stayctl(fresh.database, 'import', 'all', exported)
      expect(again.code, again.stderr + again.stdout).to.equal(0)
      const second = path.join(dir, 'export-again')
      await exportAll(fresh.database, second)
      for (const file of fs.readdirSync(exported).sort()) {
        expect(fs.readFileSync(path.join(second, file), 'utf8'), file).to.equal(fs.readFileSync(path.join(exported, file), 'utf8'))
      }
    } finally {
      await fresh.database.drop()
    }
  })
})
