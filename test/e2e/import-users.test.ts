/**
 * `stayctl import users` as scripts run it (the built bin/run.js in a child process), on the
 * database the suite runs on: a file of 1,000 good rows and bad ones of every kind, and the
 * modes (default, --atomic, --dry-run, --max-errors), stdin, --map, the RFC 4180 details,
 * JSON and NDJSON files, and a header without a required column (issue 4, acceptance 3).
 */
import fs from 'node:fs'
import path from 'node:path'

import bcrypt from 'bcrypt'
import {expect} from 'chai'
import {parse as parseCsv} from 'csv-parse/sync'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const env = isolatedEnv()
let dir: string
const HASH = bcrypt.hashSync('a good password', 4)

interface Bad {
  line: number
  field: string
  reason: RegExp
}

interface UsersFile {
  text: string
  /** The rejections expected, in line order. */
  bad: Bad[]
  good: number
  /** Per data record in file order: is it good? (for reasoning about batches) */
  records: boolean[]
}

/**
 * 1,000 good rows (a few with plain passwords, one with a line break in a quoted name) and
 * bad ones between them; a row with a quote left open comes last, as it swallows the rest.
 */
function usersFile(): UsersFile {
  const lines = ['username,email,firstName,lastName,password,passwordHash']
  const bad: Bad[] = []
  const records: boolean[] = []
  let line = 2
  const lineOf = new Map<string, number>()
  const add = (row: string, problem?: Omit<Bad, 'line'>) => {
    lineOf.set(row.split(',')[0], line)
    if (problem) bad.push({line, ...problem})
    records.push(!problem)
    lines.push(row)
    line += row.split('\n').length
  }
  const badRows: Record<number, [string, Omit<Bad, 'line'>]> = {
    100: ['nomail,not-an-email,No,Mail,,' + HASH, {field: 'email', reason: /^email "not-an-email" is not a valid address$/}],
    200: ['short,short@example.com,Short,Row,' + HASH, {field: '', reason: /^expected 6 fields \(as in the header\), found 5$/}],
    300: ['badhash,badhash@example.com,Bad,Hash,,$2b$10$tooshort', {field: 'passwordHash', reason: /not a bcrypt hash/}],
    400: ['TAKEN,someone.else@example.com,Taken,Again,,' + HASH, {field: 'username', reason: /^username "TAKEN" already exists$/}],
    500: ['Good0005,other5@example.com,Same,Name,,' + HASH, {field: 'username', reason: /^username "Good0005" repeats line (?<good0005>)$/}],
    600: ['longpass,longpass@example.com,Long,Pass,' + 'p'.repeat(73) + ',', {field: 'password', reason: /^password is 73 bytes long/}],
    700: ['nodot,nodot@example,No,Dot,,' + HASH, {field: 'email', reason: /^email "nodot@example" is not a valid address$/}],
  }
  for (let i = 1; i <= 1000; i++) {
    const n = String(i).padStart(4, '0')
    const last = i === 50 ? '"Two\nLines"' : i === 60 ? '"Smith, Jr."' : `Last${n}`
    const secret = i % 250 === 0 ? `plain password ${n},` : `,${HASH}`
    add(`good${n},good${n}@example.com,First${n},${last},${secret}`)
    if (badRows[i]) add(...badRows[i])
  }
  add('openquote,open@example.com,"Never closed,x,,' + HASH, {field: '', reason: /^a quoted field opened here is never closed, so the rest of the file \(to line \d+\) could not be read$/})
  // The quote swallows this line too: nothing after it is read.
  lines.push('after,after@example.com,After,Quote,,' + HASH)
  for (const b of bad) b.reason = new RegExp(b.reason.source.replace('(?<good0005>)', String(lineOf.get('good0005'))))
  const text = lines.join('\n') + '\n'
  const total = text.split('\n').length - 1
  bad.at(-1)!.reason = new RegExp(bad.at(-1)!.reason.source.replace('\\d+', String(total)))
  return {text, bad, good: 1000, records}
}

const file = usersFile()
let usersCsv: string

interface Summary {
  read: number
  inserted: number
  updated: number
  rejected: number
  skipped: number
  committed: boolean
  stoppedEarly: boolean
  dryRun: boolean
  atomic: boolean
  errorsFile?: string | null
}

