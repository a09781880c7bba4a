/**
 * The commands as users run them: one happy path per topic through the built binary with
 * --json, asserting exit codes and the JSON shapes (the public contract), then the exit
 * codes of failures (not found 4, validation 3, conflict 5, unconfirmed destructive
 * command off a terminal 2), and examples in every command's --help.
 * "Today" is fixed with STAYCTL_TODAY, so policies and eligibility are reproducible.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {isOwnCommand, root} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {BOOKING, REVIEW, cli, cliEnv, errorJson, expectExit, expectShape, okJson, removeHome} from './helpers.js'

const TODAY = '2030-06-15'

const USER = {
  id: 'number',
  username: 'string',
  email: 'string',
  firstName: 'string|null',
  lastName: 'string|null',
  isActive: 'boolean',
  isAdmin: 'boolean',
  createdAt: 'date',
  updatedAt: 'date',
}
const PROPERTY = {
  id: 'number',
  ownerId: 'number',
  name: 'string',
  description: 'string|null',
  address: 'string',
  pricePerNight: 'money',
  cancellationPolicy: 'string',
  isListed: 'boolean',
  createdAt: 'date',
  updatedAt: 'date',
}
const PAYMENT = {
  id: 'number',
  bookingId: 'number',
  kind: 'string',
  amount: 'money',
  status: 'string',
  transactionId: 'string',
  paymentDate: 'date',
  refundOfId: 'number|null',
  reason: 'string|null',
  idempotencyKey: 'string|null',
  createdAt: 'date',
}
const AUDIT_EVENT = {
  id: 'number',
  at: 'date',
  actor: 'string',
  via: 'string',
  action: 'string',
  entity: 'string',
  entityId: 'string|null',
  changes: 'object|null',
}
const PAGE = {items: 'array', nextCursor: 'string|null'}
const ERROR = {code: 'string', message: 'string', exitCode: 'number', suggestion: 'string'}

type Json = Record<string, unknown>
type Page<T = Json> = {items: T[]; nextCursor: string | null}

function expectPage(value: unknown, itemShape: Record<string, string>, label: string): Page {
  expectShape(value, PAGE, label)
  const page = value as Page
  page.items.forEach((item, i) => expectShape(item, itemShape, `${label}.items[${i}]`))
  return page
}

describe(`e2e: commands (${testDialect})`, function () {
  this.timeout(180_000)

  const scratch = useScratch({per: 'suite', database: 'commands'})
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>
  const json = async (args: string[], input?: string) => okJson(await run([...args, '--json'], {input}))
  const ids: Record<string, number> = {}

  before(() => {
    database = scratch.database
    env = cliEnv(database, {STAYCTL_TODAY: TODAY})
    scratch.defer(() => removeHome(env))
    run = cli(env)
  })

  describe('users', () => {
    it('create', async () => {
      for (const [name, extra] of [
        ['host', ['--first-name', 'Hannah', '--last-name', 'Host']],
        ['guest', []],
        ['guest2', []],
        ['temp', []],
        ['gone', []],
        ['pat_o', []],
      ] as const) {
        const user = await json(['users', 'create', '--username', name, '--email', `${name.toUpperCase()}@Example.com`, ...extra, '--password-stdin'], 'correct horse battery\n')
        expectShape(user, USER, 'users create')
        expect(user).to.include({username: name, email: `${name}@example.com`, isActive: true, isAdmin: false})
        ids[name] = user.id as number
      }
    })

    it('list', async () => {
      const page = expectPage(await json(['users', 'list', '--search', 'guest', '--sort', '-username']), USER, 'users list')
      expect(page.items.map((u) => u.username)).to.deep.equal(['guest2', 'guest'])
      expect(page.nextCursor).to.equal(null)
      const first = expectPage(await json(['users', 'list', '--limit', '2']), USER, 'users list --limit')
      expect(first.items).to.have.length(2)
      expect(first.nextCursor).to.be.a('string')
      const next = expectPage(await json(['users', 'list', '--limit', '2', '--cursor', first.nextCursor!]), USER, 'users list --cursor')
      expect(next.items.map((u) => u.id)).to.deep.equal([ids.guest2, ids.temp])
      // % and _ in the search text are matched literally, on both databases.
      expect(((await json(['users', 'list', '--search', '_'])) as Page).items.map((u) => u.username)).to.deep.equal(['pat_o'])
      expect(((await json(['users', 'list', '--search', '%'])) as Page).items).to.deep.equal([])
    })

    it('show (by id, username, email in any case)', async () => {
      for (const ref of [String(ids.host), 'host', 'HOST@example.COM']) {
        const user = await json(['users', 'show', ref])
        expectShape(user, USER, 'users show')
        expect(user).to.include({id: ids.host, firstName: 'Hannah', lastName: 'Host'})
      }
    })

    it('update', async () => {
      const user = await json(['users', 'update', 'guest', '--first-name', 'Gus', '--email', 'gus@example.com'])
      expectShape(user, USER, 'users update')
      expect(user).to.include({firstName: 'Gus', email: 'gus@example.com'})
    })

    it('set-password', async () => {
      const user = await json(['users', 'set-password', 'guest', '--password-stdin'], 'another good password')
      expectShape(user, USER, 'users set-password')
    })

    it('deactivate and activate', async () => {
      expect(await json(['users', 'deactivate', 'guest'])).to.include({isActive: false})
      const user = await json(['users', 'activate', String(ids.guest)])
      expectShape(user, USER, 'users activate')
      expect(user.isActive).to.equal(true)
    })

    it('delete --yes', async () => {
      const result = await json(['users', 'delete', 'temp', '--yes'])
      expectShape(result, {id: 'number', deleted: 'boolean', erased: 'boolean'}, 'users delete')
      expect(result).to.deep.equal({id: ids.temp, deleted: true, erased: false})
      expectExit(await run(['users', 'show', 'temp']), 4)
    })

    it('erase --yes', async () => {
      const result = await json(['users', 'erase', 'gone', '--yes'])
      expectShape(result, {id: 'number', username: 'string', reviewsScrubbed: 'number', auditEventsScrubbed: 'number'}, 'users erase')
      expect(result).to.include({id: ids.gone, username: `erased-${ids.gone}`})
      expect(await json(['users', 'show', String(ids.gone)])).to.include({email: `erased-${ids.gone}@erased.invalid`, isActive: false})
    })
  })

  describe('properties', () => {
    it('create', async () => {
      const property = await json(['properties', 'create', '--owner', 'host', '--name', 'Harbour loft', '--address', '1 Quay St', '--price', '120', '--policy', 'strict', '--description', 'Sea view'])
      expectShape(property, PROPERTY, 'properties create')
      expect(property).to.include({ownerId: ids.host, pricePerNight: '120.00', cancellationPolicy: 'strict', isListed: true})
      ids.loft = property.id as number
      const spare = await json(['listings', 'create', '--owner', String(ids.host), '--name', 'Spare room', '--address', '2 Quay St', '--price', '45.5'])
      expect(spare).to.include({pricePerNight: '45.50', cancellationPolicy: 'moderate'})
      ids.spare = spare.id as number
    })

    it('list (by price and availability)', async () => {
      const page = expectPage(await json(['properties', 'list', '--min-price', '100']), PROPERTY, 'properties list')
      expect(page.items.map((p) => p.id)).to.deep.equal([ids.loft])
      const free = expectPage(await json(['properties', 'list', '--available-from', '2030-06-20', '--available-to', '2030-06-27']), PROPERTY, 'properties list --available-*')
      expect(free.items.map((p) => p.id)).to.deep.equal([ids.loft, ids.spare])
    })

    it('show', async () => {
      const details = await json(['properties', 'show', 'Harbour loft'])
      expectShape(
        details,
        {...PROPERTY, owner: 'object', averageRating: 'number|null', reviewCount: 'number', upcomingBookings: 'array'},
        'properties show',
      )
      expect(details).to.deep.include({owner: {id: ids.host, username: 'host'}, averageRating: null, reviewCount: 0, upcomingBookings: []})
    })

    it('update', async () => {
      const property = await json(['properties', 'update', String(ids.spare), '--price', '50', '--policy', 'flexible'])
      expectShape(property, PROPERTY, 'properties update')
      expect(property).to.include({pricePerNight: '50.00', cancellationPolicy: 'flexible'})
    })

    it('delete --yes', async () => {
      const temp = await json(['properties', 'create', '--owner', 'host', '--name', 'Shed', '--address', '3 Quay St', '--price', '10'])
      const result = await json(['properties', 'delete', String(temp.id), '--yes'])
      expect(result).to.deep.equal({id: temp.id, deleted: true})
      expectExit(await run(['properties', 'show', String(temp.id)]), 4)
    })
  })

  describe('bookings', () => {
    it('create', async () => {
      // Ten days before check-in: the strict policy refunds 50 %.
      const booking = await json(['bookings', 'create', '--property', String(ids.loft), '--guest', 'guest', '--from', '2030-06-25', '--to', '2030-06-30', '--external-ref', 'ext-1'])
      expectShape(booking, BOOKING, 'bookings create')
      expect(booking).to.include({propertyId: ids.loft, guestId: ids.guest, nights: 5, status: 'pending', totalPrice: '600.00', externalRef: 'ext-1'})
      ids.booking = booking.id as number
    })

    it('makes the property unavailable for those dates (check-out exclusive)', async () => {
      const during = (await json(['properties', 'list', '--available-from', '2030-06-29', '--available-to', '2030-07-01'])) as Page
      expect(during.items.map((p) => p.id)).not.to.include(ids.loft)
      const after = (await json(['properties', 'list', '--available-from', '2030-06-30', '--available-to', '2030-07-02'])) as Page
      expect(after.items.map((p) => p.id)).to.include(ids.loft)
    })

    it('list', async () => {
      const page = expectPage(await json(['bookings', 'list', '--property', String(ids.loft)]), BOOKING, 'bookings list')
      expect(page.items.map((b) => b.id)).to.deep.equal([ids.booking])
      expect(expectPage(await json(['bookings', 'list', '--guest', 'guest2']), BOOKING, 'bookings list --guest').items).to.deep.equal([])
    })

    it('confirm', async () => {
      const charge = await json(['payments', 'record', '--booking', String(ids.booking), '--amount', '600', '--transaction-id', 'ch_e2e_1'])
      ids.charge = charge.id as number
      const booking = await json(['bookings', 'confirm', 'ext-1'])
      expectShape(booking, BOOKING, 'bookings confirm')
      expect(booking).to.include({id: ids.booking, status: 'confirmed'})
    })

    it('show', async () => {
      const details = await json(['bookings', 'show', String(ids.booking)])
      expectShape(details, {...BOOKING, property: 'object', guest: 'object', payments: 'array', paid: 'money', refunded: 'money'}, 'bookings show')
      expect(details).to.include({status: 'confirmed', paid: '600.00', refunded: '0.00'})
      expectShape(details.property, {name: 'string'}, 'bookings show .property')
      expectShape(details.guest, {username: 'string'}, 'bookings show .guest')
      // For people: the property's name and the guest's username beside their ids.
      const human = await run(['bookings', 'show', String(ids.booking)])
      expect(human.stdout).to.match(new RegExp(`Property +${(details.property as Json).name} \\(${details.propertyId}\\)`))
      expect(human.stdout).to.match(new RegExp(`Guest +${(details.guest as Json).username} \\(${details.guestId}\\)`))
      expectShape((details.payments as Json[])[0], PAYMENT, 'bookings show .payments[0]')
    })

    it('cancel --refund policy --yes', async () => {
      const result = await json(['bookings', 'cancel', String(ids.booking), '--refund', 'policy', '--yes'])
      expectShape(
        result,
        {booking: 'object', refundMode: 'string', daysBeforeCheckIn: 'number', policyPercent: 'number|null', refunds: 'array', refunded: 'money'},
        'bookings cancel',
      )
      expectShape(result.booking, BOOKING, 'bookings cancel .booking')
      expect(result).to.deep.include({refundMode: 'policy', daysBeforeCheckIn: 10, policyPercent: 50, refunded: '300.00'})
      expect((result.booking as Json).status).to.equal('cancelled')
      const refunds = result.refunds as Json[]
      expect(refunds).to.have.length(1)
      expectShape(refunds[0], PAYMENT, 'bookings cancel .refunds[0]')
      expect(refunds[0]).to.include({kind: 'refund', amount: '300.00', refundOfId: ids.charge, status: 'completed'})
      const charge = await json(['payments', 'show', String(ids.charge)])
      expect(charge).to.include({status: 'completed', refundable: '300.00'})
    })
  })

  describe('reviews', () => {
    it('create (after a confirmed stay that has ended)', async () => {
      const stay = await json(['bookings', 'create', '--property', 'Harbour loft', '--guest', 'guest2', '--from', '2030-06-01', '--to', '2030-06-05', '--allow-past'])
      await json(['bookings', 'confirm', String(stay.id)])
      const review = await json(['reviews', 'create', '--property', String(ids.loft), '--reviewer', 'guest2', '--rating', '4', '--comment', 'Lovely view'])
      expectShape(review, REVIEW, 'reviews create')
      expect(review).to.include({propertyId: ids.loft, reviewerId: ids.guest2, rating: 4, comment: 'Lovely view'})
      ids.review = review.id as number
      expect(await json(['properties', 'show', String(ids.loft)])).to.include({averageRating: 4, reviewCount: 1})
    })

    it('list', async () => {
      const page = expectPage(await json(['reviews', 'list', '--property', String(ids.loft), '--min-rating', '3']), REVIEW, 'reviews list')
      expect(page.items.map((r) => r.id)).to.deep.equal([ids.review])
    })

    it('delete --yes', async () => {
      expect(await json(['reviews', 'delete', String(ids.review), '--yes'])).to.deep.equal({id: ids.review, deleted: true})
      expect(((await json(['reviews', 'list'])) as Page).items).to.deep.equal([])
    })
  })

  describe('payments', () => {
    it('record', async () => {
      const booking = await json(['bookings', 'create', '--property', String(ids.loft), '--guest', 'guest', '--from', '2030-08-01', '--to', '2030-08-03'])
      ids.booking2 = booking.id as number
      const charge = await json(['payments', 'record', '--booking', String(booking.id), '--amount', '240.00', '--transaction-id', 'ch_e2e_2', '--date', '2030-06-15T10:00:00Z'])
      expectShape(charge, PAYMENT, 'payments record')
      expect(charge).to.include({bookingId: booking.id, kind: 'charge', amount: '240.00', status: 'completed', transactionId: 'ch_e2e_2', paymentDate: '2030-06-15T10:00:00.000Z', refundOfId: null})
      ids.charge2 = charge.id as number
    })

    it('show', async () => {
      const details = await json(['payments', 'show', 'ch_e2e_2'])
      expectShape(details, {...PAYMENT, refunds: 'array', refundable: 'money|null'}, 'payments show')
      expect(details).to.deep.include({id: ids.charge2, refunds: [], refundable: '240.00'})
    })

    it('refund (partial, replayed, the rest)', async () => {
      const RESULT = {refund: 'object', charge: 'object', remaining: 'money', replayed: 'boolean'}
      const first = await json(['payments', 'refund', String(ids.charge2), '--amount', '40', '--reason', 'late check-in', '--idempotency-key', 'ticket-1', '--yes'])
      expectShape(first, RESULT, 'payments refund')
      expectShape(first.refund, PAYMENT, 'payments refund .refund')
      expectShape(first.charge, PAYMENT, 'payments refund .charge')
      expect(first).to.include({remaining: '200.00', replayed: false})
      expect(first.refund).to.include({kind: 'refund', amount: '40.00', refundOfId: ids.charge2, reason: 'late check-in', idempotencyKey: 'ticket-1'})

      const again = await json(['payments', 'refund', String(ids.charge2), '--amount', '40', '--idempotency-key', 'ticket-1', '--yes'])
      expect(again).to.include({replayed: true, remaining: '200.00'})
      expect((again.refund as Json).id).to.equal((first.refund as Json).id)

      const rest = await json(['payments', 'refund', 'ch_e2e_2', '--yes'])
      expect(rest).to.include({remaining: '0.00', replayed: false})
      expect(rest.refund).to.include({amount: '200.00'})
      expect(rest.charge).to.include({status: 'refunded'})
    })

    it('show (with refunds) and list', async () => {
      const details = await json(['payments', 'show', String(ids.charge2)])
      expect(details).to.include({status: 'refunded', refundable: '0.00'})
      expect((details.refunds as Json[]).map((r) => r.amount)).to.deep.equal(['40.00', '200.00'])
      const page = expectPage(await json(['payments', 'list', '--booking', String(ids.booking2)]), PAYMENT, 'payments list')
      expect(page.items.map((p) => `${p.kind} ${p.amount}`)).to.deep.equal(['charge 240.00', 'refund 40.00', 'refund 200.00'])
    })
  })

  describe('audit', () => {
    it('list shows every change, newest first, by the OS user through the CLI', async () => {
      const page = expectPage(await json(['audit', 'list', '--entity', 'booking', '--entity-id', String(ids.booking)]), AUDIT_EVENT, 'audit list')
      expect(page.items.map((e) => e.action)).to.deep.equal(['booking.cancel', 'booking.confirm', 'booking.create'])
      for (const event of page.items) expect(event).to.include({actor: 'os:e2e', via: 'cli', entity: 'booking', entityId: String(ids.booking)})
      expect(page.items[0].changes).to.deep.equal({status: {from: 'confirmed', to: 'cancelled'}, refund: 'policy', refunded: '300.00'})
      const payments = expectPage(await json(['audit', 'list', '--action', 'payment.*', '--limit', '100']), AUDIT_EVENT, 'audit list --action')
      // Two charges; three refunds (by policy, partial, the rest); the replay recorded nothing.
      expect(payments.items.map((e) => e.action).sort()).to.deep.equal(['payment.record', 'payment.record', 'payment.refund', 'payment.refund', 'payment.refund'])
    })
  })

  describe('audit --since', () => {
    it('finds what happened after a moment, to the millisecond', async () => {
      const since = new Date().toISOString()
      await json(['users', 'create', '--username', 'latecomer', '--email', 'latecomer@example.com', '--password-stdin'], 'correct horse battery')
      const page = (await json(['audit', 'list', '--since', since])) as Page
      expect(page.items.map((e) => e.action)).to.deep.equal(['user.create'])
      expect(Date.parse(page.items[0].at as string)).to.be.at.least(Date.parse(since))
    })
  })

  describe('exit codes', () => {
    it('4 when the thing named does not exist', async () => {
      for (const args of [
        ['users', 'show', 'nobody'],
        ['properties', 'show', '999999'],
        ['bookings', 'show', 'no-such-ref'],
        ['payments', 'refund', '999999', '--yes'],
        ['bookings', 'create', '--property', String(ids.loft), '--guest', 'nobody@example.com', '--from', '2030-09-01', '--to', '2030-09-02'],
      ]) {
        const error = errorJson(await run([...args, '--json']), 4)
        expectShape({suggestion: '', ...error}, ERROR, `${args.join(' ')} error`)
        expect(error.code).to.equal('NOT_FOUND')
      }
      const plain = expectExit(await run(['users', 'show', 'nobody']), 4)
      expect(plain.stdout).to.equal('')
      expect(plain.stderr).to.equal('Error: no user "nobody"; find users with `stayctl users list --search …`\n')
    })

    it('3 for invalid values', async () => {
      for (const args of [
        ['bookings', 'create', '--property', String(ids.loft), '--guest', 'guest', '--from', '2030-02-30', '--to', '2030-03-02'],
        ['bookings', 'create', '--property', String(ids.loft), '--guest', 'guest', '--from', '2030-06-01', '--to', '2030-06-03'],
        ['properties', 'create', '--owner', 'host', '--name', 'X', '--address', 'Y', '--price', '12.345'],
        ['reviews', 'create', '--property', String(ids.loft), '--reviewer', 'guest2', '--rating', '9'],
        ['payments', 'refund', String(ids.charge), '--amount', 'ten', '--yes'],
        // A negative number after a flag is its value (not a flag swallowed, usage-errors.ts): our check answers.
        ['payments', 'refund', String(ids.charge), '--amount', '-5', '--yes'],
        ['users', 'list', '--sort', 'password'],
      ]) {
        expect(errorJson(await run([...args, '--json']), 3).code, args.join(' ')).to.equal('VALIDATION')
      }
      expectExit(await run(['users', 'create', '--username', 'x y', '--email', 'not-an-email', '--password-stdin'], {input: 'long enough pw'}), 3)
    })

    it('5 for conflicts', async () => {
      for (const args of [
        ['users', 'create', '--username', 'HOST', '--email', 'new@example.com', '--password-stdin'],
        ['bookings', 'confirm', String(ids.booking)],
        ['bookings', 'cancel', String(ids.booking), '--refund', 'none'],
        ['bookings', 'create', '--property', String(ids.loft), '--guest', 'host', '--from', '2030-10-01', '--to', '2030-10-02'],
        ['reviews', 'create', '--property', String(ids.loft), '--reviewer', 'guest', '--rating', '5'],
        ['properties', 'delete', String(ids.loft), '--yes'],
        ['users', 'delete', 'guest', '--yes'],
        ['payments', 'refund', String(ids.charge), '--amount', '300.01', '--yes'],
        ['payments', 'record', '--booking', String(ids.booking2), '--amount', '1', '--transaction-id', 'ch_e2e_2'],
      ]) {
        expect(errorJson(await run([...args, '--json'], {input: 'long enough pw'}), 5).code, args.join(' ')).to.equal('CONFLICT')
      }
      const overlap = expectExit(
        await run(['bookings', 'create', '--property', String(ids.loft), '--guest', 'guest2', '--from', '2030-08-02', '--to', '2030-08-04']),
        5,
      )
      expect(overlap.stderr).to.equal(
        `Error: 2030-08-02 → 2030-08-04 overlaps booking ${ids.booking2} (2030-08-01 → 2030-08-03) of property ${ids.loft}; pick other dates or cancel booking ${ids.booking2}\n`,
      )
    })

    it('2 for a destructive command without --yes off a terminal, changing nothing', async () => {
      const spare = await json(['properties', 'create', '--owner', 'host', '--name', 'Keep me', '--address', '4 Quay St', '--price', '30'])
      const booking = await json(['bookings', 'create', '--property', String(spare.id), '--guest', 'guest', '--from', '2030-11-01', '--to', '2030-11-03'])
      for (const args of [
        ['users', 'delete', 'guest2'],
        ['users', 'erase', 'guest2'],
        ['properties', 'delete', String(spare.id)],
        ['bookings', 'cancel', String(booking.id)],
        ['reviews', 'delete', '1'],
      ]) {
        const result = expectExit(await run(args), 2)
        expect(result.stderr, args.join(' ')).to.match(/refusing without confirmation; pass --yes to confirm when not on a terminal\n$/)
        expect(errorJson(await run([...args, '--json']), 2).code).to.equal('USAGE')
      }
      expect(await json(['users', 'show', 'guest2'])).to.include({username: 'guest2', isActive: true})
      expect(await json(['bookings', 'show', String(booking.id)])).to.include({status: 'pending'})
      expectExit(await run(['properties', 'show', String(spare.id)]), 0)
    })

    it('2 for bad usage (oclif)', async () => {
      expectExit(await run(['bookings', 'create', '--property', '1']), 2)
      expectExit(await run(['users', 'list', '--limit', '0']), 2)
      expectExit(await run(['users', 'update', 'guest']), 2)
      expectExit(await run(['users', 'create', '--username', 'nopw', '--email', 'nopw@example.com']), 2)
    })
  })

  describe('--help', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {id: string; hidden?: boolean; aliases?: string[]; relativePath: string[]}>
    }
    // Ours: `help` (oclif's plugin, bundled) has none.
    const commands = Object.values(manifest.commands).filter((c) => !c.hidden && isOwnCommand(c))

    it(`of every command of ours (${commands.length}) shows examples`, async function () {
      this.timeout(300_000)
      expect(commands.length).to.be.greaterThan(30)
      for (let i = 0; i < commands.length; i += 4) {
        await Promise.all(
          commands.slice(i, i + 4).map(async (command) => {
            const result = expectExit(await run([...command.id.split(':'), '--help']), 0)
            const examples = result.stdout.split('\nEXAMPLES\n')[1]
            expect(examples, `${command.id} --help has no EXAMPLES`).to.be.a('string')
            expect(examples, command.id).to.contain(`$ stayctl ${command.id.replaceAll(':', ' ')}`)
          }),
        )
      }
    })

    it('of an alias (listings) is the same command', async () => {
      const result = expectExit(await run(['listings', 'create', '--help']), 0)
      expect(result.stdout).to.contain('EXAMPLES')
    })
  })
})
