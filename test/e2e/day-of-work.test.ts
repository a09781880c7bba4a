/**
 * Acceptance 2 of remote mode: a day of admin work through the built binary, once on a local
 * database and once with --api against `stayctl serve` (in this process, on a database of the
 * same kind), starting from the same state (one admin). Users, a listing, bookings, a payment,
 * a partial refund and its replay, a cancellation with the policy's refund, a refused
 * overlapping booking, an import with bad rows, an export, and the lists at the end of the day:
 * every --json output and exit code, the import's error file and the exported file are the same
 * both ways, apart from ids, timestamps and generated refund transaction ids.
 * Build first (npm test does).
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {createUser} from '../../src/services/users.js'
import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {testDialect, withDb, type TestDatabase} from '../support/db.js'
import {TODAY, day, testContext} from '../support/fixtures.js'
import {startTestServer, type TestServer} from '../support/graphql.js'
import {useScratch} from '../support/scratch.js'
import {removeHome} from './helpers.js'

const ADMIN = {username: 'root.admin', email: 'root@example.com', password: 'root-password-1', isAdmin: true}

interface Step {
  title: string
  args: string[]
  input?: string
  /** The exit code the step must end with (both ways). */
  exit: number
}

interface StepRecord {
  title: string
  code: number
  output: unknown
}

const TIME_KEYS = new Set(['createdAt', 'updatedAt', 'paymentDate', 'expiresAt', 'lastUsedAt', 'revokedAt', 'at'])
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z/g
const REFUND_ID = /re_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

/** A JSON output with its ids, timestamps, timings and the run's folder replaced by placeholders. */
function normalise(value: unknown, dir: string, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, dir))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, dir, k)]))
  }
  if (typeof value === 'number' && (key === 'id' || key.endsWith('Id'))) return '<id>'
  if (typeof value === 'number' && key === 'seconds') return '<seconds>'
  if (typeof value === 'string' && key === 'nextCursor') return '<cursor>'
  if (typeof value === 'string' && TIME_KEYS.has(key)) return '<time>'
  if (typeof value === 'string') return normaliseText(value, dir)
  return value
}

const normaliseText = (text: string, dir: string) => text.split(dir).join('<dir>').replace(ISO_TIME, '<time>').replace(REFUND_ID, 're_<uuid>')

/** The day, run through `run` in `dir`; returns every step's exit code and JSON, and the files it wrote. */
async function workDay(run: (args: string[], input?: string) => Promise<CliResult>, dir: string) {
  const records: StepRecord[] = []
  const json = async (step: Step) => {
    const result = await run([...step.args, '--json'], step.input)
    let output: unknown
    try {
      output = JSON.parse(result.stdout)
    } catch {
      throw new Error(`${step.title}: stdout is not JSON (exit ${result.code})\n${result.stdout}\n${result.stderr}`)
    }
    expect(result.code, `${step.title}\n${result.stdout}\n${result.stderr}`).to.equal(step.exit)
    expect(result.stderr, step.title).not.to.match(/stay_[st]_/)
    records.push({title: step.title, code: result.code, output: normalise(output, dir)})
    return output as {id: number; booking?: {id: number}}
  }

  const user = (username: string, first: string) => ({
    title: `users create ${username}`,
    args: ['users', 'create', '--username', username, '--email', `${username}@example.com`, '--first-name', first, '--password-stdin'],
    input: `${username}-password-1\n`,
    exit: 0,
  })
  await json(user('alice', 'Alice'))
  await json(user('bob', 'Bob'))
  await json(user('carol', 'Carol'))
  await json({
    title: 'properties create',
    args: ['properties', 'create', '--owner', 'alice', '--name', 'Sea View', '--address', '1 Shore Road, Brighton', '--price', '120.00', '--policy', 'flexible', '--description', 'Two rooms, a balcony'],
    exit: 0,
  })
  const booking = (guest: string, from: number, to: number, ref?: string, exit = 0): Step => ({
    title: `bookings create ${guest} ${from}-${to}`,
    args: ['bookings', 'create', '--property', 'Sea View', '--guest', guest, '--from', day(from), '--to', day(to), ...(ref ? ['--external-ref', ref] : [])],
    exit,
  })
  const bobs = await json(booking('bob', 10, 13, 'BK-BOB'))
  await json({title: 'bookings confirm BK-BOB', args: ['bookings', 'confirm', 'BK-BOB'], exit: 0})
  const carols = await json(booking('carol', 20, 24, 'BK-CAROL'))
  await json({title: 'bookings confirm BK-CAROL', args: ['bookings', 'confirm', 'BK-CAROL'], exit: 0})
  await json(booking('carol', 11, 12, undefined, 5))

  await json({title: 'payments record bob', args: ['payments', 'record', '--booking', String(bobs.id), '--amount', '360.00', '--transaction-id', 'tx-bob'], exit: 0})
  const refund = ['payments', 'refund', 'tx-bob', '--amount', '60.00', '--reason', 'late check-in', '--idempotency-key', 'refund-bob-1', '--yes']
  await json({title: 'payments refund (partial)', args: refund, exit: 0})
  await json({title: 'payments refund (replayed)', args: refund, exit: 0})
  await json({title: 'payments refund (too much)', args: ['payments', 'refund', 'tx-bob', '--amount', '400.00', '--yes'], exit: 5})
  await json({title: 'payments record carol', args: ['payments', 'record', '--booking', String(carols.id), '--amount', '480.00', '--transaction-id', 'tx-carol'], exit: 0})
  await json({title: 'bookings cancel BK-CAROL', args: ['bookings', 'cancel', 'BK-CAROL', '--reason', 'plans changed', '--yes'], exit: 0})

  const importFile = path.join(dir, 'staff.csv')
  fs.writeFileSync(
    importFile,
    [
      'username,email,password,first_name',
      'dave,dave@example.com,dave-password-1,Dave',
      'erin,erin@example.com,short,Erin',
      'alice,alice2@example.com,alice-password-2,Alice',
      'frank,FRANK@example.com,frank-password-1,"Frank, Jr."',
      'gina,gina@example.com',
      'dave,dave2@example.com,dave-password-2,Dave',
    ].join('\r\n') + '\r\n',
  )
  await json({title: 'import users', args: ['import', 'users', importFile], exit: 8})

  const exportFile = path.join(dir, 'bookings.csv')
  await json({title: 'export bookings', args: ['export', 'bookings', '--output', exportFile], exit: 0})
  await json({title: 'export users (where)', args: ['export', 'users', '--where', 'isActive=true', '--format', 'ndjson', '--output', path.join(dir, 'users.ndjson')], exit: 0})

  await json({title: 'bookings list', args: ['bookings', 'list', '--sort', 'startDate'], exit: 0})
  await json({title: 'payments list', args: ['payments', 'list'], exit: 0})
  await json({title: 'users list', args: ['users', 'list', '--sort', 'username'], exit: 0})
  await json({title: 'properties show', args: ['properties', 'show', 'Sea View'], exit: 0})
  await json({title: 'bookings show BK-BOB', args: ['bookings', 'show', 'BK-BOB'], exit: 0})

  const files = Object.fromEntries(
    ['staff.csv.errors.csv', 'bookings.csv', 'users.ndjson'].map((name) => [name, normaliseText(fs.readFileSync(path.join(dir, name), 'utf8'), dir)]),
  )
  return {records, files}
}

