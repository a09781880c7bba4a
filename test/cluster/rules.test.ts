/**
 * Issue 11, acceptance 2–4 and 6: the rules hold on a multi-primary cluster. Racers are spread
 * over the nodes — one `stayctl serve` per node, CLI processes with the node's URL, imports
 * into two nodes — and every race holds its check-then-write window open on purpose
 * (STAYCTL_TEST_PAUSE at the point between a rule's check and its write), so that all racers
 * have checked before any writes. Without a guard the cluster certifies, every racer then wins;
 * with it, one does and the others are retried and answered as on one node.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {createToken} from '../../src/services/auth.js'
import {updateBooking} from '../../src/services/booking-changes.js'
import {createBooking, confirmBooking} from '../../src/services/bookings.js'
import {recordCharge} from '../../src/services/payments.js'
import {createProperty} from '../../src/services/properties.js'
import {migrate} from '../../src/services/schema.js'
import {holdAt} from '../../src/test-pause.js'
import {createUser} from '../../src/services/users.js'
import {runCli, isolatedEnv, type CliResult} from '../support/cli.js'
import {describeCluster, freshClusterDatabase, syncNodes, syncedConnection, type ClusterDatabase} from '../support/cluster.js'
import {testContext} from '../support/fixtures.js'
import {client, type Client, type GraphQLResponse} from '../support/graphql.js'
import {serve, type Served} from '../support/serve.js'

const ROUNDS = 10
const BOOKERS = 30
const REFUNDERS = 10
/** Issue 18: rounds of BOOKERS bookings and BOOKERS blocks of the same nights. */
const MIXED_ROUNDS = 3
/** Rounds of MOVERS bookings moved by `updateBooking` and MOVERS new bookings, onto the same nights. */
const MOVERS = 10
/** How long a racer of a server holds its window open: all requests of a round arrive well within it. */
const WINDOW_MS = 1500

/** Seconds until a moment by which `n` CLI processes started now have all reached their check (2 cores). */
const cliDeadline = (n: number) => Date.now() + 4000 + n * 350

