/**
 * Import and export as users and CI run them: the built bin/run.js, checked by exit code,
 * output, error files and what the database holds. Generated files of good and bad rows
 * (acceptance 3 for bookings and payments), `import all` on a folder, `export` to stdout and
 * files, and the round trip through the CLI (into the other dialect too, when MariaDB is set).
 * Build first (npm test does).
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {addDays, today} from '../../src/services/dates.js'
import {IMPORT_ENTITIES} from '../../src/services/import/types.js'
import {bin, isolatedEnv, runCli} from '../support/cli.js'
import {availableDialects, migratedDatabase, testDialect, type TestDatabase, withDb} from '../support/db.js'
import {seedScenario, serviceContext} from '../support/scenario.js'
import {useScratch} from '../support/scratch.js'

const env = isolatedEnv()
const stayctl = (database: TestDatabase, ...args: string[]) => runCli([...args, '--database-url', database.url], {env})
const day = (n: number) => addDays(today(), n)

async function count(database: TestDatabase, table: string): Promise<number> {
  return withDb(database, async (db) => {
    const [rows] = await db.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`)
    return Number((rows as {n: number}[])[0].n)
  })
}

/** Error-file rows (line, field, reason), parsed loosely: our reasons never hold a newline. */
function errorLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\r\n').slice(1)
}

/** The test's scratch folder (useScratch below), where the tests make their folders. */
let scratchDir: string

/**
 * A folder of 20 hosts' properties, 210 bookings (200 good: ten 3-night stays per property;
 * 10 bad) and payments (200 charges and 100 refunds, good; 10 bad), as CSV.
 */
function generatedFolder(): {dir: string; badBookings: number; badPayments: number} {
  const dir = fs.mkdtempSync(path.join(scratchDir, 'imp-'))
  const users = ['username,email,password,isActive']
  for (let i = 1; i <= 20; i++) users.push(`host${i},host${i}@example.com,secret-123,true`)
  for (let i = 1; i <= 10; i++) users.push(`guest${i},guest${i}@example.com,secret-123,true`)
  users.push('gone,gone@example.com,secret-123,false')
  const properties = ['owner,name,address,pricePerNight']
  // Every host calls the listing "Home": bookings must say whose.
  for (let i = 1; i <= 20; i++) properties.push(`host${i},Home,"${i} Main St, Springfield",${50 + i}.25`)

  const bookings = ['property,propertyOwner,guest,startDate,endDate,status,externalRef']
  const payments = ['transactionId,kind,booking,refundOf,amount,status']
  for (let p = 1; p <= 20; p++) {
    for (let k = 0; k < 10; k++) {
      const ref = `BK-${p}-${k}`
      bookings.push(`Home,host${p},guest${(k % 10) + 1},${day(10 + k * 3)},${day(13 + k * 3)},confirmed,${ref}`)
      const total = 3 * ((50 + p) * 100 + 25)
      payments.push(`ch-${p}-${k},charge,${ref},,${(total / 100).toFixed(2)},completed`)
      if (k % 2 === 0) payments.push(`re-${p}-${k},refund,,ch-${p}-${k},10.00,completed`)
    }
  }
  const badBookings = [
    `Home,host1,guest1,${day(11)},${day(12)},confirmed,`, // overlaps BK-1-0
    `Home,host2,guest2,${day(12)},${day(17)},confirmed,`, // overlaps two
    `Home,,guest1,${day(300)},${day(301)},confirmed,`, // ambiguous: 20 hosts have a Home
    `Home,host99,guest1,${day(300)},${day(301)},confirmed,`, // unknown
    `Home,host3,nobody,${day(300)},${day(301)},confirmed,`, // unknown guest
    `Home,host4,host4,${day(300)},${day(301)},confirmed,`, // own property
    `Home,host5,guest1,${day(301)},${day(300)},confirmed,`, // dates
    `Home,host6,guest1,${day(300)},${day(301)},confirmed,BK-1-1`, // externalRef repeats
    `Home,host7,guest1,${day(300)}`, // missing columns
  ]
  // Spread through the file, then a field whose quote never closes, last.
  badBookings.forEach((row, i) => bookings.splice(20 + i * 20, 0, row))
  bookings.push(`Home,host8,"guest1,${day(400)},${day(401)},confirmed,`)
  const badPayments = [
    'bad-1,charge,BK-1-0,,1.00,completed', // above the booking total (already charged in full)
    'bad-2,refund,,ch-1-2,1000.00,completed', // above its charge
    'bad-3,refund,,nope,1.00,completed', // unknown charge
    'bad-4,charge,BK-404,,1.00,completed', // unknown booking
    'ch-1-0,charge,BK-1-0,,1.00,completed', // transaction id repeats
    'bad-6,refund,,ch-1-1,0,completed', // amount
    'bad-7,charge,BK-1-1,,1.00,settled', // status
    'bad-8,refund,,ch-2-0,10000,completed', // above its charge
    'bad-9,charge,BK-2-1,ch-2-0,1.00,completed', // charge with refundOf
    'bad-10,refund,,bad-1,1.00,completed', // its charge was rejected
  ]
  badPayments.forEach((row, i) => payments.splice(30 + i * 25, 0, row))
  fs.writeFileSync(path.join(dir, 'users.csv'), users.join('\r\n') + '\r\n')
  fs.writeFileSync(path.join(dir, 'properties.csv'), properties.join('\r\n') + '\r\n')
  fs.writeFileSync(path.join(dir, 'bookings.csv'), bookings.join('\n') + '\n')
  fs.writeFileSync(path.join(dir, 'payments.csv'), payments.join('\n') + '\n')
  return {dir, badBookings: badBookings.length + 1, badPayments: badPayments.length}
}