interface ErrorRow {
  line: number
  field: string
  reason: string
  row: string
}

function readErrors(errorsPath: string): ErrorRow[] {
  if (errorsPath.endsWith('.ndjson')) {
    return fs
      .readFileSync(errorsPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const o = JSON.parse(l) as {line: number; field: string | null; reason: string; row: unknown}
        return {line: o.line, field: o.field ?? '', reason: o.reason, row: JSON.stringify(o.row)}
      })
  }
  const rows = parseCsv(fs.readFileSync(errorsPath, 'utf8'), {columns: true}) as Record<string, string>[]
  return rows.map((r) => ({line: Number(r.line), field: r.field, reason: r.reason, row: r.row}))
}

function expectRejections(errors: ErrorRow[], bad: Bad[]) {
  expect(errors.map((e) => e.line), JSON.stringify(errors, null, 1)).to.deep.equal(bad.map((b) => b.line))
  errors.forEach((error, i) => {
    expect(error.field, `line ${error.line}`).to.equal(bad[i].field)
    expect(error.reason, `line ${error.line}`).to.match(bad[i].reason)
  })
}

async function count(db: Db, sql: string, replacements: unknown[] = []): Promise<number> {
  const [row] = await db.sequelize.query<{n: number}>(sql, {type: QueryTypes.SELECT, replacements})
  return Number(row.n)
}

