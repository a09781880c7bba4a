/**
 * Acceptance 3: no command, in any output format, prints a password or a password hash.
 * Users are created and changed through the binary with known passwords; then every command
 * that shows user data runs as a table, with --json, --csv and --columns naming every
 * column, and neither stdout nor stderr may hold a password, a stored hash or anything that
 * looks like bcrypt. Asking for the hash as a column is an error, not a leak.
 */
import {randomBytes} from 'node:crypto'

import {expect} from 'chai'

import {auditColumns, bookingColumns, paymentColumns, propertyColumns, reviewColumns, userColumns} from '../../src/cli/columns.js'
import type {Db} from '../../src/db/index.js'
import type {CliResult} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {cli, cliEnv, removeHome, testBackend} from './helpers.js'

const BCRYPT = /\$2[abxy]\$/

/** A password no other output could contain by chance. */
function password(label: string): string {
  return `${label}-${randomBytes(9).toString('base64url')}-Pw!`
}

interface Fixture {
  propertyId: number
  bookingId: number
  chargeId: number
  refundId: number
}

interface Case {
  label: string
  args: (f: Fixture) => string[]
  input?: string
  exit: number
  env?: NodeJS.ProcessEnv
}

/** Every output format of a list command: table, JSON, CSV, and all columns by name. */
function listCases(command: string[], columns: Record<string, unknown>, filters: (f: Fixture) => string[] = () => []): Case[] {
  const all = Object.keys(columns).join(',')
  const label = command.join(' ')
  return [
    {label: `${label} (table)`, args: (f) => [...command, ...filters(f)], exit: 0},
    {label: `${label} --json`, args: (f) => [...command, ...filters(f), '--json'], exit: 0},
    {label: `${label} --csv`, args: (f) => [...command, ...filters(f), '--csv'], exit: 0},
    {label: `${label} --columns <all>`, args: (f) => [...command, ...filters(f), '--columns', all], exit: 0},
    {label: `${label} --columns <all> --csv`, args: (f) => [...command, ...filters(f), '--columns', all, '--csv'], exit: 0},
    {label: `${label} --columns passwordHash`, args: (f) => [...command, ...filters(f), '--columns', 'passwordHash'], exit: 2},
    {label: `${label} --columns id,password_hash --csv`, args: (f) => [...command, ...filters(f), '--columns', 'id,password_hash', '--csv'], exit: 2},
    {label: `${label} --columns password --json`, args: (f) => [...command, ...filters(f), '--columns', 'password', '--json'], exit: 2},
  ]
}

function showCases(command: string[], what: string, ref: (f: Fixture) => string): Case[] {
  const label = `${command.join(' ')} ${what}`
  return [
    {label: `${label} (table)`, args: (f) => [...command, ref(f)], exit: 0},
    {label: `${label} --json`, args: (f) => [...command, ref(f), '--json'], exit: 0},
  ]
}

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))))
  return results
}

