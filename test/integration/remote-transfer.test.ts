/**
 * Remote import and export (src/remote/transfer.ts) against an in-process `stayctl serve`,
 * compared with the local operations on a second database holding the same scenario: the
 * same summaries, the same rejections (line, field, reason, row as read, so the same error
 * file) and the same rows written; the same errors for bad input; and exports of the server's
 * database that are byte for byte the local export's, over several pages. What a server cannot
 * do across requests (--resume, --atomic or --dry-run beyond one request, a folder in one
 * transaction) is refused before anything is sent.
 */
import fs from 'node:fs'
import path from 'node:path'
import {PassThrough} from 'node:stream'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {StayctlError} from '../../src/errors.js'
import {createClient, type RemoteClient} from '../../src/remote/client.js'
import {remoteExportEntity, remoteImportFile, remoteImportFolder} from '../../src/remote/transfer.js'
import type {ServiceContext} from '../../src/services/context.js'
import {exportEntity, type ExportInput} from '../../src/services/export.js'
import {importFolder} from '../../src/services/import/folder.js'
import {importFile, type ImportInput, type ImportSummary, type Rejection} from '../../src/services/import/index.js'
import {openRejectionsFile} from '../../src/services/import/rejections-file.js'
import {IMPORT_ENTITIES} from '../../src/services/import/types.js'
import {testDialect} from '../support/db.js'
import {day, fixtures, loadScenario, testContext} from '../support/fixtures.js'
import {useGraphQLServer} from '../support/graphql.js'
import {clearTables} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'

let dir: string
let counter = 0
function file(name: string, text: string): string {
  const at = path.join(dir, `${++counter}-${name}`)
  fs.writeFileSync(at, text)
  return at
}

type Outcome = {summary?: Omit<ImportSummary, 'seconds'>; rejections: Rejection[]; errorFile?: string; error?: {kind: string; message: string; suggestion?: string}}

async function outcome(run: (input: ImportInput) => Promise<ImportSummary>, input: ImportInput): Promise<Outcome> {
  const rejections: Rejection[] = []
  const errorPath = path.join(dir, `${++counter}.errors.csv`)
  const errors = openRejectionsFile(errorPath, input.file)
  try {
    const {seconds, ...summary} = await run({...input, onRejected: (r) => (rejections.push(r), errors.write(r))})
    expect(seconds).to.be.a('number')
    await errors.close()
    return {summary, rejections, errorFile: fs.readFileSync(errorPath, 'utf8')}
  } catch (error) {
    await errors.close()
    if (!(error instanceof StayctlError)) throw error
    return {rejections, error: {kind: error.kind, message: error.message, suggestion: error.suggestion}}
  }
}

/** Rows of a table by natural key, without ids and timestamps (they differ between two databases). */
async function rowsOf(ctx: ServiceContext, entity: string): Promise<Record<string, unknown>[]> {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk) => (text += chunk))
  await exportEntity(ctx, {entity, stream, format: 'ndjson'})
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const {createdAt, paymentDate, transactionId, ...rest} = JSON.parse(line) as Record<string, unknown>
      void createdAt
      void paymentDate
      // Refunds made by cancellations get random transaction ids.
      return {...rest, transactionId: String(transactionId).startsWith('re_') ? 're_*' : transactionId}
    })
}