describe(`stayctl import users (e2e, ${testDialect})`, function () {
  this.timeout(180_000)

  const temp = useScratch({per: 'suite', folder: 'stayctl-import-users-'})
  const scratch = useScratch({per: 'test', database: 'import_users'})
  let database: TestDatabase
  let db: Db
  const stayctl = (args: string[], input?: string): Promise<CliResult> =>
    runCli(['import', 'users', ...args, '--database-url', database.url], {env, input, timeoutMs: 120_000})
  const json = (result: CliResult) => JSON.parse(result.stdout) as Summary
  const users = () => count(db, 'SELECT COUNT(*) AS n FROM users')

  before(() => {
    dir = temp.dir
    usersCsv = path.join(dir, 'users.csv')
    fs.writeFileSync(usersCsv, file.text)
  })
  /** A fresh database holding one user, "taken". */
  beforeEach(async () => {
    ;({database, db} = scratch)
    await db.models.User.create({username: 'taken', email: 'taken@example.com', passwordHash: HASH})
  })

  it('imports the 1,000 good rows, writes each bad one with its line and reason, and exits 8', async () => {
    const errorsPath = path.join(dir, 'default.errors.csv')
    const result = await stayctl([usersCsv, '--errors', errorsPath, '--json'])
    expect(result.code, result.stderr).to.equal(8)
    const summary = json(result)
    expect(summary).to.include({inserted: 1000, updated: 0, rejected: file.bad.length, committed: true, stoppedEarly: false})
    expect(summary.read).to.equal(file.records.length)
    expect(summary.errorsFile).to.equal(errorsPath)
    expectRejections(readErrors(errorsPath), file.bad)
    expect(await users()).to.equal(1001)

    // What was written: names as in the file, emails lower-case, plain passwords hashed.
    const [fifty] = await db.models.User.findAll({where: {username: 'good0050'}})
    expect(fifty.lastName).to.equal('Two\nLines')
    const [sixty] = await db.models.User.findAll({where: {username: 'good0060'}})
    expect(sixty.lastName).to.equal('Smith, Jr.')
    const [plain] = await db.models.User.findAll({where: {username: 'good0250'}})
    expect(await bcrypt.compare('plain password 0250', plain.passwordHash)).to.equal(true)
    expect(await count(db, "SELECT COUNT(*) AS n FROM users WHERE email IN ('other5@example.com', 'someone.else@example.com')")).to.equal(0)
    // One audit event per batch: the first batch holds at most 1,000 records, the second the other 8.
    const events = await db.models.AuditEvent.findAll({where: {action: 'import.batch'}, order: [['id', 'ASC']]})
    const changes = events.map((e) => (typeof e.changes === 'string' ? JSON.parse(e.changes) : e.changes) as Record<string, unknown>)
    expect(changes.map((c) => [c.file, c.inserted])).to.deep.equal([
      ['users.csv', 1000 - file.records.slice(0, 1000).filter((good) => !good).length],
      ['users.csv', file.records.slice(1000).filter(Boolean).length],
    ])
  })

  it('writes the error file of a file only its owner may read (the rows hold passwords) for its owner alone', async () => {
    const secret = path.join(dir, 'owner-only.csv')
    fs.writeFileSync(secret, 'username,email,password\nowner.only,not-an-email,An-owner-only-password-1\n')
    fs.chmodSync(secret, 0o600)
    const result = await stayctl([secret])
    expect(result.code, result.stderr).to.equal(8)
    expect(fs.readFileSync(`${secret}.errors.csv`, 'utf8')).to.include('An-owner-only-password-1')
    expect((fs.statSync(`${secret}.errors.csv`).mode & 0o777).toString(8)).to.equal('600')
  })

  it('in batches of 100 (two in flight on MySQL) finds the same rows, a repeat in another batch as existing', async () => {
    const errorsPath = path.join(dir, 'small.errors.csv')
    const result = await stayctl([usersCsv, '--batch-size', '100', '--errors', errorsPath, '--json'])
    expect(result.code, result.stderr).to.equal(8)
    expect(json(result)).to.include({inserted: 1000, rejected: file.bad.length})
    const bad = file.bad.map((b) => (b.field === 'username' && /Good0005/.test(b.reason.source) ? {...b, reason: /^username "Good0005" already exists$/} : b))
    expectRejections(readErrors(errorsPath), bad)
    expect(await users()).to.equal(1001)
    expect(await count(db, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'import.batch'")).to.equal(11)
  })

  it('reports the same rows in an NDJSON error file', async () => {
    const errorsPath = path.join(dir, 'default.errors.ndjson')
    const result = await stayctl([usersCsv, '--errors', errorsPath])
    expect(result.code, result.stderr).to.equal(8)
    expect(result.stdout).to.match(/1000 new and 0 updated, 8 rejected/)
    const errors = readErrors(errorsPath)
    expectRejections(errors, file.bad)
    expect(JSON.parse(errors[0].row)).to.deep.equal(['nomail', 'not-an-email', 'No', 'Mail', '', HASH])
  })

  it('--atomic imports nothing when a row is rejected, and exits 8', async () => {
    const errorsPath = path.join(dir, 'atomic.errors.csv')
    const result = await stayctl([usersCsv, '--atomic', '--errors', errorsPath, '--json'])
    expect(result.code, result.stderr).to.equal(8)
    expect(json(result)).to.include({inserted: 0, rejected: file.bad.length, committed: false, atomic: true})
    expectRejections(readErrors(errorsPath), file.bad)
    expect(await users()).to.equal(1)
    expect(await count(db, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'import.batch'")).to.equal(0)
  })

  it('--atomic commits a file without rejected rows', async () => {
    const good = path.join(dir, 'good.csv')
    fs.writeFileSync(good, ['username,email,passwordHash', 'ok1,ok1@example.com,' + HASH, 'ok2,ok2@example.com,' + HASH].join('\r\n'))
    const result = await stayctl([good, '--atomic', '--json'])
    expect(result.code, result.stderr).to.equal(0)
    expect(json(result)).to.include({inserted: 2, rejected: 0, committed: true})
    expect(await users()).to.equal(3)
  })

  it('--dry-run writes nothing and reports the same rejections', async () => {
    const errorsPath = path.join(dir, 'dry.errors.csv')
    const result = await stayctl([usersCsv, '--dry-run', '--errors', errorsPath, '--json'])
    expect(result.code, result.stderr).to.equal(8)
    expect(json(result)).to.include({inserted: 1000, rejected: file.bad.length, committed: false, dryRun: true})
    expectRejections(readErrors(errorsPath), file.bad)
    expect(await users()).to.equal(1)
  })

  it('--max-errors 2 stops at the third rejected row; earlier batches stay', async () => {
    const errorsPath = path.join(dir, 'max.errors.csv')
    const result = await stayctl([usersCsv, '--max-errors', '2', '--batch-size', '100', '--errors', errorsPath, '--json'])
    expect(result.code, result.stderr).to.equal(8)
    const summary = json(result)
    expect(summary).to.include({rejected: 3, stoppedEarly: true})
    // The third bad record (a bad hash, found before writing) stops its batch of 100 from being written.
    const third = file.records.findIndex((good, i) => !good && file.records.slice(0, i + 1).filter((g) => !g).length === 3)
    const before = Math.floor(third / 100) * 100
    const written = file.records.slice(0, before).filter(Boolean).length
    expect(summary.inserted).to.equal(written)
    expect(await users()).to.equal(1 + written)
    expectRejections(readErrors(errorsPath), file.bad.slice(0, 3))
  })

  it('--upsert updates users matched by username (any case) and refuses an email that belongs to another', async () => {
    const upsert = path.join(dir, 'upsert.csv')
    const other = bcrypt.hashSync('another password', 4)
    await db.models.User.create({username: 'owner', email: 'owner@example.com', passwordHash: HASH})
    fs.writeFileSync(
      upsert,
      ['username,email,firstName,lastName,passwordHash,isAdmin', `TAKEN,Taken@Example.com,New,Name,${other},yes`, `thief,Owner@example.com,X,Y,${other},`, `newone,newone@example.com,,,${other},`].join('\n'),
    )
    const errorsPath = path.join(dir, 'upsert.errors.csv')
    const result = await stayctl([upsert, '--upsert', '--errors', errorsPath, '--json'])
    expect(result.code, result.stderr).to.equal(8)
    expect(json(result)).to.include({inserted: 1, updated: 1, rejected: 1})
    expect(readErrors(errorsPath).map((e) => [e.line, e.field, e.reason])).to.deep.equal([[3, 'email', 'email "owner@example.com" belongs to user owner']])
    const [taken] = await db.models.User.findAll({where: {username: 'taken'}})
    expect([taken.username, taken.email, taken.firstName, taken.lastName, taken.passwordHash, Boolean(taken.isAdmin)]).to.deep.equal([
      'taken',
      'taken@example.com',
      'New',
      'Name',
      other,
      true,
    ])
    expect(await users()).to.equal(3)
  })

  it('reads stdin ("-") with --format, reporting rejections on stderr without --errors', async () => {
    const result = await stayctl(['-', '--format', 'csv'], file.text)
    expect(result.code, result.stderr).to.equal(8)
    expect(result.stdout).to.match(/1000 new and 0 updated, 8 rejected/)
    for (const bad of file.bad) expect(result.stderr).to.include(`line ${bad.line}: `)
    expect(await users()).to.equal(1001)

    const missing = await stayctl(['-'], file.text)
    expect(missing.code).to.equal(3)
    expect(missing.stderr).to.match(/cannot tell the format of "-"/)
  })

  it('--map maps other column names to fields', async () => {
    const mapped = path.join(dir, 'mapped.csv')
    fs.writeFileSync(mapped, `handle,contact,secret,Given Name\nmapped1,Mapped1@Example.com,${HASH},Ann\n`)
    const result = await stayctl([mapped, '--map', 'handle=username', '--map', 'contact=email', '--map', 'secret=passwordHash', '--json'])
    expect(result.code, result.stderr).to.equal(0)
    expect(json(result)).to.include({inserted: 1, rejected: 0})
    const [user] = await db.models.User.findAll({where: {username: 'mapped1'}})
    expect(user.email).to.equal('mapped1@example.com')
    expect(user.passwordHash).to.equal(HASH)
    expect(user.firstName).to.equal('Ann')
  })

  it('reads RFC 4180 details: quoted commas, doubled quotes, line breaks in fields, CRLF, a BOM', async () => {
    const rfc = path.join(dir, 'rfc.csv')
    const rows = [
      'username,email,firstName,lastName,passwordHash',
      `rfc1,rfc1@example.com,"Comma, Inside","Say ""hello""",${HASH}`,
      `rfc2,rfc2@example.com,"Line\r\nBreak","x",${HASH}`,
      `"rfc3","rfc3@example.com",Ünïcødé,"",${HASH}`,
    ]
    fs.writeFileSync(rfc, '\uFEFF' + rows.join('\r\n') + '\r\n')
    const result = await stayctl([rfc, '--json'])
    expect(result.code, result.stderr).to.equal(0)
    expect(json(result)).to.include({inserted: 3, rejected: 0})
    const found = await db.models.User.findAll({where: {username: ['rfc1', 'rfc2', 'rfc3']}, order: [['username', 'ASC']]})
    expect(found.map((u) => [u.username, u.firstName, u.lastName])).to.deep.equal([
      ['rfc1', 'Comma, Inside', 'Say "hello"'],
      ['rfc2', 'Line\r\nBreak', 'x'],
      ['rfc3', 'Ünïcødé', null],
    ])
  })

  it('imports a JSON array and an NDJSON file, with line numbers for bad records', async () => {
    const jsonFile = path.join(dir, 'users.json')
    fs.writeFileSync(
      jsonFile,
      JSON.stringify([
        {username: 'json1', email: 'json1@example.com', passwordHash: HASH, isAdmin: true, firstName: 'J'},
        {username: 'json2', email: 'not an email', passwordHash: HASH},
        {username: 'json3', email: 'json3@example.com', password: 'a fine password', isActive: false},
      ]),
    )
    const fromJson = await stayctl([jsonFile, '--errors', path.join(dir, 'json.errors.ndjson'), '--json'])
    expect(fromJson.code, fromJson.stderr).to.equal(8)
    expect(json(fromJson)).to.include({inserted: 2, rejected: 1})
    expect(readErrors(path.join(dir, 'json.errors.ndjson')).map((e) => [e.line, e.field])).to.deep.equal([[2, 'email']])
    const [admin] = await db.models.User.findAll({where: {username: 'json1'}})
    expect(Boolean(admin.isAdmin)).to.equal(true)
    const [inactive] = await db.models.User.findAll({where: {username: 'json3'}})
    expect(Boolean(inactive.isActive)).to.equal(false)

    const ndjson = path.join(dir, 'users.ndjson')
    fs.writeFileSync(
      ndjson,
      [
        JSON.stringify({username: 'nd1', email: 'nd1@example.com', passwordHash: HASH}),
        '',
        '{"username": "nd2", broken',
        JSON.stringify({username: 'nd3', email: 'nd3@example.com', passwordHash: HASH}),
        '[1, 2]',
      ].join('\n'),
    )
    const fromNdjson = await stayctl([ndjson, '--errors', path.join(dir, 'nd.errors.csv'), '--json'])
    expect(fromNdjson.code, fromNdjson.stderr).to.equal(8)
    expect(json(fromNdjson)).to.include({inserted: 2, rejected: 2})
    const errors = readErrors(path.join(dir, 'nd.errors.csv'))
    expect(errors.map((e) => e.line)).to.deep.equal([3, 5])
    expect(errors[0].reason).to.match(/^invalid JSON/)
    expect(errors[1].reason).to.equal('each line must be a JSON object')
    expect(await users()).to.equal(5)
  })

  it('a missing file or a folder is a clear exit-3 error', async () => {
    for (const [target, message] of [
      [path.join(dir, 'missing.csv'), /^Error: cannot read .*missing\.csv: no such file$/m],
      [dir, /^Error: cannot read .*: not a file/m],
    ] as const) {
      const result = await stayctl([target, '--format', 'csv'])
      expect(result.code, result.stderr).to.equal(3)
      expect(result.stderr).to.match(message)
    }
    expect(fs.existsSync(path.join(dir, 'missing.csv.errors.csv'))).to.equal(false)
  })

  it('a header without the email column is a clear exit-3 error before any row is written', async () => {
    const noEmail = path.join(dir, 'noemail.csv')
    fs.writeFileSync(noEmail, `username,passwordHash\nnoemail1,${HASH}\nnoemail2,${HASH}\n`)
    const result = await stayctl([noEmail])
    expect(result.code).to.equal(3)
    expect(result.stderr).to.match(/^Error: the file has no column for email; name the column in the header, or map it with --map <column>=email$/m)
    expect(await users()).to.equal(1)
    expect(fs.existsSync(`${noEmail}.errors.csv`)).to.equal(false)
  })
})
