/**
 * Acceptance 1 and 2: the rules hold when many real `stayctl` processes race. Every process
 * is spawned before any is awaited, and on MySQL held at a gate until all are ready, so they
 * hit the database together; each then holds the window between its rule's check and its write
 * open (STAYCTL_TEST_PAUSE), so that without the rule's guard every racer would pass its check
 * (scripts/guard-mutations.mjs shows these tests fail then). Data is prepared in-process through
 * the services; the races run through the built binary (bin/run.js), but for a total lowered
 * against a charge, where one side is held in this process (holdAt) until the other has gone.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {isStayctlError} from '../../src/errors.js'
import {toCents} from '../../src/services/money.js'
import {gapDisagreements} from '../../src/services/rules/gaps.js'
import {holdAt} from '../../src/test-pause.js'
import type {CliResult} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {ledgerDisagreements} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'
import {testContext} from '../support/fixtures.js'
import {GENERIC_DB_ERROR, cli, cliEnv, raceThroughGate, removeHome, testBackend} from './helpers.js'

/** 50 processes on MariaDB (acceptance 1); SQLite serialises writers, 10 are enough there. */
const BOOKING_RACERS = testDialect === 'mysql' ? 50 : 10
/** Acceptance of issue 18: 30 bookings and 30 blocks of the same nights on MariaDB; 5 and 5 on SQLite. */
const MIXED_RACERS = testDialect === 'mysql' ? 30 : 5
const REFUND_RACERS = 10
/** Each process may wait for all the others on 2 cores (~46 s for 50 on MariaDB). */
const PROCESS_TIMEOUT_MS = 240_000
/** How long each racer holds its check-then-write window open. */
const WINDOW = {STAYCTL_TEST_PAUSE: 'booking.checked=1500,booking.update.checked=1500,block.checked=1500,refund.checked=1500'}

function describeRuns(results: CliResult[]): string {
  return results.map((r, i) => `#${i} exit ${r.code}: ${(r.stderr || r.stdout).trim()}`).join('\n')
}