describe(`e2e: no command prints a password or its hash (${testDialect})`, function () {
  this.timeout(300_000)

  const scratch = useScratch({per: 'suite', database: 'nosecrets'})
  let db: Db
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>
  const fixture = {} as Fixture
  /** Every password set and every hash stored, collected as the test goes. */
  const secrets = new Set<string>()
  const passwords = {
    alice: password('alice'),
    bob: password('bob'),
    carol: password('carol'),
    erin: password('erin'),
    dave: password('dave'),
    frank: password('frank'),
    host: password('host'),
    aliceNew: password('alice2'),
    bobNew: password('bob2'),
  }

  /** The stored hash of a user, remembered as a secret (whole, and its salt and digest). */
  async function rememberHash(username: string) {
    const user = await db.models.User.findOne({where: {username}})
    const hash = user!.passwordHash
    expect(hash).to.match(/^\$2[aby]\$04\$/)
    secrets.add(hash)
    secrets.add(hash.slice(7, 29))
    secrets.add(hash.slice(29))
  }

  function expectNoSecrets(result: CliResult, label: string) {
    const output = `${result.stdout}\n${result.stderr}`
    expect(output, `${label}: bcrypt marker`).not.to.match(BCRYPT)
    for (const secret of secrets) expect(output.includes(secret), `${label} printed the secret "${secret}"\n${output}`).to.equal(false)
  }

  async function check(c: Case) {
    const result = await run(c.args(fixture), {input: c.input, env: c.env})
    expect(result.code, `${c.label}\n${result.stdout}\n${result.stderr}`).to.equal(c.exit)
    expectNoSecrets(result, c.label)
    return result
  }

  before(() => {
    ;({db, database} = scratch)
    env = cliEnv(database)
    scratch.defer(() => removeHome(env))
    run = cli(env)
    for (const value of Object.values(passwords)) secrets.add(value)
  })

  describe('commands that change users', () => {
    const create = (name: string, json: boolean): Case => ({
      label: `users create ${name}${json ? ' --json' : ''}`,
      args: () => ['users', 'create', '--username', name, '--email', `${name}@example.com`, '--first-name', name, '--password-stdin', ...(json ? ['--json'] : [])],
      input: `${passwords[name as keyof typeof passwords]}\n`,
      exit: 0,
    })
    const cases: Case[] = [
      create('alice', false),
      create('bob', true),
      create('carol', false),
      create('erin', true),
      create('dave', false),
      create('frank', true),
      {...create('host', false), env: {STAYCTL_LOG_SQL: '1'}, label: 'users create host with STAYCTL_LOG_SQL=1'},
      // --upsert updates users with statements that hold their new hashes.
      {
        label: 'import users --upsert with STAYCTL_LOG_SQL=1',
        args: () => ['import', 'users', '-', '--format', 'csv', '--upsert'],
        input: `username,email,first_name,password\ncarol,carol@example.com,carol,${passwords.carol}\n`,
        exit: 0,
        env: {STAYCTL_LOG_SQL: '1'},
      },
    ]
    for (const c of cases) it(c.label, () => check(c))

    it('stores bcrypt hashes (remembered as secrets from here on)', async () => {
      for (const name of ['alice', 'bob', 'carol', 'erin', 'dave', 'frank', 'host']) await rememberHash(name)
    })

    it('prepares a property, bookings, a charge, a refund and a review (services)', async () => {
      const backend = testBackend(db)
      const property = await backend.properties.create({owner: 'host', name: 'Quiet flat', address: '3 Secret St', pricePerNight: '50.00'})
      const booking = await backend.bookings.create({property: property.id, guest: 'alice', startDate: '2099-06-01', endDate: '2099-06-04'})
      const charge = await backend.payments.record({bookingId: booking.id, amount: '150.00', transactionId: 'ch_secret_1'})
      const refund = await backend.payments.refund(charge.id, {amount: '20', reason: 'noise'})
      const past = await backend.bookings.create({property: property.id, guest: 'bob', startDate: '2020-01-01', endDate: '2020-01-03', allowPast: true})
      await backend.bookings.confirm(past.id)
      await backend.reviews.create({property: property.id, reviewer: 'bob', rating: 4, comment: 'fine'})
      Object.assign(fixture, {propertyId: property.id, bookingId: booking.id, chargeId: charge.id, refundId: refund.refund.id})
    })

    const changes: Case[] = [
      {label: 'users update (table)', args: () => ['users', 'update', 'alice', '--last-name', 'Liddell', '--email', 'alice@wonder.example'], exit: 0},
      {label: 'users update --json', args: () => ['users', 'update', 'bob', '--last-name', 'Builder', '--admin', '--json'], exit: 0},
      {label: 'users set-password (table)', args: () => ['users', 'set-password', 'alice', '--password-stdin'], input: passwords.aliceNew, exit: 0},
      {label: 'users set-password --json with STAYCTL_LOG_SQL=1', args: () => ['users', 'set-password', 'bob', '--password-stdin', '--json'], input: passwords.bobNew, exit: 0, env: {STAYCTL_LOG_SQL: '1'}},
      {label: 'users deactivate (table)', args: () => ['users', 'deactivate', 'alice'], exit: 0},
      {label: 'users deactivate --json', args: () => ['users', 'deactivate', 'bob', '--json'], exit: 0},
      {label: 'users activate (table)', args: () => ['users', 'activate', 'alice'], exit: 0},
      {label: 'users activate --json', args: () => ['users', 'activate', 'bob', '--json'], exit: 0},
      {label: 'users delete (table)', args: () => ['users', 'delete', 'dave', '--yes'], exit: 0},
      {label: 'users delete --json', args: () => ['users', 'delete', 'frank', '--yes', '--json'], exit: 0},
      {label: 'users delete refused (table)', args: () => ['users', 'delete', 'alice', '--yes'], exit: 5},
      {label: 'users delete refused --json', args: () => ['users', 'delete', 'alice', '--yes', '--json'], exit: 5},
      {label: 'users erase (table)', args: () => ['users', 'erase', 'carol', '--yes'], exit: 0},
      {label: 'users erase --json', args: () => ['users', 'erase', 'erin', '--yes', '--json'], exit: 0},
    ]
    for (const c of changes) it(c.label, () => check(c))

    it('stores the new hashes (remembered as secrets too)', async () => {
      await rememberHash('alice')
      await rememberHash('bob')
    })

    const refusals: Case[] = [
      {label: 'users create with a taken username', args: () => ['users', 'create', '--username', 'alice', '--email', 'other@example.com', '--password-stdin'], input: passwords.alice, exit: 5},
      {label: 'users create with a taken email --json', args: () => ['users', 'create', '--username', 'alice3', '--email', 'BOB@example.com', '--password-stdin', '--json'], input: passwords.bob, exit: 5},
      {label: 'users create with a 73-byte password', args: () => ['users', 'create', '--username', 'longpw', '--email', 'longpw@example.com', '--password-stdin'], input: `${passwords.alice}${'x'.repeat(73)}`.slice(0, 73), exit: 3},
      {label: 'users set-password too short --json', args: () => ['users', 'set-password', 'alice', '--password-stdin', '--json'], input: 'short', exit: 3},
      {label: 'users set-password of nobody', args: () => ['users', 'set-password', 'nobody', '--password-stdin'], input: passwords.aliceNew, exit: 4},
      {label: 'users list --sort passwordHash', args: () => ['users', 'list', '--sort', 'passwordHash'], exit: 3},
      {label: 'users list --search by hash prefix --json', args: () => ['users', 'list', '--search', '$2b$04$', '--json'], exit: 0},
    ]
    for (const c of refusals) it(c.label, () => check(c))
  })

  describe('commands that show user data, in every format', () => {
    const cases: Case[] = [
      ...listCases(['users', 'list'], userColumns),
      ...listCases(['users', 'list'], userColumns, () => ['--search', 'alice']).slice(0, 3).map((c) => ({...c, label: `${c.label} --search`})),
      ...showCases(['users', 'show'], 'alice', () => 'alice'),
      ...showCases(['users', 'show'], 'by email', () => 'BOB@example.com'),
      {label: 'users show with STAYCTL_LOG_SQL=1', args: () => ['users', 'show', 'alice', '--json'], exit: 0, env: {STAYCTL_LOG_SQL: '1'}},
      ...listCases(['audit', 'list'], auditColumns, () => ['--limit', '1000']),
      ...listCases(['audit', 'list'], auditColumns, () => ['--entity', 'user']).slice(0, 2).map((c) => ({...c, label: `${c.label} --entity user`})),
      ...listCases(['properties', 'list'], propertyColumns),
      ...showCases(['properties', 'show'], 'property', (f) => String(f.propertyId)),
      ...listCases(['bookings', 'list'], bookingColumns),
      ...showCases(['bookings', 'show'], 'booking', (f) => String(f.bookingId)),
      ...listCases(['payments', 'list'], paymentColumns),
      ...showCases(['payments', 'show'], 'charge', (f) => String(f.chargeId)),
      ...showCases(['payments', 'show'], 'refund', (f) => String(f.refundId)),
      ...listCases(['reviews', 'list'], reviewColumns),
    ]
    // The changes above are done by now; run the reads four at a time, then judge each.
    const results = new Map<string, CliResult>()
    expect(new Set(cases.map((c) => c.label)).size, 'case labels are unique').to.equal(cases.length)
    before(async function () {
      this.timeout(600_000)
      const outputs = await inBatches(cases, 4, (c) => run(c.args(fixture), {env: c.env}))
      cases.forEach((c, i) => results.set(c.label, outputs[i]))
    })

    for (const c of cases) {
      it(c.label, () => {
        const result = results.get(c.label)!
        expect(result.code, `${c.label}\n${result.stdout}\n${result.stderr}`).to.equal(c.exit)
        expectNoSecrets(result, c.label)
        if (c.exit === 2) expect(result.stdout + result.stderr).to.match(/unknown column \\?"(passwordHash|password_hash|password)\\?"/)
      })
    }

    it('shows the users it protects (the checks looked at real output)', () => {
      const list = JSON.parse(results.get('users list --json')!.stdout) as {items: {username: string}[]}
      expect(list.items.map((u) => u.username)).to.include.members(['alice', 'bob', 'host', 'erased-3'])
      expect(results.get('users show alice (table)')!.stdout).to.contain('alice@wonder.example')
    })
  })
})
