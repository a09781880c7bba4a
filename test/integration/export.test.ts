/**
 * Exports on the database under test: columns and natural keys, formats, password hashes,
 * --where filters, keyset pages, the output file written whole; and the round trip
 * (acceptance 5): data made through the services, exported with hashes, imported into an
 * empty database of each available dialect (SQLite → MariaDB and MariaDB → SQLite when
 * STAYCTL_TEST_DATABASE_URL names a server), exported again: the exports are identical.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {StayctlError} from '../../src/errors.js'
import type {ServiceContext} from '../../src/services/context.js'
import {exportEntity} from '../../src/services/export.js'
import type {FileFormat} from '../../src/services/formats/format.js'
import {importFolder} from '../../src/services/import/folder.js'
import {IMPORT_ENTITIES} from '../../src/services/import/types.js'
import {createProperty} from '../../src/services/properties.js'
import {createUser} from '../../src/services/users.js'
import {availableDialects, migratedDatabase, testDialect} from '../support/db.js'
import {day, seedScenario, serviceContext} from '../support/scenario.js'
import {useScratch} from '../support/scratch.js'

/** The describe's scratch folder (useScratch in each describe), in which tmp() makes a folder for each export. */
let scratchDir: string
const tmp = () => fs.mkdtempSync(path.join(scratchDir, 'out-'))

/** Exports every entity of `ctx` into `dir` (with hashes); returns the files' texts by entity. */
async function exportAll(ctx: ServiceContext, dir: string, format: FileFormat = 'csv'): Promise<Record<string, string>> {
  const texts: Record<string, string> = {}
  for (const entity of IMPORT_ENTITIES) {
    const output = path.join(dir, `${entity}.${format}`)
    await exportEntity(ctx, {entity, output, includePasswordHashes: true})
    texts[entity] = fs.readFileSync(output, 'utf8')
  }
  return texts
}

async function exportText(ctx: ServiceContext, input: Omit<Parameters<typeof exportEntity>[1], 'output'> & {format?: FileFormat}) {
  const file = path.join(tmp(), `out.${input.format ?? 'csv'}`)
  const summary = await exportEntity(ctx, {...input, output: file})
  return {summary, text: fs.readFileSync(file, 'utf8')}
}