describe(`import and export through the CLI (${testDialect})`, function () {
  const scratch = useScratch({per: 'test', database: 'e2e_impexp', open: false, folder: 'stayctl-e2e-'})
  let database: TestDatabase

  beforeEach(() => {
    database = scratch.database
    scratchDir = scratch.dir
  })

  it('import all: good rows in, bad rows to each file\'s error file with line and reason, exit 8', async () => {
    const {dir, badBookings, badPayments} = generatedFolder()
    const result = await stayctl(database, 'import', 'all', dir, '--batch-size', '40')
    expect(result.code, result.stderr).to.equal(8)
    const lines = result.stdout.trim().split('\n')
    expect(lines).to.have.length(5)
    expect(lines[0]).to.match(/^users: 31 read, wrote 31 new and 0 updated, 0 rejected in [\d.]+ s\.$/)
    expect(lines[1]).to.match(/^properties: 20 read, wrote 20 new and 0 updated, 0 rejected/)
    expect(lines[2]).to.match(new RegExp(`^bookings: ${200 + badBookings} read, wrote 200 new and 0 updated, ${badBookings} rejected`))
    expect(lines[3]).to.match(new RegExp(`^payments: ${300 + badPayments} read, wrote 300 new and 0 updated, ${badPayments} rejected`))
    expect(lines[4]).to.match(new RegExp(`^4 files: ${551 + badBookings + badPayments} read, wrote 551 new and 0 updated, ${badBookings + badPayments} rejected`))
    expect(result.stderr).to.include(`Rejected rows, with line numbers and reasons: ${path.join(dir, 'bookings.csv.errors.csv')}, ${path.join(dir, 'payments.csv.errors.csv')}`)
    expect(fs.existsSync(path.join(dir, 'users.csv.errors.csv'))).to.equal(false)

    const bookingErrors = errorLines(path.join(dir, 'bookings.csv.errors.csv'))
    expect(bookingErrors).to.have.length(badBookings)
    expect(bookingErrors[0]).to.match(/^21,startDate,.* overlaps the booking on line 2 \(.*\) of property 1,/)
    expect(bookingErrors.map((l) => l.split(',')[1])).to.deep.equal(['startDate', 'startDate', 'property', 'property', 'guest', 'guest', 'endDate', 'externalRef', '', ''])
    expect(bookingErrors[2]).to.include('is ambiguous: hosts host1, host2')
    expect(bookingErrors[3]).to.include('unknown property ""Home"" of owner ""host99""')
    expect(bookingErrors[8]).to.match(/^181,,"expected 7 fields \(as in the header\), found 4",/)
    expect(bookingErrors[9]).to.match(/^\d+,,"a quoted field opened here is never closed/)

    const paymentErrors = errorLines(path.join(dir, 'payments.csv.errors.csv'))
    expect(paymentErrors.map((l) => l.split(',').slice(0, 2).join(','))).to.deep.equal([
      '31,amount',
      '56,amount',
      '81,refundOf',
      '106,booking',
      '131,transactionId',
      '156,amount',
      '181,status',
      '206,amount',
      '231,refundOf',
      '256,refundOf',
    ])
    expect(paymentErrors[0]).to.match(/charging 1\.00 would bring booking 1 to [\d.]+, above its total/)
    expect(paymentErrors[1]).to.match(/refund of 1000\.00 exceeds what remains refundable of payment \d+ \(""ch-1-2""\)/)
    expect(paymentErrors[9]).to.include('unknown charge ""bad-1""')

    expect(await count(database, 'bookings')).to.equal(200)
    expect(await count(database, 'payments')).to.equal(300)
  })

  it('import all --atomic imports nothing when a row is rejected; --json prints the summary', async () => {
    const {dir} = generatedFolder()
    const result = await stayctl(database, 'import', 'all', dir, '--atomic', '--json')
    expect(result.code, result.stderr).to.equal(8)
    const summary = JSON.parse(result.stdout)
    expect(summary).to.include({dir, atomic: true, committed: false, inserted: 0})
    expect(summary.files.map((f: {entity: string; committed: boolean}) => [f.entity, f.committed])).to.deep.equal([
      ['users', false],
      ['properties', false],
      ['bookings', false],
      ['payments', false],
    ])
    expect(summary.errorFiles).to.have.length(2)
    expect(await count(database, 'users')).to.equal(0)
  })

  it('import ENTITY: a file without a required column stops at once (exit 3); stdin works', async () => {
    const dir = fs.mkdtempSync(path.join(scratchDir, 'imp-'))
    fs.writeFileSync(path.join(dir, 'bookings.csv'), 'property,startDate,endDate\nHome,2030-01-01,2030-01-02\n')
    const missing = await stayctl(database, 'import', 'bookings', path.join(dir, 'bookings.csv'))
    expect(missing.code).to.equal(3)
    expect(missing.stderr).to.include('the file has no column for guest')

    const users = ['{"username":"ann","email":"ann@example.com","password":"secret-123"}'].join('\n')
    expect((await runCli(['import', 'users', '-', '--format', 'ndjson', '--database-url', database.url], {env, input: users})).code).to.equal(0)
    const props = '[{"owner":"ann","name":"Loft","address":"x","pricePerNight":"80"}]'
    const result = await runCli(['import', 'properties', '-', '--format', 'json', '--database-url', database.url, '--json'], {env, input: props})
    expect(result.code, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.include({entity: 'properties', inserted: 1, rejected: 0})
  })

  it('export: data to stdout or a file, the summary on stderr (or --json), usage errors exit 2', async () => {
    await withDb(database, (db) => seedScenario(serviceContext(db)))
    const csv = await stayctl(database, 'export', 'bookings', '--where', 'status=confirmed')
    expect(csv.code, csv.stderr).to.equal(0)
    expect(csv.stdout.split('\r\n')[0]).to.equal('externalRef,property,propertyOwner,guest,startDate,endDate,status,totalPrice,createdAt')
    expect(csv.stdout.trimEnd().split('\r\n')).to.have.length(1 + 4)
    expect(csv.stderr).to.match(/^bookings: exported 4 rows as csv to stdout in [\d.]+ s\.$/m)

    const users = await stayctl(database, 'export', 'users', '--format', 'ndjson')
    expect(users.stdout.trim().split('\n')).to.have.length(6)
    expect(users.stdout).not.to.include('passwordHash')
    expect(users.stderr).to.include('Password hashes left out')

    const file = path.join(fs.mkdtempSync(path.join(scratchDir, 'exp-')), 'users.json')
    const json = await stayctl(database, 'export', 'users', '--include-password-hashes', '--output', file, '--json')
    expect(json.code, json.stderr).to.equal(0)
    expect(JSON.parse(json.stdout)).to.include({entity: 'users', format: 'json', output: file, rows: 6, passwordHashes: true})
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))[0]).to.have.property('passwordHash').that.matches(/^\$2/)

    // A reader that goes away (`| head`; here one that reads nothing) is no failure.
    const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" export payments --database-url "${database.url}" | true; exit \${PIPESTATUS[0]}`], {env, encoding: 'utf8'})
    expect([piped.status, piped.stderr]).to.deep.equal([0, ''])

    expect((await stayctl(database, 'export', 'users', '--json')).code).to.equal(2)
    const where = await stayctl(database, 'export', 'users', '--where', 'shoeSize=42')
    expect(where.code).to.equal(2)
    expect(where.stderr).to.include('--where "shoeSize=42" is not field=value with one of: username, email')
    expect((await stayctl(database, 'export', 'guests')).code).to.equal(2)
  })

  for (const target of availableDialects) {
    it(`round trip through the CLI: export every entity, import all into an empty ${target} database, export again: identical`, async () => {
      await withDb(database, async (db) => {
        await seedScenario(serviceContext(db))
        // A block of nights by hand and one from a feed, so that blocks make the round trip too.
        const {createBlock} = await import('../../src/services/blocks.js')
        const seaB = (await db.models.Property.findOne({where: {name: 'Sea View', address: '2 Shore Rd'}}))!.id
        await createBlock(serviceContext(db), {property: 'Cabin', startDate: '2099-01-10', endDate: '2099-01-12', reason: 'paint, "fresh"'})
        await createBlock(serviceContext(db), {property: seaB, startDate: '2099-02-10', endDate: '2099-02-12', source: 'https://x.example/a.ics', sourceUid: 'u1'})
      })
      const first = fs.mkdtempSync(path.join(scratchDir, 'rt-'))
      for (const entity of IMPORT_ENTITIES) {
        const result = await stayctl(database, 'export', entity, '--include-password-hashes', '-o', path.join(first, `${entity}.csv`))
        expect(result.code, result.stderr).to.equal(0)
      }
      const other = await migratedDatabase('e2e_rt', target)
      try {
        await other.db.close()
        const imported = await stayctl(other.database, 'import', 'all', first)
        expect(imported.code, imported.stdout + imported.stderr).to.equal(0)
        expect(imported.stdout).to.match(/^6 files: 31 read, wrote 31 new and 0 updated, 0 rejected/m)
        const second = fs.mkdtempSync(path.join(scratchDir, 'rt-'))
        for (const entity of IMPORT_ENTITIES) {
          const result = await stayctl(other.database, 'export', entity, '--include-password-hashes', '-o', path.join(second, `${entity}.csv`))
          expect(result.code, result.stderr).to.equal(0)
          expect(fs.readFileSync(path.join(second, `${entity}.csv`), 'utf8'), entity).to.equal(fs.readFileSync(path.join(first, `${entity}.csv`), 'utf8'))
        }
        // Again with --upsert: nothing new, every row matched by its natural key.
        const upsert = await stayctl(other.database, 'import', 'all', first, '--upsert')
        expect(upsert.code, upsert.stdout + upsert.stderr).to.equal(0)
        expect(upsert.stdout).to.match(/^6 files: 31 read, wrote 0 new and 31 updated, 0 rejected/m)
      } finally {
        await other.database.drop()
      }
    })
  }

  /** Exports every entity of `database` into a new folder, as `import all` reads it. */
  async function exportAll(from: TestDatabase): Promise<string> {
    const folder = fs.mkdtempSync(path.join(scratchDir, 'rt-'))
    for (const entity of IMPORT_ENTITIES) {
      const result = await stayctl(from, 'export', entity, '--include-password-hashes', '-o', path.join(folder, `${entity}.csv`))
      expect(result.code, `${entity}: ${result.stderr}`).to.equal(0)
    }
    return folder
  }

  const expectSameFolders = (a: string, b: string, what: string) => {
    for (const entity of IMPORT_ENTITIES) {
      expect(fs.readFileSync(path.join(b, `${entity}.csv`), 'utf8'), `${what}: ${entity}`).to.equal(fs.readFileSync(path.join(a, `${entity}.csv`), 'utf8'))
    }
  }

  const other = availableDialects.find((d) => d !== testDialect) ?? testDialect
  for (const randomSeed of [1, 7, 42]) {
    it(`seed (random seed ${randomSeed}, today) → export → import all into ${other} → export → import all back into ${testDialect}: identical, exit 0`, async () => {
      // Today's date: the seed then holds what a live database does (future stays of unlisted listings, of deactivated guests…).
      const seeded = await stayctl(database, 'db', 'seed', '--random-seed', String(randomSeed))
      expect(seeded.code, seeded.stderr).to.equal(0)
      const first = await exportAll(database)
      const there = await migratedDatabase('e2e_seed_rt', other)
      const back = await migratedDatabase('e2e_seed_back', testDialect)
      try {
        await there.db.close()
        await back.db.close()
        const imported = await stayctl(there.database, 'import', 'all', first)
        expect(imported.code, imported.stdout + imported.stderr).to.equal(0)
        const second = await exportAll(there.database)
        expectSameFolders(first, second, `into ${other}`)
        const returned = await stayctl(back.database, 'import', 'all', second)
        expect(returned.code, returned.stdout + returned.stderr).to.equal(0)
        expectSameFolders(first, await exportAll(back.database), `back into ${testDialect}`)
      } finally {
        await there.database.drop()
        await back.database.drop()
      }
    })
  }
})