describe(`e2e: concurrency (${testDialect})`, function () {
  this.timeout(400_000)

  const scratch = useScratch({per: 'suite', database: 'concurrency'})
  let db: Db
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>

  before(() => {
    ;({db, database} = scratch)
    env = cliEnv(database, WINDOW)
    scratch.defer(() => removeHome(env))
    run = cli(env)
  })

  it(`lets exactly one of ${BOOKING_RACERS} simultaneous bookings of overlapping dates through`, async () => {
    const backend = testBackend(db)
    const host = await backend.users.create({username: 'racehost', email: 'racehost@example.com', password: 'host-password-1'})
    const guests: string[] = []
    for (let i = 0; i < 5; i++) {
      guests.push((await backend.users.create({username: `racer${i}`, email: `racer${i}@example.com`, password: 'guest-password-1'})).username)
    }
    const property = await backend.properties.create({owner: host.id, name: 'Contested cabin', address: '1 Race Rd', pricePerNight: '80.00'})

    // Check-ins spread over four days, five nights each: every pair of stays overlaps.
    const stays = Array.from({length: BOOKING_RACERS}, (_, i) => ({from: `2099-03-0${1 + (i % 4)}`, to: `2099-03-0${6 + (i % 4)}`}))
    const results = await raceThroughGate(database, 'properties', () =>
      stays.map((stay, i) =>
        run(['bookings', 'create', '--property', String(property.id), '--guest', guests[i % guests.length], '--from', stay.from, '--to', stay.to], {
          timeoutMs: PROCESS_TIMEOUT_MS,
        }),
      ),
    )

    const winners = results.filter((r) => r.code === 0)
    const losers = results.filter((r) => r.code !== 0)
    expect(winners, describeRuns(results)).to.have.length(1)
    expect(losers.map((r) => r.code), describeRuns(losers)).to.deep.equal(Array(BOOKING_RACERS - 1).fill(5))

    const rows = await db.models.Booking.findAll({where: {propertyId: property.id}})
    expect(rows).to.have.length(1)
    const booking = rows[0]
    expect(winners[0].stdout).to.contain(`Created booking ${booking.id}:`)
    for (const loser of losers) {
      const message = loser.stderr.trim()
      expect(message.split('\n'), loser.stderr).to.have.length(1)
      expect(message).to.match(/^Error: /)
      expect(message).to.contain(`overlaps booking ${booking.id} (${booking.startDate} → ${booking.endDate})`)
      expect(loser.stderr + loser.stdout).not.to.match(GENERIC_DB_ERROR)
    }
    const events = await db.models.AuditEvent.count({where: {action: 'booking.create', entityId: String(booking.id)}})
    expect(events).to.equal(1)
  })

  it(`lets exactly one of ${MIXED_RACERS} bookings and ${MIXED_RACERS} blocks of the same nights through, raced at once`, async () => {
    const backend = testBackend(db)
    const host = await backend.users.create({username: 'blockhost', email: 'blockhost@example.com', password: 'host-password-1'})
    const guest = await backend.users.create({username: 'blockracer', email: 'blockracer@example.com', password: 'guest-password-1'})
    const property = await backend.properties.create({owner: host.id, name: 'Contested chalet', address: '3 Race Rd', pricePerNight: '90.00'})
    const stay = (i: number) => ({from: `2099-04-0${1 + (i % 4)}`, to: `2099-04-0${6 + (i % 4)}`})
    const results = await raceThroughGate(database, 'properties', () =>
      Array.from({length: 2 * MIXED_RACERS}, (_, i) => {
        const {from, to} = stay(i >> 1)
        const args =
          i % 2 === 0
            ? ['bookings', 'create', '--property', String(property.id), '--guest', guest.username, '--from', from, '--to', to]
            : ['blocks', 'create', '--property', String(property.id), '--from', from, '--to', to, '--reason', `racer ${i}`]
        return run(args, {timeoutMs: PROCESS_TIMEOUT_MS})
      }),
    )

    const winners = results.filter((r) => r.code === 0)
    const losers = results.filter((r) => r.code !== 0)
    expect(winners, describeRuns(results)).to.have.length(1)
    expect(losers.map((r) => r.code), describeRuns(losers)).to.deep.equal(Array(2 * MIXED_RACERS - 1).fill(5))
    const bookings = await db.models.Booking.findAll({where: {propertyId: property.id}})
    const blocks = await db.models.Block.findAll({where: {propertyId: property.id}})
    expect(bookings.length + blocks.length, describeRuns(winners)).to.equal(1)
    const [kind, row] = bookings.length === 1 ? (['booking', bookings[0]] as const) : (['block', blocks[0]] as const)
    expect(winners[0].stdout).to.contain(`Created ${kind} ${row.id}:`)
    for (const loser of losers) {
      expect(loser.stderr.trim()).to.contain(`overlaps ${kind} ${row.id} (${row.startDate} → ${row.endDate})`)
      expect(loser.stderr + loser.stdout).not.to.match(GENERIC_DB_ERROR)
    }
    expect(await db.models.AuditEvent.count({where: {action: `${kind}.create`, entityId: String(row.id)}})).to.equal(1)
  })

  it('an import --upsert moving a booking off a property guards that calendar: a booking made there meanwhile waits, and the gaps stay right', async function () {
    // SQLite lets one writer in at a time: the race needs two (MySQL).
    if (testDialect !== 'mysql') this.skip()
    const backend = testBackend(db)
    const host = await backend.users.create({username: 'movehost', email: 'movehost@example.com', password: 'host-password-1'})
    for (const username of ['mover', 'stayer']) await backend.users.create({username, email: `${username}@example.com`, password: 'guest-password-1'})
    const north = await backend.properties.create({owner: host.id, name: 'Move North', address: 'a', pricePerNight: '50.00'})
    await backend.properties.create({owner: host.id, name: 'Move South', address: 'b', pricePerNight: '50.00'})
    await backend.bookings.create({property: north.id, guest: 'mover', startDate: '2031-05-10', endDate: '2031-05-13', externalRef: 'MOVE-1'})
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-move-'))
    const file = path.join(folder, 'bookings.csv')
    fs.writeFileSync(file, 'property,guest,startDate,endDate,externalRef\nMove South,mover,2031-05-10,2031-05-13,MOVE-1\n')
    const log = path.join(folder, 'pauses.log')
    // The importer stops once it has read the gaps and stays it will rewrite; North's booking is made (in this process, no pause) then.
    const moving = run(['import', 'bookings', file, '--upsert', '--json'], {env: {STAYCTL_TEST_PAUSE: 'gaps.refresh.read=1500', STAYCTL_TEST_PAUSE_LOG: log}, timeoutMs: PROCESS_TIMEOUT_MS})
    while (!(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('gaps.refresh.read'))) await new Promise((resolve) => setTimeout(resolve, 20))
    const made = await backend.bookings.create({property: north.id, guest: 'stayer', startDate: '2031-05-20', endDate: '2031-05-22'})
    const moved = await moving
    fs.rmSync(folder, {recursive: true, force: true})
    expect(moved.code, moved.stderr).to.equal(0)
    expect(JSON.parse(moved.stdout)).to.include({updated: 1, rejected: 0})
    expect(made.propertyId).to.equal(north.id)
    expect(await gapDisagreements(testContext(db))).to.deep.equal([])
  })

  describe('bookings update racing for the same nights (MySQL: SQLite lets one writer in at a time)', () => {
    /** A property with a booking on 2099-06-01 → 03 and, when `second`, another on 2099-06-20 → 22. */
    async function movable(name: string, second: boolean) {
      const backend = testBackend(db)
      const host = await backend.users.create({username: `${name}host`, email: `${name}host@example.com`, password: 'host-password-1'})
      const guest = await backend.users.create({username: `${name}guest`, email: `${name}guest@example.com`, password: 'guest-password-1'})
      const property = await backend.properties.create({owner: host.id, name: `Moving ${name}`, address: '4 Race Rd', pricePerNight: '70.00'})
      const first = await backend.bookings.create({property: property.id, guest: guest.id, startDate: '2099-06-01', endDate: '2099-06-03'})
      const other = second ? await backend.bookings.create({property: property.id, guest: guest.id, startDate: '2099-06-20', endDate: '2099-06-22'}) : undefined
      return {property, guest, first, other}
    }

    /** Exactly one of `results` exit 0, the other exits 5 on one line naming the winner's stay; the gaps agree. */
    async function oneWins(results: CliResult[], propertyId: number) {
      const winners = results.filter((r) => r.code === 0)
      const losers = results.filter((r) => r.code !== 0)
      expect(winners, describeRuns(results)).to.have.length(1)
      expect(losers.map((r) => r.code), describeRuns(losers)).to.deep.equal([5])
      const live = await db.models.Booking.findAll({where: {propertyId, startDate: '2099-06-10'}})
      expect(live, describeRuns(results)).to.have.length(1)
      const message = losers[0].stderr.trim()
      expect(message.split('\n'), losers[0].stderr).to.have.length(1)
      expect(message).to.match(/^Error: /)
      expect(message).to.contain(`overlaps booking ${live[0].id} (2099-06-10 → 2099-06-13)`)
      expect(losers[0].stderr + losers[0].stdout).not.to.match(GENERIC_DB_ERROR)
      expect(await gapDisagreements(testContext(db))).to.deep.equal([])
      return live[0]
    }

    it('a bookings update and a bookings create of the same new nights: exactly one wins, the other exits 5 naming the overlap', async function () {
      if (testDialect !== 'mysql') this.skip()
      const {property, guest, first} = await movable('upcreate', false)
      const results = await raceThroughGate(database, 'properties', () => [
        run(['bookings', 'update', String(first.id), '--from', '2099-06-10', '--to', '2099-06-13'], {timeoutMs: PROCESS_TIMEOUT_MS}),
        run(['bookings', 'create', '--property', String(property.id), '--guest', guest.username, '--from', '2099-06-10', '--to', '2099-06-13'], {timeoutMs: PROCESS_TIMEOUT_MS}),
      ])
      const winner = await oneWins(results, property.id)
      const moved = winner.id === first.id
      expect((await db.models.Booking.findByPk(first.id))!.startDate).to.equal(moved ? '2099-06-10' : '2099-06-01')
      expect(await db.models.Booking.count({where: {propertyId: property.id}})).to.equal(moved ? 1 : 2)
    })

    it('two bookings update onto the same nights: exactly one wins, the other exits 5 naming the overlap', async function () {
      if (testDialect !== 'mysql') this.skip()
      const {property, first, other} = await movable('upup', true)
      const results = await raceThroughGate(database, 'properties', () =>
        [first, other!].map((b) => run(['bookings', 'update', String(b.id), '--from', '2099-06-10', '--to', '2099-06-13'], {timeoutMs: PROCESS_TIMEOUT_MS})),
      )
      const winner = await oneWins(results, property.id)
      const loser = winner.id === first.id ? other! : first
      expect((await db.models.Booking.findByPk(loser.id))!.startDate).to.equal(loser.startDate)
      expect(await db.models.AuditEvent.count({where: {action: 'booking.update', entityId: [String(first.id), String(other!.id)]}})).to.equal(1)
    })
  })

  describe('bookings update lowering a total racing a charge (MySQL: SQLite lets one writer in at a time)', () => {
    /**
     * The two check what is charged against the total, and neither writes what the other
     * compares: the update sets total_price where the charge compares charged_amount. The
     * CHECK bookings_charged_within_total orders them: the later write breaks it, and its
     * transaction, retried (transaction.ts), is refused by the rule. One side is held exactly
     * at its window in this process (holdAt), the other runs as the built binary.
     *
     * On one node the held update has the booking's row locked (lockRow) before its check, so
     * a charge cannot commit in its window: it waits, and comes second. (A charge that commits
     * first is seen by the update's check; the update is refused by the CHECK only on a
     * multi-primary cluster, where row locks are a node's own.)
     */
    const CHARGE = '100.00'

    /** A 300.00 booking (3 nights at 100.00) with 100.00 charged: a total of 150.00 passes its check, and so does a charge of 100.00, not both. */
    async function chargedBooking(name: string) {
      const backend = testBackend(db)
      const host = await backend.users.create({username: `${name}host`, email: `${name}host@example.com`, password: 'host-password-1'})
      const guest = await backend.users.create({username: `${name}guest`, email: `${name}guest@example.com`, password: 'guest-password-1'})
      const property = await backend.properties.create({owner: host.id, name: `Repriced ${name}`, address: '5 Race Rd', pricePerNight: '100.00'})
      const booking = await backend.bookings.create({property: property.id, guest: guest.id, startDate: '2099-07-01', endDate: '2099-07-04'})
      await backend.payments.record({bookingId: booking.id, amount: CHARGE, transactionId: `ch_${name}_1`})
      return booking
    }

    /** The booking's total and charged amount as stored, and its charges: charged never above the total, and what the charges add up to. */
    async function ledgerOf(id: number) {
      const [row] = await db.sequelize.query<{total: string; charged: string}>('SELECT total_price AS total, charged_amount AS charged FROM bookings WHERE id = :id', {
        replacements: {id},
        type: QueryTypes.SELECT,
      })
      const charges = await db.models.Payment.findAll({where: {bookingId: id, kind: 'charge'}, order: [['id', 'ASC']]})
      const stored = {total: toCents(row.total), charged: toCents(row.charged), charges: charges.map((c) => toCents(c.amount))}
      expect(stored.charged, JSON.stringify(stored)).to.be.at.most(stored.total)
      expect(await ledgerDisagreements(db)).to.deep.equal([])
      return stored
    }

    /** Resolves once `work` stands at `hold`; throws if it ended before. */
    async function reached<T>(hold: ReturnType<typeof holdAt>, work: Promise<T>) {
      await Promise.race([
        hold.reached,
        work.then(
          () => Promise.reject(new Error('it ended before its pause')),
          (error: unknown) => Promise.reject(error),
        ),
      ])
    }

    /**
     * Resolves once `statement` of `run` is under way in the test database (PROCESSLIST: not
     * INNODB_TRX, whose snapshot is not refreshed while it is read more often than every 0.1 s);
     * throws if `run` ends first.
     */
    async function writing(run: Promise<CliResult>, statement: string) {
      let ended: CliResult | undefined
      void run.then((result) => (ended = result))
      const deadline = Date.now() + PROCESS_TIMEOUT_MS
      while (Date.now() < deadline) {
        const [row] = await db.sequelize.query<{n: number}>(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND = 'Query' AND INFO LIKE :statement",
          {replacements: {statement: `${statement}%`}, type: QueryTypes.SELECT},
        )
        if (Number(row.n) > 0) return
        if (ended) throw new Error(`it ended before it ran ${statement}…: ${describeRuns([ended])}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error(`${statement}… did not run within ${PROCESS_TIMEOUT_MS} ms`)
    }

    it('the update held after its check, a charge meanwhile: the charge waits for the booking, then exits 5 above the lowered total; charged stays within it', async function () {
      if (testDialect !== 'mysql') this.skip()
      const booking = await chargedBooking('lowerfirst')
      const hold = holdAt('booking.update.checked')
      const lowering = testBackend(db).bookings.update(booking.id, {totalPrice: '150.00'})
      let charging: Promise<CliResult> | undefined
      try {
        await reached(hold, lowering)
        charging = run(['payments', 'record', '--booking', String(booking.id), '--amount', CHARGE, '--transaction-id', 'ch_lowerfirst_2'], {timeoutMs: PROCESS_TIMEOUT_MS})
        // Its check passed; its compare-and-set waits for the booking's row, which the update holds.
        await writing(charging, 'UPDATE bookings SET charged_amount')
      } finally {
        hold.release()
      }
      expect((await lowering).totalPrice).to.equal('150.00')
      const charged = await charging
      expect(charged.code, describeRuns([charged])).to.equal(5)
      expect(charged.stderr.trim()).to.equal(`Error: charging 100.00 would bring booking ${booking.id} to 200.00, above its total 150.00`)
      expect(charged.stderr + charged.stdout).not.to.match(GENERIC_DB_ERROR)
      expect(await ledgerOf(booking.id)).to.deep.equal({total: 15000, charged: 10000, charges: [10000]})
    })

    it('the charge held after its check, `bookings update` lowers the total meanwhile: the charge is refused (CONFLICT) above the new total; charged stays within it', async function () {
      if (testDialect !== 'mysql') this.skip()
      const booking = await chargedBooking('chargefirst')
      const hold = holdAt('charge.checked')
      const charging = testBackend(db).payments.record({bookingId: booking.id, amount: CHARGE, transactionId: 'ch_chargefirst_2'})
      const refusal = charging.then(
        () => undefined,
        (error: unknown) => error,
      )
      try {
        await reached(hold, charging)
        const lowered = await run(['bookings', 'update', String(booking.id), '--total-price', '150', '--json'], {env: {STAYCTL_TEST_PAUSE: ''}, timeoutMs: PROCESS_TIMEOUT_MS})
        expect(lowered.code, describeRuns([lowered])).to.equal(0)
        expect(JSON.parse(lowered.stdout)).to.include({id: booking.id, totalPrice: '150.00'})
      } finally {
        hold.release()
      }
      const error = await refusal
      expect(isStayctlError(error), error === undefined ? 'the charge was recorded' : String(error)).to.equal(true)
      expect(error).to.include({kind: 'CONFLICT', exitCode: 5, message: `charging 100.00 would bring booking ${booking.id} to 200.00, above its total 150.00`})
      expect(await ledgerOf(booking.id)).to.deep.equal({total: 15000, charged: 10000, charges: [10000]})
    })
  })

  describe(`${REFUND_RACERS} simultaneous refunds of 30.00 of one 100.00 charge`, () => {
    let chargeId: number
    let results: CliResult[]

    const refundRows = () => db.models.Payment.findAll({where: {refundOfId: chargeId, kind: 'refund'}, order: [['id', 'ASC']]})
    const refundedCents = async () => (await refundRows()).reduce((sum, r) => sum + toCents(r.amount), 0)
    const snapshot = async () => ({
      payments: await db.models.Payment.count(),
      audit: await db.models.AuditEvent.count(),
      refunded: await refundedCents(),
      chargeStatus: (await db.models.Payment.findByPk(chargeId))!.status,
    })

    before(async () => {
      const backend = testBackend(db)
      const host = await backend.users.create({username: 'refundhost', email: 'refundhost@example.com', password: 'host-password-1'})
      const guest = await backend.users.create({username: 'refundguest', email: 'refundguest@example.com', password: 'guest-password-1'})
      const property = await backend.properties.create({owner: host.id, name: 'Refund villa', address: '2 Race Rd', pricePerNight: '100.00'})
      const booking = await backend.bookings.create({property: property.id, guest: guest.id, startDate: '2099-05-01', endDate: '2099-05-02'})
      const charge = await backend.payments.record({bookingId: booking.id, amount: '100.00', transactionId: 'ch_race_1'})
      expect(charge.status).to.equal('completed')
      chargeId = charge.id

      results = await raceThroughGate(database, 'payments', () =>
        Array.from({length: REFUND_RACERS}, (_, i) =>
          run(['payments', 'refund', String(chargeId), '--amount', '30', '--idempotency-key', `race-${i}`, '--json', '--yes'], {
            timeoutMs: PROCESS_TIMEOUT_MS,
          }),
        ),
      )
    })

    it('refunds exactly three times; the others exit 5 with an over-refund message', async () => {
      const winners = results.filter((r) => r.code === 0)
      const losers = results.filter((r) => r.code !== 0)
      expect(winners, describeRuns(results)).to.have.length(3)
      expect(losers.map((r) => r.code), describeRuns(losers)).to.deep.equal(Array(REFUND_RACERS - 3).fill(5))
      for (const loser of losers) {
        const {error} = JSON.parse(loser.stdout) as {error: {code: string; message: string; exitCode: number}}
        expect(error.code).to.equal('CONFLICT')
        expect(error.exitCode).to.equal(5)
        expect(error.message).to.match(/^refund of 30\.00 exceeds what remains refundable of payment \d+: 10\.00 of 100\.00$/)
        expect(loser.stderr + loser.stdout).not.to.match(GENERIC_DB_ERROR)
      }
      for (const winner of winners) {
        const body = JSON.parse(winner.stdout) as {replayed: boolean; refund: {amount: string; refundOfId: number}}
        expect(body.replayed).to.equal(false)
        expect(body.refund.amount).to.equal('30.00')
        expect(body.refund.refundOfId).to.equal(chargeId)
      }
    })

    it('leaves refunds summing to 90.00 and the charge completed', async () => {
      const rows = await refundRows()
      expect(rows).to.have.length(3)
      expect(await refundedCents()).to.equal(9000)
      expect((await db.models.Payment.findByPk(chargeId))!.status).to.equal('completed')
      expect(await db.models.AuditEvent.count({where: {action: 'payment.refund'}})).to.equal(3)
    })

    it('replays the first refund for a key used before, changing nothing', async () => {
      const first = JSON.parse(results.find((r) => r.code === 0)!.stdout) as {refund: {id: number; idempotencyKey: string}}
      const before = await snapshot()
      const again = await run(['payments', 'refund', String(chargeId), '--amount', '30', '--idempotency-key', first.refund.idempotencyKey, '--json', '--yes'])
      expect(again.code, again.stdout + again.stderr).to.equal(0)
      const body = JSON.parse(again.stdout) as {replayed: boolean; refund: {id: number; amount: string}; remaining: string}
      expect(body.replayed).to.equal(true)
      expect(body.refund.id).to.equal(first.refund.id)
      expect(body.refund.amount).to.equal('30.00')
      expect(body.remaining).to.equal('10.00')
      expect(await snapshot()).to.deep.equal(before)
    })

    it('refunds once when several processes retry with one new key at the same time', async () => {
      const before = await snapshot()
      const replays = await raceThroughGate(database, 'payments', () =>
        Array.from({length: 5}, () =>
          run(['payments', 'refund', String(chargeId), '--amount', '5', '--idempotency-key', 'retry-storm', '--json', '--yes'], {timeoutMs: PROCESS_TIMEOUT_MS}),
        ),
      )
      expect(replays.map((r) => r.code), describeRuns(replays)).to.deep.equal([0, 0, 0, 0, 0])
      const bodies = replays.map((r) => JSON.parse(r.stdout) as {replayed: boolean; refund: {id: number}})
      expect(bodies.filter((b) => !b.replayed)).to.have.length(1)
      expect(new Set(bodies.map((b) => b.refund.id)).size).to.equal(1)
      const after = await snapshot()
      expect(after.payments).to.equal(before.payments + 1)
      expect(after.refunded).to.equal(9500)
      expect(after.chargeStatus).to.equal('completed')
    })
  })
})