describe(`export (${testDialect})`, function () {
  const scratch = useScratch({per: 'suite', database: 'export', folder: 'stayctl-export-'})
  let db: Db
  let ctx: ServiceContext

  before(async () => {
    db = scratch.db
    scratchDir = scratch.dir
    ctx = serviceContext(db)
    await seedScenario(ctx)
  })

  it('writes users without password hashes unless asked', async () => {
    const plain = await exportText(ctx, {entity: 'users'})
    const lines = plain.text.trimEnd().split('\r\n')
    expect(lines[0]).to.equal('username,email,firstName,lastName,isActive,isAdmin,createdAt')
    expect(lines[1]).to.match(/^alice,alice@example\.com,Alice,Zoë,true,false,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d\d\d)?Z$/)
    expect(lines[2]).to.match(/^bob,bob@example\.com,Bob,"O""Brien, Jr\.",true,false,/)
    expect(plain.text).not.to.include('$2')
    expect(plain.summary).to.include({entity: 'users', format: 'csv', rows: 6, passwordHashes: false})

    const withHashes = await exportText(ctx, {entity: 'users', includePasswordHashes: true})
    expect(withHashes.text.split('\r\n')[0]).to.match(/,passwordHash$/)
    expect(withHashes.text).to.match(/,\$2[aby]\$04\$/)
    expect(withHashes.text).to.include(',!erased\r\n')
    expect(withHashes.summary.passwordHashes).to.equal(true)
  })

  it('writes a file holding password hashes for its owner alone (0600), also over a file others could read', async () => {
    const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8)
    const dir = tmp()
    const probe = path.join(dir, 'probe')
    fs.writeFileSync(probe, '')
    const hashes = path.join(dir, 'users.csv')
    fs.writeFileSync(hashes, 'an earlier export\n')
    fs.chmodSync(hashes, 0o644)
    await exportEntity(ctx, {entity: 'users', output: hashes, includePasswordHashes: true})
    expect(fs.readFileSync(hashes, 'utf8')).to.match(/,\$2[aby]\$04\$/)
    expect(modeOf(hashes)).to.equal('600')
    // Without hashes the file is made as any other (the umask decides).
    const plain = path.join(dir, 'plain.csv')
    await exportEntity(ctx, {entity: 'users', output: plain})
    expect(modeOf(plain)).to.equal(modeOf(probe))
  })

  it('writes natural keys instead of ids: owners, properties with their owner, stays, charges', async () => {
    const properties = (await exportText(ctx, {entity: 'properties', format: 'ndjson'})).text.trim().split('\n').map((l) => JSON.parse(l))
    expect(properties[0]).to.deep.equal({
      owner: 'alice',
      name: 'Sea View',
      description: 'Two rooms,\n"sea" view',
      address: '1 Shore Rd, Brighton',
      pricePerNight: '120.50',
      cancellationPolicy: 'flexible',
      isListed: true,
      createdAt: properties[0].createdAt,
    })
    expect(properties.map((p) => `${p.owner}/${p.name}/${p.isListed}`)).to.deep.equal(['alice/Sea View/true', 'bob/Sea View/true', 'alice/Cabin/false'])

    const bookings = JSON.parse((await exportText(ctx, {entity: 'bookings', format: 'json'})).text) as Record<string, unknown>[]
    expect(bookings).to.have.length(7)
    expect(bookings[3]).to.deep.include({
      externalRef: 'CHAN-4',
      property: 'Sea View',
      propertyOwner: 'alice',
      guest: 'dave',
      startDate: day(20),
      endDate: day(25),
      status: 'cancelled',
      totalPrice: '602.50',
    })
    expect(bookings[2]).to.deep.include({externalRef: null, propertyOwner: 'bob', guest: 'erased-5'})

    const payments = (await exportText(ctx, {entity: 'payments', format: 'ndjson'})).text.trim().split('\n').map((l) => JSON.parse(l))
    const refund = payments.find((p) => p.idempotencyKey === 'idem-1')
    expect(refund).to.deep.include({kind: 'refund', refundOf: 'ch-b1', amount: '20.00', status: 'completed', reason: 'broken heater', booking: null, guest: 'carol'})
    const b6 = payments.find((p) => p.transactionId === 'ch-b6')
    expect(b6).to.deep.include({booking: null, property: 'Sea View', propertyOwner: 'alice', guest: 'carol', startDate: day(30), endDate: day(33), status: 'refunded'})
    // The instant recorded, milliseconds and all (issue 12, item 4).
    expect(b6.paymentDate).to.equal('2026-01-02T03:04:05.678Z')
    expect(payments.find((p) => p.transactionId === 'ch-b4')).to.deep.include({booking: 'CHAN-4', status: 'refunded'})

    const reviews = (await exportText(ctx, {entity: 'reviews'})).text
    expect(reviews.split('\r\n')[0]).to.equal('property,propertyOwner,reviewer,rating,comment,createdAt')
    expect(reviews).to.include('Sea View,alice,carol,5,"Great, ""really""",')
  })

  it('filters with --where field=value, in the field\'s type, and refuses unknown fields', async () => {
    const confirmed = JSON.parse((await exportText(ctx, {entity: 'bookings', format: 'json', where: ['status=confirmed', 'propertyOwner=alice']})).text)
    expect(confirmed.map((b: {guest: string}) => b.guest)).to.deep.equal(['carol', 'dave', 'carol'])
    const inactive = (await exportText(ctx, {entity: 'users', where: ['isActive=false'], format: 'ndjson'})).text.trim().split('\n')
    expect(inactive.map((l) => JSON.parse(l).username)).to.deep.equal(['dave', 'erased-5'])
    const noRef = JSON.parse((await exportText(ctx, {entity: 'bookings', format: 'json', where: ['externalRef=']})).text)
    expect(noRef).to.have.length(5)
    const cheap = JSON.parse((await exportText(ctx, {entity: 'properties', format: 'json', where: ['pricePerNight=99']})).text)
    expect(cheap.map((p: {owner: string}) => p.owner)).to.deep.equal(['bob'])
    const none = await exportText(ctx, {entity: 'reviews', format: 'json', where: ['rating=1']})
    expect(none.text).to.equal('[]\n')
    expect(none.summary.rows).to.equal(0)

    for (const where of [['nope=1'], ['createdAt=2026-01-01'], ['passwordHash=x'], ['status']]) {
      const error = await exportEntity(ctx, {entity: 'users', output: path.join(tmp(), 'x.csv'), where}).catch((e: unknown) => e)
      expect(error, where[0]).to.be.instanceOf(StayctlError).with.property('kind', 'USAGE')
    }
    const bad = await exportEntity(ctx, {entity: 'users', output: path.join(tmp(), 'x.csv'), where: ['isActive=maybe']}).catch((e: unknown) => e)
    expect(bad).to.be.instanceOf(StayctlError).with.property('kind', 'VALIDATION')
  })

  it('reads in keyset pages: every row once, in id order, whatever the page size', async () => {
    const whole = (await exportText(ctx, {entity: 'payments'})).text
    for (const pageSize of [1, 2, 3, 100]) {
      const paged = (await exportText(ctx, {entity: 'payments', pageSize})).text
      expect(paged, `page size ${pageSize}`).to.equal(whole)
    }
    expect(whole.trimEnd().split('\r\n')).to.have.length(1 + 10)
  })

  it('writes the output file whole or not at all, and streams to a stream', async () => {
    const dir = tmp()
    const output = path.join(dir, 'users.csv')
    fs.writeFileSync(output, 'old')
    const error = await exportEntity(ctx, {entity: 'users', output, where: ['bogus=1']}).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(StayctlError)
    expect(fs.readFileSync(output, 'utf8')).to.equal('old')
    expect(fs.readdirSync(dir)).to.deep.equal(['users.csv'])

    const chunks: string[] = []
    const {Writable} = await import('node:stream')
    const stream = new Writable({write: (chunk, _enc, done) => (chunks.push(String(chunk)), done())})
    const summary = await exportEntity(ctx, {entity: 'reviews', stream, format: 'ndjson'})
    expect(summary.output).to.equal(null)
    expect(chunks.join('').trim().split('\n')).to.have.length(3)
  })
})