describeCluster('the rules on a multi-primary cluster', function () {
  this.timeout(1_800_000)

  let cluster: ClusterDatabase
  let db: Db
  let token: string
  let host: number
  let guests: string[]
  const servers: Served[] = []
  let clients: Client[]
  let work: string
  let roundNo = 0

  const ctx = () => testContext(db)

  before(async () => {
    cluster = await freshClusterDatabase('rules')
    db = await cluster.open(0)
    await migrate(db, {})
    const admin = await createUser(ctx(), {username: 'clusteradmin', email: 'clusteradmin@example.com', password: 'admin-password-1', isAdmin: true})
    token = (await createToken(ctx(), {name: 'cluster', user: admin.id})).token
    host = (await createUser(ctx(), {username: 'clusterhost', email: 'clusterhost@example.com', password: 'host-password-1'})).id
    guests = []
    for (let i = 0; i < 6; i++) {
      guests.push((await createUser(ctx(), {username: `cguest${i}`, email: `cguest${i}@example.com`, password: 'guest-password-1'})).username)
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-cluster-'))
    const pause = `booking.checked=${WINDOW_MS},booking.update.checked=${WINDOW_MS},block.checked=${WINDOW_MS},refund.checked=${WINDOW_MS},charge.checked=${WINDOW_MS}`
    for (let i = 0; i < cluster.urls.length; i++) {
      servers.push(await serve(isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(i), STAYCTL_TEST_PAUSE: pause})))
    }
    clients = servers.map((s) => client(s.url, () => token))
    await syncNodes(cluster)
  })

  after(async () => {
    for (const s of servers) s.child.kill('SIGKILL')
    await db?.close()
    await cluster?.drop()
    if (work) fs.rmSync(work, {recursive: true, force: true})
  })

  /** A listing of its own for one round, seen by every node. */
  async function newProperty(price = '80.00'): Promise<number> {
    roundNo += 1
    const property = await createProperty(ctx(), {owner: host, name: `Contested ${roundNo}`, address: `${roundNo} Race Rd`, pricePerNight: price})
    await syncNodes(cluster)
    return property.id
  }

  /** Rows through a node that has applied everything committed before. */
  async function rows<T>(sql: string, values: unknown[] = []): Promise<T[]> {
    const connection = await syncedConnection(cluster, 0)
    try {
      const [result] = await connection.query(sql, values)
      return result as T[]
    } finally {
      await connection.end()
    }
  }

  /** Live bookings of a property that overlap one another (pairs): must always be none. */
  const overlaps = (propertyId: number) =>
    rows<{a: number; b: number}>(
      "SELECT a.id AS a, b.id AS b FROM bookings a JOIN bookings b ON a.property_id = b.property_id AND a.id < b.id AND a.start_date < b.end_date AND b.start_date < a.end_date WHERE a.property_id = ? AND a.status <> 'cancelled' AND b.status <> 'cancelled'",
      [propertyId],
    )

  /** A booking's ledger as stored: its total, what it says is charged, and the sum of its charges (the two must agree). */
  const ledgerOf = async (bookingId: number) =>
    (
      await rows<{total: string; charged: string; sum: string}>(
        "SELECT b.total_price AS total, b.charged_amount AS charged, (SELECT SUM(amount) FROM payments p WHERE p.booking_id = b.id AND p.kind = 'charge') AS sum FROM bookings b WHERE b.id = ?",
        [bookingId],
      )
    )[0]

  const stayOf = (i: number) => ({startDate: `2099-03-0${1 + (i % 4)}`, endDate: `2099-03-0${6 + (i % 4)}`})

  /** One round's answers: exactly one winner, and every loser a CONFLICT that names it. */
  async function expectOneWinner(propertyId: number, answers: {ok: boolean; id?: number; code?: string; message: string}[]) {
    const describe = answers.map((a, i) => `#${i} ${a.ok ? `ok ${a.id}` : `${a.code}: ${a.message}`}`).join('\n')
    const winners = answers.filter((a) => a.ok)
    expect(winners, describe).to.have.length(1)
    const booked = await rows<{id: number; start_date: string; end_date: string}>(
      "SELECT id, DATE_FORMAT(start_date, '%Y-%m-%d') AS start_date, DATE_FORMAT(end_date, '%Y-%m-%d') AS end_date FROM bookings WHERE property_id = ? AND status <> 'cancelled'",
      [propertyId],
    )
    expect(booked.map((b) => b.id), describe).to.deep.equal([winners[0].id])
    const {start_date: start, end_date: end} = booked[0]
    for (const loser of answers.filter((a) => !a.ok)) {
      expect(loser.code, describe).to.equal('CONFLICT')
      expect(loser.message, describe).to.contain(`overlaps booking ${winners[0].id} (${start} → ${end}) of property ${propertyId}`)
    }
    expect(await overlaps(propertyId)).to.deep.equal([])
  }

  const gqlAnswer = <T>(response: GraphQLResponse<T>, pick: (data: T) => number) =>
    response.errors?.length
      ? {ok: false, code: String(response.errors[0].extensions?.code), message: response.errors[0].message}
      : {ok: true, id: pick(response.data as T), message: ''}

  it(`${ROUNDS} rounds of ${BOOKERS} createBooking for the same dates over three servers on three nodes: one winner each`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const propertyId = await newProperty()
      const answers = await Promise.all(
        Array.from({length: BOOKERS}, (_, i) =>
          clients[i % clients.length].gql<{createBooking: {id: number}}>(
            'mutation ($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
            {input: {property: String(propertyId), guest: guests[i % guests.length], ...stayOf(i)}},
          ),
        ),
      )
      await expectOneWinner(
        propertyId,
        answers.map((a) => gqlAnswer(a, (d) => d.createBooking.id)),
      )
    }
  })

  it(`${ROUNDS} rounds of ${BOOKERS} \`bookings create\` processes spread over the nodes: one winner each`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const propertyId = await newProperty()
      const pause = `booking.checked=@${cliDeadline(BOOKERS)}`
      const results = await Promise.all(
        Array.from({length: BOOKERS}, (_, i) => {
          const {startDate, endDate} = stayOf(i)
          return runCli(
            ['bookings', 'create', '--property', String(propertyId), '--guest', guests[i % guests.length], '--from', startDate, '--to', endDate, '--json'],
            {env: isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(i), STAYCTL_TEST_PAUSE: pause}), timeoutMs: 240_000},
          )
        }),
      )
      await expectOneWinner(propertyId, results.map(cliAnswer))
      for (const r of results.filter((x) => x.code !== 0)) expect(r.code, r.stdout + r.stderr).to.equal(5)
    }
  })

  /** Live bookings and blocks of a property that overlap one another, or two blocks that do (pairs): must always be none. */
  const blockOverlaps = (propertyId: number) =>
    rows<{a: number; b: number}>(
      "SELECT a.id AS a, b.id AS b FROM blocks a JOIN bookings b ON a.property_id = b.property_id AND a.start_date < b.end_date AND b.start_date < a.end_date WHERE a.property_id = ? AND b.status <> 'cancelled'" +
        ' UNION ALL SELECT a.id, b.id FROM blocks a JOIN blocks b ON a.property_id = b.property_id AND a.id < b.id AND a.start_date < b.end_date AND b.start_date < a.end_date WHERE a.property_id = ?',
      [propertyId, propertyId],
    )

  /** One round of bookings and blocks: exactly one winner (a booking or a block), every loser a CONFLICT naming it. */
  async function expectOneStay(propertyId: number, answers: {ok: boolean; id?: number; kind: string; code?: string; message: string}[]) {
    const describe = answers.map((a, i) => `#${i} ${a.kind} ${a.ok ? `ok ${a.id}` : `${a.code}: ${a.message}`}`).join('\n')
    const winners = answers.filter((a) => a.ok)
    expect(winners, describe).to.have.length(1)
    const held = await rows<{kind: string; id: number; start_date: string; end_date: string}>(
      "SELECT 'booking' AS kind, id, DATE_FORMAT(start_date, '%Y-%m-%d') AS start_date, DATE_FORMAT(end_date, '%Y-%m-%d') AS end_date FROM bookings WHERE property_id = ? AND status <> 'cancelled'" +
        " UNION ALL SELECT 'block', id, DATE_FORMAT(start_date, '%Y-%m-%d'), DATE_FORMAT(end_date, '%Y-%m-%d') FROM blocks WHERE property_id = ?",
      [propertyId, propertyId],
    )
    expect(held.map((h) => [h.kind, Number(h.id)]), describe).to.deep.equal([[winners[0].kind, winners[0].id]])
    for (const loser of answers.filter((a) => !a.ok)) {
      expect(loser.code, describe).to.equal('CONFLICT')
      expect(loser.message, describe).to.contain(`overlaps ${held[0].kind} ${held[0].id} (${held[0].start_date} → ${held[0].end_date}) of property ${propertyId}`)
    }
    expect(await blockOverlaps(propertyId)).to.deep.equal([])
  }

  it(`${MIXED_ROUNDS} rounds of ${BOOKERS} createBooking and ${BOOKERS} createBlock: bookings and blocks of the same nights over three nodes, one winner each`, async () => {
    for (let round = 0; round < MIXED_ROUNDS; round++) {
      const propertyId = await newProperty()
      const answers = await Promise.all(
        Array.from({length: 2 * BOOKERS}, async (_, i) => {
          const gql = clients[i % clients.length]
          const stay = stayOf(i >> 1)
          if (i % 2 === 0) {
            const response = await gql.gql<{createBooking: {id: number}}>('mutation ($input: CreateBookingInput!) { createBooking(input: $input) { id } }', {
              input: {property: String(propertyId), guest: guests[i % guests.length], ...stay},
            })
            return {kind: 'booking', ...gqlAnswer(response, (d) => d.createBooking.id)}
          }
          const response = await gql.gql<{createBlock: {id: number}}>('mutation ($input: CreateBlockInput!) { createBlock(input: $input) { id } }', {
            input: {property: String(propertyId), reason: `racer ${i}`, ...stay},
          })
          return {kind: 'block', ...gqlAnswer(response, (d) => d.createBlock.id)}
        }),
      )
      await expectOneStay(propertyId, answers)
    }
  })

  it(`${BOOKERS} \`bookings create\` and ${BOOKERS} \`blocks create\` processes for the same nights spread over the nodes: one winner`, async () => {
    const propertyId = await newProperty()
    const pause = `booking.checked=@${cliDeadline(2 * BOOKERS)},block.checked=@${cliDeadline(2 * BOOKERS)}`
    const results = await Promise.all(
      Array.from({length: 2 * BOOKERS}, async (_, i) => {
        const {startDate, endDate} = stayOf(i >> 1)
        const args =
          i % 2 === 0
            ? ['bookings', 'create', '--property', String(propertyId), '--guest', guests[i % guests.length], '--from', startDate, '--to', endDate, '--json']
            : ['blocks', 'create', '--property', String(propertyId), '--from', startDate, '--to', endDate, '--json']
        const result = await runCli(args, {env: isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(i), STAYCTL_TEST_PAUSE: pause}), timeoutMs: 240_000})
        return {result, kind: i % 2 === 0 ? 'booking' : 'block'}
      }),
    )
    await expectOneStay(propertyId, results.map(({result, kind}) => ({kind, ...cliAnswer(result)})))
    for (const {result} of results.filter((x) => x.result.code !== 0)) expect(result.code, result.stdout + result.stderr).to.equal(5)
  })

  it(`${MIXED_ROUNDS} rounds of ${MOVERS} updateBooking moving stays and ${MOVERS} createBooking onto the same nights over three nodes: one winner each`, async () => {
    for (let round = 0; round < MIXED_ROUNDS; round++) {
      const propertyId = await newProperty()
      // Each mover's booking first holds nights of its own in April, far from the contested ones and from one another.
      const own: {id: number; startDate: string; endDate: string}[] = []
      for (let i = 0; i < MOVERS; i++) {
        const stay = {startDate: `2099-04-${String(1 + 2 * i).padStart(2, '0')}`, endDate: `2099-04-${String(2 + 2 * i).padStart(2, '0')}`}
        own.push({id: (await createBooking(ctx(), {property: propertyId, guest: guests[i % guests.length], ...stay})).id, ...stay})
      }
      await syncNodes(cluster)
      const answers = await Promise.all(
        Array.from({length: 2 * MOVERS}, async (_, i) => {
          const gql = clients[i % clients.length]
          const stay = stayOf(i >> 1)
          if (i % 2 === 0) {
            const response = await gql.gql<{updateBooking: {id: number}}>('mutation ($ref: String!, $input: UpdateBookingInput!) { updateBooking(ref: $ref, input: $input) { id } }', {
              ref: String(own[i >> 1].id),
              input: stay,
            })
            return gqlAnswer(response, (d) => d.updateBooking.id)
          }
          const response = await gql.gql<{createBooking: {id: number}}>('mutation ($input: CreateBookingInput!) { createBooking(input: $input) { id } }', {
            input: {property: String(propertyId), guest: guests[i % guests.length], ...stay},
          })
          return gqlAnswer(response, (d) => d.createBooking.id)
        }),
      )
      const describe = answers.map((a, i) => `#${i} ${i % 2 === 0 ? 'move' : 'create'} ${a.ok ? `ok ${a.id}` : `${a.code}: ${a.message}`}`).join('\n')
      const winners = answers.filter((a) => a.ok)
      expect(winners, describe).to.have.length(1)
      const held = await rows<{id: number; start_date: string; end_date: string}>(
        "SELECT id, DATE_FORMAT(start_date, '%Y-%m-%d') AS start_date, DATE_FORMAT(end_date, '%Y-%m-%d') AS end_date FROM bookings WHERE property_id = ? AND status <> 'cancelled' ORDER BY id",
        [propertyId],
      )
      const march = held.filter((b) => b.start_date.startsWith('2099-03'))
      expect(march.map((b) => Number(b.id)), describe).to.deep.equal([winners[0].id])
      // The movers that lost keep their own nights.
      const stayed = own.filter((b) => b.id !== winners[0].id).map((b) => ({id: b.id, start_date: b.startDate, end_date: b.endDate}))
      expect(held.filter((b) => !b.start_date.startsWith('2099-03')).map((b) => ({...b, id: Number(b.id)})), describe).to.deep.equal(stayed)
      for (const loser of answers.filter((a) => !a.ok)) {
        expect(loser.code, describe).to.equal('CONFLICT')
        expect(loser.message, describe).to.contain(`overlaps booking ${winners[0].id} (${march[0].start_date} → ${march[0].end_date}) of property ${propertyId}`)
      }
      expect(await overlaps(propertyId)).to.deep.equal([])
    }
  })

  /** A booking with one completed charge of `amount`, for refund and charge races. */
  async function chargedBooking(total: string, charge?: string) {
    const propertyId = await newProperty(total)
    roundNo += 1
    const booking = await createBooking(ctx(), {property: propertyId, guest: guests[0], startDate: '2099-06-01', endDate: '2099-06-02'})
    await confirmBooking(ctx(), booking.id)
    const payment = charge ? await recordCharge(ctx(), {bookingId: booking.id, amount: charge, transactionId: `ch_cluster_${roundNo}`}) : undefined
    await syncNodes(cluster)
    return {bookingId: booking.id, chargeId: payment?.id}
  }

  it(`${ROUNDS} rounds of ${REFUNDERS} refunds of 30.00 on a 100.00 charge over three nodes: exactly 3 succeed`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const {chargeId} = await chargedBooking('100.00', '100.00')
      const answers = await Promise.all(
        Array.from({length: REFUNDERS}, (_, i) =>
          clients[i % clients.length].gql<{refundPayment: {refund: {id: number}; replayed: boolean}}>(
            'mutation ($ref: String!, $key: String) { refundPayment(ref: $ref, amount: "30.00", idempotencyKey: $key) { refund { id } replayed } }',
            {ref: String(chargeId), key: `round-${round}-${i}`},
          ),
        ),
      )
      const describe = answers.map((a) => a.text).join('\n')
      const ok = answers.filter((a) => !a.errors?.length)
      expect(ok, describe).to.have.length(3)
      for (const a of answers.filter((x) => x.errors?.length)) {
        expect(a.errors![0].extensions?.code, describe).to.equal('CONFLICT')
        expect(a.errors![0].message, describe).to.equal(`refund of 30.00 exceeds what remains refundable of payment ${chargeId}: 10.00 of 100.00`)
      }
      const [charge] = await rows<{refunded: string; status: string}>('SELECT refunded_amount AS refunded, status FROM payments WHERE id = ?', [chargeId])
      const [sum] = await rows<{total: string; n: number}>(
        "SELECT COALESCE(SUM(amount), 0) AS total, COUNT(*) AS n FROM payments WHERE refund_of_id = ? AND kind = 'refund' AND status = 'completed'",
        [chargeId],
      )
      expect({refunded: charge.refunded, sum: String(sum.total), n: Number(sum.n), status: charge.status}).to.deep.equal({
        refunded: '90.00',
        sum: '90.00',
        n: 3,
        status: 'completed',
      })
    }
  })

  it('an idempotency key replays across nodes: sent to every server at once, it refunds once', async () => {
    const {chargeId} = await chargedBooking('100.00', '100.00')
    const send = (i: number) =>
      clients[i % clients.length].gql<{refundPayment: {refund: {id: number}; replayed: boolean}}>(
        'mutation ($ref: String!) { refundPayment(ref: $ref, amount: "25.00", idempotencyKey: "one-key") { refund { id } replayed } }',
        {ref: String(chargeId)},
      )
    const answers = await Promise.all(Array.from({length: 9}, (_, i) => send(i)))
    const describe = answers.map((a) => a.text).join('\n')
    for (const a of answers) expect(a.errors, describe).to.equal(undefined)
    const results = answers.map((a) => a.data!.refundPayment)
    expect(new Set(results.map((r) => r.refund.id)).size, describe).to.equal(1)
    expect(results.filter((r) => !r.replayed), describe).to.have.length(1)
    // Later, through each node: the same refund, replayed.
    await syncNodes(cluster)
    for (let i = 0; i < clients.length; i++) {
      const again = await send(i)
      expect(again.data?.refundPayment, again.text).to.deep.equal({refund: {id: results[0].refund.id}, replayed: true})
    }
    const [sum] = await rows<{n: number}>("SELECT COUNT(*) AS n FROM payments WHERE refund_of_id = ? AND kind = 'refund'", [chargeId])
    expect(Number(sum.n)).to.equal(1)
  })

  it('charges racing over three nodes never bring a booking above its total', async () => {
    const {bookingId} = await chargedBooking('100.00')
    const answers = await Promise.all(
      Array.from({length: 9}, (_, i) =>
        clients[i % clients.length].gql<{recordPayment: {id: number}}>(
          'mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { id } }',
          {input: {bookingId, amount: '30.00', transactionId: `ch_race_${bookingId}_${i}`}},
        ),
      ),
    )
    const describe = answers.map((a) => a.text).join('\n')
    expect(answers.filter((a) => !a.errors?.length), describe).to.have.length(3)
    for (const a of answers.filter((x) => x.errors?.length)) {
      expect(a.errors![0].extensions?.code, describe).to.equal('CONFLICT')
      expect(a.errors![0].message, describe).to.equal(`charging 30.00 would bring booking ${bookingId} to 120.00, above its total 100.00`)
    }
    expect(await ledgerOf(bookingId)).to.deep.include({charged: '90.00', sum: '90.00'})
  })

  // The two orders of a lowered total racing a charge across nodes. Here the lowering waits:
  // both write the booking's row, so node 0 aborts the update once node 1's charge is applied
  // (Galera's certification by row), and the update, retried, meets the charge.
  it('a total lowered on one node while a charge commits on another: the lowering is refused, nothing charged above the total', async () => {
    const {bookingId} = await chargedBooking('300.00', '100.00')
    const other = await cluster.open(1)
    try {
      // The update stands between its check (100.00 charged, 150.00 allowed) and its write, on node 0.
      const held = holdAt('booking.update.checked')
      const update = updateBooking(ctx(), bookingId, {totalPrice: '150.00'}).then(
        (view) => ({ok: true, message: view.totalPrice}),
        (error: Error & {code?: string}) => ({ok: false, message: error.message}),
      )
      await held.reached
      // Meanwhile node 1 takes a charge the lower total would not allow, and node 0 applies it.
      await recordCharge(testContext(other), {bookingId, amount: '100.00', transactionId: `ch_lower_${bookingId}`})
      await syncNodes(cluster)
      held.release()
      expect(await update).to.deep.equal({ok: false, message: `booking ${bookingId} has 200.00 charged; its total cannot be less`})
    } finally {
      await other.close()
    }
    expect(await ledgerOf(bookingId)).to.deep.equal({total: '300.00', charged: '200.00', sum: '200.00'})
  })

  // Here the charge waits: it reads the total unlocked and its compare-and-set compares what is
  // charged only, which the update does not change; the CHECK bookings_charged_within_total is
  // what refuses it (guard-mutations `total`).
  it('a charge held on one node while a lower total commits on another: the charge is refused, nothing charged above the total', async () => {
    const {bookingId} = await chargedBooking('300.00', '100.00')
    const other = await cluster.open(1)
    try {
      const held = holdAt('charge.checked')
      const charge = recordCharge(testContext(other), {bookingId, amount: '100.00', transactionId: `ch_held_${bookingId}`}).then(
        () => ({ok: true, message: ''}),
        (error: Error) => ({ok: false, message: error.message}),
      )
      await held.reached
      await updateBooking(ctx(), bookingId, {totalPrice: '150.00'})
      await syncNodes(cluster)
      held.release()
      expect(await charge).to.deep.equal({ok: false, message: `charging 100.00 would bring booking ${bookingId} to 200.00, above its total 150.00`})
    } finally {
      await other.close()
    }
    expect(await ledgerOf(bookingId)).to.deep.equal({total: '150.00', charged: '100.00', sum: '100.00'})
  })

  describe('two imports into two nodes at once', () => {
    /** Runs `import <entity>` of each file through node i, all at once, each holding its window until `deadline`. */
    async function importsAtOnce(entity: string, files: string[], point: string): Promise<CliResult[]> {
      const pause = `${point}=@${cliDeadline(files.length)}`
      return Promise.all(
        files.map((file, i) =>
          runCli(['import', entity, file, '--errors', `${file}.errors.ndjson`, '--json'], {
            env: isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(i), STAYCTL_TEST_PAUSE: pause}),
            timeoutMs: 240_000,
          }),
        ),
      )
    }

    /** The rejected rows of an import's error file: line and reason. */
    function rejectedRows(file: string): {line: number; reason: string}[] {
      const text = fs.existsSync(`${file}.errors.ndjson`) ? fs.readFileSync(`${file}.errors.ndjson`, 'utf8').trim() : ''
      return text ? text.split('\n').map((line) => JSON.parse(line) as {line: number; reason: string}) : []
    }

    it('bookings of overlapping files: no overlapping live bookings, every rejected row in an error file', async () => {
      const properties = [await newProperty(), await newProperty(), await newProperty()]
      // Two files over the same three listings: every stay of one overlaps a stay of the other.
      const file = (n: number) => {
        const name = path.join(work, `bookings-${n}.csv`)
        const lines = ['property,guest,startDate,endDate,status']
        for (const p of properties) {
          for (let week = 0; week < 10; week++) {
            const start = new Date(Date.UTC(2099, 7, 1 + week * 7 + n * 2))
            const end = new Date(start.getTime() + 4 * 86_400_000)
            lines.push(`${p},${guests[(week + n) % guests.length]},${start.toISOString().slice(0, 10)},${end.toISOString().slice(0, 10)},confirmed`)
          }
        }
        fs.writeFileSync(name, lines.join('\n') + '\n')
        return name
      }
      const files = [file(0), file(1)]
      const results = await importsAtOnce('bookings', files, 'import.bookings.checked')
      const summaries = results.map((r) => JSON.parse(r.stdout) as {inserted: number; rejected: number})
      for (const p of properties) expect(await overlaps(p), `property ${p}`).to.deep.equal([])
      const [live] = await rows<{n: number}>(`SELECT COUNT(*) AS n FROM bookings WHERE property_id IN (?) AND status <> 'cancelled'`, [properties])
      expect(summaries.reduce((s, x) => s + x.inserted, 0)).to.equal(Number(live.n))
      expect(Number(live.n)).to.equal(30)
      for (const [i, r] of results.entries()) {
        expect(r.code, r.stderr).to.equal(summaries[i].rejected > 0 ? 8 : 0)
        const rejected = rejectedRows(files[i])
        expect(rejected).to.have.length(summaries[i].rejected)
        for (const row of rejected) {
          expect(row.line).to.be.within(2, 31)
          expect(row.reason).to.match(/overlaps booking \d+ \(\d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}\) of property \d+; pick other dates or cancel booking \d+/)
        }
      }
      expect(summaries[0].rejected + summaries[1].rejected).to.equal(30)
    })

    it('payments refunding one charge: never above the charge, every rejected row in an error file', async () => {
      const {chargeId} = await chargedBooking('100.00', '100.00')
      const [charge] = await rows<{tx: string}>('SELECT transaction_id AS tx FROM payments WHERE id = ?', [chargeId])
      const file = (n: number) => {
        const name = path.join(work, `refunds-${n}.csv`)
        const lines = ['transactionId,kind,refundOf,amount,status']
        for (let i = 0; i < 4; i++) lines.push(`re_import_${n}_${i},refund,${charge.tx},20.00,completed`)
        fs.writeFileSync(name, lines.join('\n') + '\n')
        return name
      }
      const files = [file(0), file(1)]
      const results = await importsAtOnce('payments', files, 'import.payments.checked')
      const summaries = results.map((r) => JSON.parse(r.stdout) as {inserted: number; rejected: number})
      const [state] = await rows<{refunded: string; status: string; sum: string; n: number}>(
        "SELECT c.refunded_amount AS refunded, c.status, (SELECT COALESCE(SUM(r.amount), 0) FROM payments r WHERE r.refund_of_id = c.id AND r.status = 'completed') AS sum, (SELECT COUNT(*) FROM payments r WHERE r.refund_of_id = c.id) AS n FROM payments c WHERE c.id = ?",
        [chargeId],
      )
      expect({...state, sum: String(state.sum), n: Number(state.n)}).to.deep.equal({refunded: '100.00', status: 'refunded', sum: '100.00', n: 5})
      expect(summaries.reduce((s, x) => s + x.inserted, 0)).to.equal(5)
      for (const [i, r] of results.entries()) {
        const rejected = rejectedRows(files[i])
        expect(rejected).to.have.length(summaries[i].rejected)
        for (const row of rejected) {
          expect(row.line).to.be.within(2, 5)
          expect(row.reason).to.match(/refund of 20\.00 exceeds what remains refundable of payment \d+ \("ch_cluster_\d+"\): 0\.00 of 100\.00|is already fully refunded/)
        }
        expect(r.code, r.stderr).to.equal(summaries[i].rejected > 0 ? 8 : 0)
      }
    })
  })
})

/** A `bookings create --json` run as an answer: its booking id, or its error. */
function cliAnswer(result: CliResult): {ok: boolean; id?: number; code?: string; message: string} {
  const body = JSON.parse(result.stdout || '{}') as {id?: number; error?: {code: string; message: string}}
  if (result.code === 0) return {ok: true, id: body.id, message: ''}
  return {ok: false, code: body.error?.code, message: body.error?.message ?? result.stderr}
}