describe(`remote import and export (${testDialect})`, function () {
  this.timeout(120_000)
  const s = useGraphQLServer('remote_transfer')
  const temp = useScratch({per: 'suite', folder: 'stayctl-transfer-'})
  const scratch = useScratch({per: 'suite', database: 'remote_transfer_local'})
  let local: {db: Db; ctx: ServiceContext}
  let client: RemoteClient

  before(() => {
    dir = temp.dir
    local = {db: scratch.db, ctx: testContext(scratch.db)}
  })
  beforeEach(async () => {
    // useGraphQLServer's beforeEach has loaded the scenario on the server's database (and set the calendar).
    await clearTables(local.db)
    await loadScenario(local.ctx)
    client = createClient({url: s.url, token: s.adminToken, timeoutMs: 20_000})
  })

  /** Runs the same import locally and remotely; asserts the same outcome and the same rows written. */
  async function same(input: ImportInput, entities: string[] = [input.entity]): Promise<Outcome> {
    const here = await outcome((i) => importFile(local.ctx, i), input)
    const there = await outcome((i) => remoteImportFile(client, i), input)
    expect(there, 'remote vs local').to.deep.equal(here)
    for (const entity of entities) expect(await rowsOf(s.ctx, entity), `${entity} written`).to.deep.equal(await rowsOf(local.ctx, entity))
    return here
  }

  const host = fixtures.users.host.username
  const guest = fixtures.users.guest.username

  it('users (CSV): good rows, repeats, clashes with the database, broken records, unknown columns, an open quote', async () => {
    const csv = [
      'username,email,password,shoe size,isAdmin',
      'nina,nina@example.com,secret-123,38,false',
      'nina,other@example.com,secret-123,38,false',
      `${host},x@example.com,secret-123,40,no`,
      'omar,OMAR@example.com,short,41,no',
      'pia,pia@example.com,secret-123',
      'quinn,quinn@example.com,secret-123,42,maybe',
      '"rob\nert",rob@example.com,secret-123,43,no',
      'sam,sam@example.com,"secret-123,44,no',
    ].join('\r\n')
    const result = await same({entity: 'users', file: file('users.csv', csv)})
    expect(result.summary).to.include({read: 8, inserted: 1, rejected: 7})
    expect(result.summary!.unknownColumns).to.deep.equal(['shoe size'])
    expect(result.rejections.map((r) => [r.line, r.field ?? null])).to.deep.equal([
      [3, 'username'],
      [4, 'username'],
      [5, 'password'],
      [6, null],
      [7, 'isAdmin'],
      [8, 'username'],
      [10, null],
    ])
  })

  it('bookings (NDJSON) in batches of 3, with --map: overlaps, bad dates, invalid JSON, unknown references', async () => {
    const lines = [
      {place: 'Harbour Loft', guest, startDate: day(40), endDate: day(43)},
      {place: 'Harbour Loft', guest, startDate: day(41), endDate: day(42)},
      {place: 'Harbour Loft', guest, startDate: day(15), endDate: day(16)},
      {place: 'Pine Cabin', guest, startDate: day(50), endDate: day(49)},
      'not json {',
      {place: 'Nowhere', guest, startDate: day(60), endDate: day(61)},
      {place: 'City Flat', guest: 'nobody', startDate: day(60), endDate: day(61)},
      {place: 'City Flat', guest: fixtures.users.otherGuest.username, startDate: day(5), endDate: day(8), status: 'confirmed', externalRef: 'X-1'},
      [1, 2],
      {place: 'City Flat', guest, startDate: day(90), endDate: day(92), externalRef: 'X-1'},
    ].map((l) => (typeof l === 'string' ? l : JSON.stringify(l)))
    const result = await same({entity: 'bookings', file: file('bookings.ndjson', lines.join('\n') + '\n'), batchSize: 3, map: ['place=property']})
    expect(result.summary).to.include({read: 10, inserted: 2, rejected: 8})
  })

  it('payments: a refund of a charge earlier in the file, an over-refund, a charge over the total', async () => {
    const csv = [
      'transactionId,kind,booking,property,guest,startDate,endDate,refundOf,amount',
      `ch-1,charge,,Harbour Loft,${guest},${day(14)},${day(17)},,200.00`,
      're-1,refund,,,,,,ch-1,50.00',
      're-2,refund,,,,,,ch-1,500.00',
      `ch-2,charge,,Harbour Loft,${guest},${day(14)},${day(17)},,100.00`,
      're-3,refund,,,,,,txn_charge100,10.00',
    ].join('\n')
    const result = await same({entity: 'payments', file: file('payments.csv', csv + '\n'), batchSize: 2})
    expect(result.summary).to.include({read: 5, inserted: 3, rejected: 2})
  })

  it('--atomic: a broken or rejected row keeps nothing; --dry-run counts and keeps nothing; --upsert updates', async () => {
    const good = 'username,email,password\numa,uma@example.com,secret-123\nvic,vic@example.com,secret-123\n'
    const broken = file('users.csv', good + 'wes,wes@example.com\n')
    const rejected = file('users.csv', good + `${host},h@example.com,secret-123\n`)
    expect((await same({entity: 'users', file: broken, atomic: true})).summary).to.include({inserted: 0, rejected: 1, committed: false})
    expect((await same({entity: 'users', file: rejected, atomic: true})).summary).to.include({inserted: 0, rejected: 1, committed: false})
    expect((await same({entity: 'users', file: rejected, dryRun: true})).summary).to.include({inserted: 2, rejected: 1, committed: false})
    expect((await same({entity: 'users', file: file('users.csv', good), atomic: true})).summary).to.include({inserted: 2, committed: true})
    const upsert = file('users.csv', `username,email,password,firstName\numa,uma@example.com,secret-123,Uma\nxia,xia@example.com,secret-123,Xia\n`)
    expect((await same({entity: 'users', file: upsert, upsert: true})).summary).to.include({inserted: 1, updated: 1, rejected: 0})
  })

  it('--max-errors: stops at the same row, having written the same batches', async () => {
    const rows = ['username,email,password']
    for (let i = 0; i < 12; i++) rows.push(i % 3 === 1 ? `bad ${i},bad${i}@example.com,secret-123` : `user${i},user${i}@example.com,secret-123`)
    const result = await same({entity: 'users', file: file('users.csv', rows.join('\n') + '\n'), batchSize: 4, maxErrors: 2})
    expect(result.summary).to.include({stoppedEarly: true, rejected: 3})
  })

  it('the same errors for a missing column, an unknown entity, a bad --map, a missing file', async () => {
    const cases: ImportInput[] = [
      {entity: 'bookings', file: file('bookings.csv', 'property,startDate,endDate\nHarbour Loft,2030-01-01,2030-01-02\n')},
      {entity: 'guests', file: file('x.csv', 'a\n1\n')},
      {entity: 'users', file: file('users.csv', 'a\n1\n'), map: ['a=shoeSize']},
      {entity: 'users', file: path.join(dir, 'missing.csv')},
      {entity: 'users', file: file('users.txt', 'a\n')},
    ]
    for (const input of cases) {
      const result = await same(input, [])
      expect(result.error, input.file).to.be.an('object')
    }
  })

  it('folder: every file in dependency order, the same per-file summaries and rejections', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'folder-'))
    fs.writeFileSync(path.join(folder, 'users.csv'), 'username,email,password\nyan,yan@example.com,secret-123\nyan,y2@example.com,secret-123\n')
    fs.writeFileSync(path.join(folder, 'properties.ndjson'), `${JSON.stringify({owner: 'yan', name: 'Yurt', address: 'Steppe 1', pricePerNight: '45'})}\n{"owner":"nobody","name":"X","address":"y","pricePerNight":"1"}\n`)
    fs.writeFileSync(path.join(folder, 'bookings.csv'), `property,guest,startDate,endDate\nYurt,${guest},${day(20)},${day(22)}\nYurt,${guest},${day(21)},${day(23)}\n`)
    type FolderImporter = (ctx: ServiceContext, input: Parameters<typeof importFolder>[1]) => ReturnType<typeof importFolder>
    const run = async (importer: FolderImporter, ctx: ServiceContext) => {
      const rejections: string[] = []
      const {seconds, files, ...summary} = await importer(ctx, {
        dir: folder,
        onRejected: (entity, f, r) => rejections.push(`${entity} ${path.basename(f)}:${r.line} ${r.field}: ${r.reason} ${JSON.stringify(r.raw)}`),
      })
      void seconds
      return {summary, files: files.map(({seconds: _, ...rest}) => rest), rejections}
    }
    const here = await run(importFolder, local.ctx)
    const there = await run((_ctx, input) => remoteImportFolder(client, input), local.ctx)
    expect(there).to.deep.equal(here)
    expect(here.summary).to.include({read: 6, inserted: 3, rejected: 3})
    for (const entity of ['users', 'properties', 'bookings']) expect(await rowsOf(s.ctx, entity)).to.deep.equal(await rowsOf(local.ctx, entity))
  })

  it('refuses, before sending anything, what a server cannot do across requests', async () => {
    const many = ['username,email,password', ...Array.from({length: 1001}, (_, i) => `m${i},m${i}@example.com,secret-123`)].join('\n')
    const refusals: [() => Promise<unknown>, RegExp][] = [
      [() => remoteImportFile(client, {entity: 'users', file: file('users.csv', many), atomic: true}), /--atomic over the API takes at most 1000 rows/],
      [() => remoteImportFile(client, {entity: 'users', file: file('users.csv', 'username\n'), resume: true}), /--resume works only where the database is/],
      [() => remoteImportFolder(client, {dir: fs.mkdtempSync(path.join(dir, 'f-')), dryRun: true}), /holds none of/],
    ]
    const withUsers = fs.mkdtempSync(path.join(dir, 'f-'))
    fs.writeFileSync(path.join(withUsers, 'users.csv'), 'username,email,password\nzed,zed@example.com,secret-123\n')
    refusals.push([() => remoteImportFolder(client, {dir: withUsers, atomic: true}), /--atomic of a folder needs one transaction/])
    for (const [work, message] of refusals) {
      const error = await work().catch((e: unknown) => e)
      expect(error).to.be.instanceOf(StayctlError)
      expect((error as StayctlError).message).to.match(message)
    }
    expect(await s.db.models.User.count({where: {username: ['zed', 'm0']}})).to.equal(0)
  })

  it('export: every entity and format, filtered or not, in small pages: the bytes of a local export of the same database', async () => {
    const exportText = async (run: (input: ExportInput) => Promise<unknown>, input: Omit<ExportInput, 'output'>) => {
      const output = path.join(dir, `${++counter}-export.${input.format ?? 'csv'}`)
      const {seconds, ...summary} = (await run({...input, output})) as {seconds: number}
      void seconds
      return {summary: {...summary, output: null}, text: fs.readFileSync(output, 'utf8')}
    }
    const cases: Omit<ExportInput, 'output'>[] = [
      ...IMPORT_ENTITIES.flatMap((entity) => (['csv', 'json', 'ndjson'] as const).map((format) => ({entity, format, pageSize: 2}))),
      {entity: 'users', includePasswordHashes: true, pageSize: 1},
      {entity: 'bookings', where: ['status=confirmed', 'propertyOwner=hana.host'], format: 'json'},
      {entity: 'payments', where: ['kind=refund']},
    ]
    for (const input of cases) {
      const here = await exportText((i) => exportEntity(s.ctx, i), input)
      const there = await exportText((i) => remoteExportEntity(client, i), input)
      expect(there, JSON.stringify(input)).to.deep.equal(here)
    }
    // Errors: the same messages and kinds.
    for (const input of [{entity: 'guests'}, {entity: 'users', where: ['shoeSize=42']}, {entity: 'users', where: ['isActive=maybe']}, {entity: 'users', format: 'xml'}]) {
      const output = path.join(dir, `${++counter}.csv`)
      const here = (await exportEntity(s.ctx, {...input, output}).catch((e: unknown) => e)) as StayctlError
      const there = (await remoteExportEntity(client, {...input, output}).catch((e: unknown) => e)) as StayctlError
      expect([there.kind, there.message]).to.deep.equal([here.kind, here.message])
      expect(fs.existsSync(output)).to.equal(false)
    }
  })

  it('a non-admin may neither import nor export over the API (exit 6), and the server says so', async () => {
    const {createToken} = await import('../../src/services/auth.js')
    const hostCtx = testContext(s.db, {actor: {name: host, userId: s.ids.users.host, isAdmin: false}})
    const token = (await createToken(hostCtx, {name: 'host'})).token
    const asHost = createClient({url: s.url, token, timeoutMs: 20_000})
    const imported = (await remoteImportFile(asHost, {entity: 'users', file: file('users.csv', 'username,email,password\nh1,h1@example.com,secret-123\n')}).catch((e: unknown) => e)) as StayctlError
    expect([imported.kind, imported.exitCode, imported.message]).to.deep.equal(['FORBIDDEN', 6, 'only admins may import data'])
    const exported = (await remoteExportEntity(asHost, {entity: 'users', output: path.join(dir, 'h.csv')}).catch((e: unknown) => e)) as StayctlError
    expect([exported.kind, exported.message]).to.deep.equal(['FORBIDDEN', 'only admins may export data'])
  })
})