describe(`CSV cells a spreadsheet would run as formulas (${testDialect})`, function () {
  // As OWASP lists them (= + - @ first), a value that is already quoted, and values a naive unquoting would spoil.
  const FORMULAS = ["=cmd|' /C calc'!A0", '+1 555 0100', "-2+3+cmd|' /C calc'!A0", '@SUM(1,1)*cmd', "'=already quoted", "''", "'Tis the season"]
  const from = useScratch({per: 'suite', database: 'formulas_from'})
  const to = useScratch({per: 'suite', database: 'formulas_to'})
  const temp = useScratch({per: 'suite', folder: 'stayctl-export-'})

  before(async () => {
    scratchDir = temp.dir
    const ctx = serviceContext(from.db)
    for (const [i, text] of FORMULAS.entries()) {
      await createUser(ctx, {username: `formula${i}`, email: `formula${i}@example.com`, password: 'secret-123', firstName: text, lastName: text})
      await createProperty(ctx, {owner: `formula${i}`, name: text, address: text, description: text, pricePerNight: '10'})
    }
  })

  it('exports no cell that starts a formula, imports every value back exactly, and exports the same bytes again', async () => {
    const first = tmp()
    const exported = await exportAll(serviceContext(from.db), first)
    for (const entity of ['users', 'properties']) {
      const cells = exported[entity].split('\r\n').flatMap((line) => line.split(','))
      expect(cells.filter((cell) => /^"?[=+\-@\t\r]/.test(cell)), entity).to.deep.equal([])
    }
    expect(exported.properties).to.include(",'=cmd|' /C calc'!A0,")
    const summary = await importFolder(serviceContext(to.db), {dir: first})
    expect(summary.rejected).to.equal(0)
    const stored = await to.db.models.Property.findAll({order: [['id', 'ASC']]})
    expect(stored.map((p) => [p.name, p.address, p.description])).to.deep.equal(FORMULAS.map((text) => [text, text, text]))
    const users = await to.db.models.User.findAll({where: {username: FORMULAS.map((_, i) => `formula${i}`)}, order: [['id', 'ASC']]})
    expect(users.map((u) => [u.firstName, u.lastName])).to.deep.equal(FORMULAS.map((text) => [text, text]))
    const again = await exportAll(serviceContext(to.db), tmp())
    for (const entity of IMPORT_ENTITIES) expect(again[entity], entity).to.equal(exported[entity])
  })

  it('leaves JSON and NDJSON exports as they are', async () => {
    const text = (await exportText(serviceContext(from.db), {entity: 'properties', format: 'ndjson'})).text
    const names = text.trim().split('\n').map((line) => (JSON.parse(line) as {name: string}).name)
    expect(names).to.deep.equal(FORMULAS)
  })
})

describe(`export → import → export round trip (${availableDialects.join(", ")})`, function () {
  const temp = useScratch({per: 'suite', folder: 'stayctl-export-'})
  before(() => (scratchDir = temp.dir))
  for (const source of availableDialects) {
    for (const target of availableDialects) {
      for (const format of source === target ? (['csv', 'ndjson', 'json'] as const) : (['csv'] as const)) {
        it(`${source} → ${target} (${format}): the second export equals the first`, async () => {
          const from = await migratedDatabase(`rt_from_${source}`, source)
          const to = await migratedDatabase(`rt_to_${target}`, target)
          try {
            await seedScenario(serviceContext(from.db))
            const first = tmp()
            const exported = await exportAll(serviceContext(from.db), first, format)
            const summary = await importFolder(serviceContext(to.db), {dir: first})
            expect(summary.rejected, JSON.stringify(summary.files.map((f) => [f.entity, f.rejected]))).to.equal(0)
            expect(summary.files.map((f) => f.entity)).to.deep.equal([...IMPORT_ENTITIES])
            expect(summary.inserted).to.equal(6 + 3 + 7 + 3 + 10)
            const again = await exportAll(serviceContext(to.db), tmp(), format)
            for (const entity of IMPORT_ENTITIES) expect(again[entity], entity).to.equal(exported[entity])
          } finally {
            await from.db.close()
            await to.db.close()
            await from.database.drop()
            await to.database.drop()
          }
        })
      }
    }
  }
})