describe(`e2e: a day of admin work, locally and with --api (${testDialect})`, function () {
  this.timeout(300_000)
  const local = useScratch({per: 'suite', database: 'e2e_day_local', open: false})
  /** The folders each side works in. */
  const localFolder = useScratch({per: 'test', folder: 'stayctl-day-local-'})
  const remoteFolder = useScratch({per: 'test', folder: 'stayctl-day-remote-'})
  let localDb: TestDatabase
  let server: TestServer
  let savedToday: string | undefined
  const homes: NodeJS.ProcessEnv[] = []

  before(async () => {
    savedToday = process.env.STAYCTL_TODAY
    // The server runs in this process: it must see the same calendar as the CLI runs.
    process.env.STAYCTL_TODAY = TODAY
    localDb = local.database
    await withDb(localDb, (db) => createUser(testContext(db), ADMIN))
    server = await startTestServer('e2e_day_server')
    await createUser(server.ctx, ADMIN)
  })
  after(async () => {
    if (savedToday === undefined) delete process.env.STAYCTL_TODAY
    else process.env.STAYCTL_TODAY = savedToday
    await server?.stop()
    for (const env of homes) removeHome(env)
  })

  it('gives the same --json outputs, exit codes, error file and exported files both ways', async () => {
    const localEnv = isolatedEnv({STAYCTL_DATABASE_URL: localDb.url, STAYCTL_TODAY: TODAY, STAYCTL_ACTOR: 'e2e'})
    const remoteEnv = isolatedEnv({STAYCTL_TODAY: TODAY})
    homes.push(localEnv, remoteEnv)
    const login = await runCli(['login', '--api', server.url, '--username', ADMIN.username, '--password-stdin'], {env: remoteEnv, input: ADMIN.password})
    expect(login.code, login.stderr).to.equal(0)

    const localDir = localFolder.dir
    const remoteDir = remoteFolder.dir
    const here = await workDay((args, input) => runCli(args, {env: localEnv, input}), localDir)
    const there = await workDay((args, input) => runCli([...args, '--api', server.url], {env: remoteEnv, input}), remoteDir)

    expect(there.records.map((r) => r.title)).to.deep.equal(here.records.map((r) => r.title))
    for (const [i, record] of here.records.entries()) {
      expect(there.records[i], record.title).to.deep.equal(record)
    }
    expect(there.files).to.deep.equal(here.files)

    // The day did what it says (so that two equally wrong runs cannot pass).
    const byTitle = (title: string) => here.records.find((r) => r.title === title)!.output as Record<string, unknown>
    expect(byTitle('payments refund (partial)')).to.deep.include({remaining: '300.00', replayed: false})
    expect(byTitle('payments refund (replayed)')).to.deep.include({remaining: '300.00', replayed: true})
    expect(byTitle('bookings cancel BK-CAROL')).to.deep.include({refundMode: 'policy', refunded: '480.00'})
    expect(byTitle('import users')).to.deep.include({read: 6, inserted: 2, rejected: 4, errorsFile: '<dir>/staff.csv.errors.csv'})
    expect((byTitle('bookings create carol 11-12') as {error: {code: string}}).error.code).to.equal('CONFLICT')
    expect(here.files['bookings.csv'].trimEnd().split('\r\n')).to.have.length(3)
    expect(here.files['staff.csv.errors.csv'].trimEnd().split('\r\n')).to.have.length(5)
  })
})
