/**
 * The GraphQL API through HTTP against an in-process server on a fresh database (SQLite, or
 * MariaDB with STAYCTL_TEST_DATABASE_URL), reset to the scenario before each test: queries
 * with filters, pages and relations both ways; a mutation for every operation of the backend
 * table; domain errors with their catalogue codes and the services' messages; masking;
 * authentication through the Bearer token (the scenario admin's API token by default; the
 * authorization matrix itself is test/integration/authorization.test.ts).
 */
import {expect} from 'chai'

import {operations} from '../../src/backend.js'
import {StayctlError} from '../../src/errors.js'
import {showBooking} from '../../src/services/bookings.js'
import {formatCents} from '../../src/services/money.js'
import {refundPercent} from '../../src/services/policies.js'
import {showProperty} from '../../src/services/properties.js'
import {UNMIGRATED_MESSAGE} from '../../src/graphql/errors.js'
import {day, fixtures} from '../support/fixtures.js'
import {codes, ok, useGraphQLServer} from '../support/graphql.js'
import {countRows} from '../support/integration.js'

const {users, properties} = fixtures

interface Conn<T> {
  nodes: T[]
  pageInfo: {hasNextPage: boolean; endCursor: string | null}
}

/** The message a service call fails with, to compare with what the API says. */
async function serviceMessage(work: () => Promise<unknown>): Promise<string> {
  try {
    await work()
  } catch (error) {
    if (error instanceof StayctlError) return error.message
    throw error
  }
  throw new Error('expected the operation to fail')
}

describe('GraphQL API (integration)', () => {
  const s = useGraphQLServer('graphql')

  describe('queries', () => {
    it('pages users with first/after: every user once, in id order', async () => {
      const seen: number[] = []
      let after: string | null = null
      for (let pages = 0; pages < 10; pages++) {
        const page: Conn<{id: number}> = ok(
          await s.gql<{users: Conn<{id: number}>}>('query($after: String) { users(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }', {after}),
        ).users
        seen.push(...page.nodes.map((u) => u.id))
        expect(page.pageInfo.hasNextPage).to.equal(page.pageInfo.endCursor !== null)
        after = page.pageInfo.endCursor
        if (!after) break
      }
      expect(seen).to.deep.equal(Object.values(s.ids.users).sort((a, b) => a - b))
    })

    it('filters users like the list operation (search, active, admin, sort)', async () => {
      const data = ok(
        await s.gql<Record<string, Conn<{username: string}>>>(`{
          otto: users(search: "OBERHOLZER") { nodes { username } }
          inactive: users(active: false) { nodes { username } }
          admins: users(admin: true) { nodes { username } }
          sorted: users(sort: "-username", first: 2) { nodes { username } }
        }`),
      )
      expect(data.otto.nodes.map((u) => u.username)).to.deep.equal([users.otherGuest.username])
      expect(data.inactive.nodes.map((u) => u.username)).to.deep.equal([users.inactive.username])
      expect(data.admins.nodes.map((u) => u.username)).to.deep.equal([users.admin.username])
      const expected = (await operations.users.list(s.ctx, {sort: '-username', limit: 2})).items.map((u) => u.username)
      expect(data.sorted.nodes.map((u) => u.username)).to.deep.equal(expected)
    })

    it('shows a property with the same fields and figures as `properties show`', async () => {
      const {property} = ok(
        await s.gql<{property: Record<string, unknown> & {owner: {id: number; username: string}; upcomingBookings: {id: number}[]}}>(`{
          property(ref: "Harbour Loft") {
            id ownerId name description address pricePerNight cancellationPolicy isListed createdAt updatedAt
            averageRating reviewCount owner { id username } upcomingBookings { id startDate endDate status guestId }
          }
        }`),
      )
      const details = await showProperty(s.ctx, properties.loft.name)
      expect(property).to.deep.equal({...details, owner: {id: details.owner.id, username: details.owner.username}})
    })

    it('follows every relation both ways', async () => {
      const {booking} = ok(
        await s.gql<{booking: Record<string, never>}>(
          `query($ref: String!) {
            booking(ref: $ref) {
              id property { id owner { id properties { nodes { id } } } bookings { nodes { id } } reviews { nodes { id reviewer { id } property { id } } } }
              guest { id bookings { nodes { id } } reviews { nodes { id } } }
              payments { nodes { id booking { id } refundOf { id } refunds { nodes { id } } } }
            }
          }`,
          {ref: String(s.ids.bookings.confirmedFuture)},
        ),
      )
      const b = booking as unknown as {
        property: {id: number; owner: {id: number; properties: Conn<{id: number}>}; bookings: Conn<{id: number}>; reviews: Conn<{id: number; reviewer: {id: number}; property: {id: number}}>}
        guest: {id: number; bookings: Conn<{id: number}>; reviews: Conn<{id: number}>}
        payments: Conn<{id: number; booking: {id: number}; refundOf: null; refunds: Conn<{id: number}>}>
      }
      const {ids} = s
      expect(b.property.id).to.equal(ids.properties.loft)
      expect(b.property.owner.id).to.equal(ids.users.host)
      expect(b.property.owner.properties.nodes.map((p) => p.id)).to.deep.equal(Object.values(ids.properties))
      expect(b.property.bookings.nodes.map((x) => x.id)).to.deep.equal([ids.bookings.confirmedPast, ids.bookings.confirmedFuture])
      expect(b.property.reviews.nodes).to.deep.equal([{id: ids.reviews.loftByGuest, reviewer: {id: ids.users.guest}, property: {id: ids.properties.loft}}])
      expect(b.guest.id).to.equal(ids.users.guest)
      expect(b.guest.bookings.nodes.map((x) => x.id)).to.deep.equal([ids.bookings.confirmedPast, ids.bookings.pendingFuture, ids.bookings.confirmedFuture])
      expect(b.guest.reviews.nodes.map((x) => x.id)).to.deep.equal([ids.reviews.loftByGuest])
      expect(b.payments.nodes).to.deep.equal([{id: ids.payments.charge100, booking: {id: ids.bookings.confirmedFuture}, refundOf: null, refunds: {nodes: []}}])
    })

    it('gives nested objects (read in batches) exactly the views of the show operations', async () => {
      const ref = String(s.ids.bookings.confirmedFuture)
      const {booking} = ok(
        await s.gql<{booking: {guest: object; property: object; payments: {nodes: object[]}}}>(`{ booking(ref: "${ref}") {
          guest { id username email firstName lastName isActive isAdmin createdAt updatedAt }
          property { id ownerId name description address pricePerNight cancellationPolicy isListed createdAt updatedAt }
          payments { nodes { id bookingId kind amount status transactionId paymentDate refundOfId reason idempotencyKey createdAt } }
        } }`),
      )
      const {payments, paid: _paid, refunded: _refunded, ...view} = await showBooking(s.ctx, ref)
      expect(booking.guest).to.deep.equal(await operations.users.show(s.ctx, view.guestId))
      const {owner: _owner, averageRating: _a, reviewCount: _c, upcomingBookings: _u, ...property} = await showProperty(s.ctx, view.propertyId)
      expect(booking.property).to.deep.equal(property)
      expect(booking.payments.nodes).to.deep.equal(payments)
    })

    it('pages nested lists with the same cursors as the list operations', async () => {
      const first = ok(
        await s.gql<{user: {bookings: Conn<{id: number}>}}>(`{ user(ref: "${users.guest.username}") { bookings(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } } } }`),
      ).user.bookings
      expect(first.nodes).to.have.length(2)
      expect(first.pageInfo.hasNextPage).to.equal(true)
      const rest = await operations.bookings.list(s.ctx, {guest: users.guest.username, sort: 'id', cursor: first.pageInfo.endCursor!})
      expect(rest.items.map((b) => b.id)).to.deep.equal([s.ids.bookings.confirmedFuture])
      const nested = ok(
        await s.gql<{user: {bookings: Conn<{id: number}>}}>(`query($after: String) { user(ref: "${users.guest.username}") { bookings(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage } } } }`, {
          after: first.pageInfo.endCursor,
        }),
      ).user.bookings
      expect(nested).to.deep.equal({nodes: [{id: s.ids.bookings.confirmedFuture}], pageInfo: {hasNextPage: false}})
    })

    it('searches availability: listed properties free for the whole stay', async () => {
      const free = async (from: string, to: string) =>
        ok(await s.gql<{availableProperties: Conn<{name: string}>}>('query($from: Date!, $to: Date!) { availableProperties(from: $from, to: $to) { nodes { name } } }', {from, to}))
          .availableProperties.nodes.map((p) => p.name)
      expect(await free(day(15), day(16))).to.deep.equal([properties.cabin.name, properties.flat.name])
      expect(await free(day(31), day(32))).to.deep.equal([properties.loft.name, properties.flat.name])
      await operations.properties.update(s.ctx, properties.flat.name, {isListed: false})
      expect(await free(day(31), day(32))).to.deep.equal([properties.loft.name])
    })

    it('filters bookings, payments, reviews and audit events', async () => {
      const data = ok(
        await s.gql<Record<string, Conn<{id: number}>>>(`{
          pending: bookings(status: pending) { nodes { id } }
          overlapping: bookings(from: "${day(15)}", to: "${day(31)}") { nodes { id } }
          charges: payments(kind: charge, sort: "-paymentDate") { nodes { id } }
          good: reviews(minRating: 5) { nodes { id } }
          confirms: auditEvents(action: "booking.con*") { nodes { id } }
        }`),
      )
      expect(data.pending.nodes.map((b) => b.id)).to.deep.equal([s.ids.bookings.pendingFuture])
      expect(data.overlapping.nodes.map((b) => b.id)).to.deep.equal([s.ids.bookings.pendingFuture, s.ids.bookings.confirmedFuture])
      expect(data.charges.nodes.map((p) => p.id).sort()).to.deep.equal(Object.values(s.ids.payments).sort())
      expect(data.good.nodes.map((r) => r.id)).to.deep.equal([s.ids.reviews.loftByGuest])
      expect(data.confirms.nodes).to.have.length(2)
    })

    it('shows a booking and a payment with their figures, as `show` does', async () => {
      const ref = String(s.ids.bookings.confirmedFuture)
      const data = ok(
        await s.gql<{booking: {paid: string; refunded: string; totalPrice: string; nights: number}; payment: {refundable: string; kind: string}}>(
          `{ booking(ref: "${ref}") { paid refunded totalPrice nights } payment(ref: "txn_charge100") { refundable kind } }`,
        ),
      )
      const details = await showBooking(s.ctx, ref)
      expect(data.booking).to.deep.equal({paid: details.paid, refunded: details.refunded, totalPrice: details.totalPrice, nights: details.nights})
      expect(data.payment).to.deep.equal({refundable: '100.00', kind: 'charge'})
    })

    it('answers me with null when anonymous', async () => {
      expect(ok(await s.gql('{ me { id } }', {}, {anonymous: true}))).to.deep.equal({me: null})
    })
  })

  describe('mutations', () => {
    it('manages users: create, update, password, deactivate, activate, delete, erase', async () => {
      const fields = 'id username email firstName lastName isActive isAdmin'
      const created = ok(
        await s.gql<{createUser: Record<string, unknown>}>(`mutation($input: CreateUserInput!) { createUser(input: $input) { ${fields} } }`, {
          input: {username: 'nina.new', email: 'Nina@Example.com', password: 'nina-password-1', firstName: 'Nina'},
        }),
      ).createUser
      expect(created).to.include({username: 'nina.new', email: 'nina@example.com', firstName: 'Nina', lastName: null, isActive: true, isAdmin: false})
      const updated = ok(
        await s.gql<{updateUser: {firstName: string | null; lastName: string}}>('mutation { updateUser(ref: "nina.new", input: {firstName: null, lastName: "Neu"}) { firstName lastName } }'),
      ).updateUser
      expect(updated).to.deep.equal({firstName: null, lastName: 'Neu'})
      ok(await s.gql('mutation { setUserPassword(ref: "nina.new", password: "another-password-2") { id } }'))
      expect(ok(await s.gql<{deactivateUser: {isActive: boolean}}>('mutation { deactivateUser(ref: "nina.new") { isActive } }')).deactivateUser.isActive).to.equal(false)
      expect(ok(await s.gql<{activateUser: {isActive: boolean}}>('mutation { activateUser(ref: "nina.new") { isActive } }')).activateUser.isActive).to.equal(true)
      expect(ok(await s.gql('mutation { deleteUser(ref: "nina.new") { id deleted erased } }'))).to.deep.equal({deleteUser: {id: created.id, deleted: true, erased: false}})
      const refused = await s.gql(`mutation { deleteUser(ref: "${users.guest.username}") { id } }`)
      expect(codes(refused)).to.deep.equal(['CONFLICT'])
      expect(refused.errors![0].extensions!.suggestion).to.match(/deactivate it/)
      const erased = ok(await s.gql<{eraseUser: {id: number; username: string; reviewsScrubbed: number}}>(`mutation { eraseUser(ref: "${users.guest.username}") { id username reviewsScrubbed } }`))
      expect(erased.eraseUser).to.deep.equal({id: s.ids.users.guest, username: `erased-${s.ids.users.guest}`, reviewsScrubbed: 1})
      const events = await operations.audit.list(s.ctx, {entity: 'user', limit: 20})
      const ours = events.items.filter((e) => e.via === 'graphql')
      expect(ours.map((e) => e.action).reverse()).to.deep.equal([
        'user.create',
        'user.update',
        'user.set-password',
        'user.deactivate',
        'user.activate',
        'user.delete',
        'user.erase',
      ])
      expect(new Set(ours.map((e) => e.actor))).to.deep.equal(new Set([users.admin.username]))
    })

    it('manages properties: create, update (unlist, clear description), delete', async () => {
      const created = ok(
        await s.gql<{createProperty: {id: number; pricePerNight: string; cancellationPolicy: string; owner: {username: string}}}>(
          `mutation { createProperty(input: {owner: "${users.host.username}", name: "Dune Hut", address: "3 Beach Lane", pricePerNight: "80.5", description: "Sand"}) {
            id pricePerNight cancellationPolicy owner { username } } }`,
        ),
      ).createProperty
      expect(created).to.deep.include({pricePerNight: '80.50', cancellationPolicy: 'moderate', owner: {username: users.host.username}})
      const updated = ok(
        await s.gql<{updateProperty: Record<string, unknown>}>(
          `mutation { updateProperty(ref: "${created.id}", input: {isListed: false, description: null, cancellationPolicy: strict}) { isListed description cancellationPolicy } }`,
        ),
      ).updateProperty
      expect(updated).to.deep.equal({isListed: false, description: null, cancellationPolicy: 'strict'})
      expect(ok(await s.gql(`mutation { deleteProperty(ref: "Dune Hut") { id deleted } }`))).to.deep.equal({deleteProperty: {id: created.id, deleted: true}})
      expect(codes(await s.gql(`mutation { deleteProperty(ref: "${properties.loft.name}") { id } }`))).to.deep.equal(['CONFLICT'])
    })

    it('books, confirms, charges, refunds with an idempotency key, and cancels with a refund mode', async () => {
      const booking = ok(
        await s.gql<{createBooking: {id: number; status: string; totalPrice: string; nights: number}}>(
          `mutation { createBooking(input: {property: "${properties.cabin.name}", guest: "${users.otherGuest.username}", startDate: "${day(40)}", endDate: "${day(42)}"}) { id status totalPrice nights } }`,
        ),
      ).createBooking
      expect(booking).to.deep.include({status: 'pending', totalPrice: '666.66', nights: 2})
      expect(ok(await s.gql(`mutation { confirmBooking(ref: "${booking.id}") { status } }`))).to.deep.equal({confirmBooking: {status: 'confirmed'}})
      const charge = ok(
        await s.gql<{recordPayment: {id: number; status: string; amount: string}}>(
          `mutation { recordPayment(input: {bookingId: ${booking.id}, amount: "600", transactionId: "txn_gql_1"}) { id status amount } }`,
        ),
      ).recordPayment
      expect(charge).to.deep.include({status: 'completed', amount: '600.00'})
      const refund = `mutation($key: String) { refundPayment(ref: "txn_gql_1", amount: "50.00", reason: "broken heater", idempotencyKey: $key) { refund { id amount refundOfId reason } charge { id } remaining replayed } }`
      const first = ok(await s.gql<{refundPayment: {refund: {id: number}; remaining: string; replayed: boolean}}>(refund, {key: 'k-1'})).refundPayment
      expect(first).to.deep.include({remaining: '550.00', replayed: false})
      const again = ok(await s.gql<{refundPayment: {refund: {id: number}; replayed: boolean}}>(refund, {key: 'k-1'})).refundPayment
      expect(again.replayed).to.equal(true)
      expect(again.refund.id).to.equal(first.refund.id)
      expect(codes(await s.gql(`mutation { refundPayment(ref: "txn_gql_1", amount: "600.00") { remaining } }`))).to.deep.equal(['CONFLICT'])
      const cancelled = ok(
        await s.gql<{cancelBooking: {booking: {status: string}; refundMode: string; refunded: string; refunds: {amount: string}[]; policyPercent: number | null}}>(
          `mutation { cancelBooking(ref: "${booking.id}", refund: full, reason: "guest asked") { booking { status } refundMode refunded refunds { amount } policyPercent daysBeforeCheckIn } }`,
        ),
      ).cancelBooking
      expect(cancelled).to.deep.include({refundMode: 'full', refunded: '550.00', policyPercent: null})
      expect(cancelled.booking.status).to.equal('cancelled')
      const byPolicy = ok(
        await s.gql<{cancelBooking: Record<string, unknown>}>(
          `mutation { cancelBooking(ref: "${s.ids.bookings.confirmedFuture}") { refundMode policyPercent daysBeforeCheckIn refunded } }`,
        ),
      ).cancelBooking
      const percent = refundPercent('moderate', 14)
      expect(byPolicy).to.deep.equal({refundMode: 'policy', policyPercent: percent, daysBeforeCheckIn: 14, refunded: formatCents(Math.floor((10_000 * percent) / 100))})
    })

    it('serves concurrent mutations: of 12 overlapping bookings at once exactly one is made', async () => {
      const guests = await Promise.all(
        Array.from({length: 12}, (_, i) => operations.users.create(s.ctx, {username: `racer${i}`, email: `racer${i}@example.com`, password: 'racer-password-1'})),
      )
      const responses = await Promise.all(
        guests.map((g, i) =>
          s.gql(`mutation { createBooking(input: {property: "${properties.cabin.name}", guest: "${g.username}", startDate: "${day(50 + (i % 3))}", endDate: "${day(54)}"}) { id } }`),
        ),
      )
      expect(responses.filter((r) => !r.errors).length).to.equal(1)
      expect(responses.flatMap(codes).sort()).to.deep.equal(Array(11).fill('CONFLICT'))
    })

    it('creates and deletes reviews; refuses a review without an ended stay', async () => {
      const refused = await s.gql(`mutation { createReview(input: {property: "${properties.flat.name}", reviewer: "${users.otherGuest.username}", rating: 4}) { id } }`)
      expect(codes(refused)).to.deep.equal(['CONFLICT'])
      const {deleteReview} = ok(await s.gql<{deleteReview: {id: number; deleted: boolean}}>(`mutation { deleteReview(id: ${s.ids.reviews.loftByGuest}) { id deleted } }`))
      expect(deleteReview).to.deep.equal({id: s.ids.reviews.loftByGuest, deleted: true})
      const again = ok(
        await s.gql<{createReview: {rating: number; reviewer: {username: string}}}>(
          `mutation { createReview(input: {property: "${properties.loft.name}", reviewer: "${users.guest.username}", rating: 3, comment: "ok"}) { rating reviewer { username } } }`,
        ),
      )
      expect(again.createReview).to.deep.equal({rating: 3, reviewer: {username: users.guest.username}})
    })

    it('shows a review with its property and reviewer; updateReview moderates its comment (null removes it), not the rating', async () => {
      const id = s.ids.reviews.loftByGuest
      const shown = ok(await s.gql<{review: Record<string, unknown>}>(`{ review(id: ${id}) { id rating comment property { name } reviewer { username } } }`))
      expect(shown.review).to.deep.equal({id, rating: 5, comment: fixtures.reviews.loftByGuest.comment, property: {name: properties.loft.name}, reviewer: {username: users.guest.username}})
      const updated = ok(await s.gql<{updateReview: Record<string, unknown>}>(`mutation { updateReview(id: ${id}, input: {comment: null}) { id rating comment } }`))
      expect(updated.updateReview).to.deep.equal({id, rating: 5, comment: null})
      expect(codes(await s.gql(`mutation { updateReview(id: ${id}, input: {rating: 1}) { id } }`))).to.deep.equal(['FORBIDDEN'])
      expect(codes(await s.gql('{ review(id: 999999) { id } }'))).to.deep.equal(['NOT_FOUND'])
    })

    describe('importRows', () => {
      const mutation = `mutation($input: ImportRowsInput!) { importRows(input: $input) {
        entity read inserted updated rejected committed dryRun atomic unknownColumns rejections { index line field reason } } }`
      const rows = [
        {username: 'imp.one', email: 'one@example.com', password: 'import-password-1', shoe_size: 42},
        {username: 'x', email: 'two@example.com', password: 'import-password-2'},
        {username: users.host.username, email: 'three@example.com', password: 'import-password-3'},
        'not an object',
        {login: 'imp.five', mail: 'five@example.com', password: 'import-password-5', active: 'no'},
      ]
      type Result = {importRows: {inserted: number; rejected: number; committed: boolean; rejections: {index: number; line: number; field: string | null; reason: string}[]; unknownColumns: string[]}}

      it('imports the good rows and returns each bad one with its index, line and reason', async () => {
        const before = await countRows(s.db, 'users')
        const result = ok(await s.gql<Result>(mutation, {input: {entity: 'users', rows, firstLine: 10}})).importRows
        expect(result).to.deep.include({inserted: 2, rejected: 3, committed: true, unknownColumns: ['shoe_size']})
        expect(result.rejections.map((r) => [r.index, r.line, r.field])).to.deep.equal([
          [1, 11, 'username'],
          [2, 12, 'username'],
          [3, 13, null],
        ])
        expect(result.rejections[1].reason).to.match(/already exists/)
        expect(await countRows(s.db, 'users')).to.equal(before + 2)
        const five = await operations.users.show(s.ctx, 'imp.five')
        expect(five.isActive).to.equal(false)
        const audit = await operations.audit.list(s.ctx, {action: 'import.batch'})
        expect(audit.items[0]).to.deep.include({via: 'graphql', actor: users.admin.username})
      })

      it('keeps nothing with atomic when a row is rejected, and nothing on a dry run', async () => {
        const before = await countRows(s.db, 'users')
        const atomic = ok(await s.gql<Result>(mutation, {input: {entity: 'users', rows, atomic: true}})).importRows
        expect(atomic).to.deep.include({inserted: 0, rejected: 3, committed: false})
        const dry = ok(await s.gql<Result>(mutation, {input: {entity: 'users', rows: [rows[0]], dryRun: true}})).importRows
        expect(dry).to.deep.include({inserted: 1, rejected: 0, committed: false})
        expect(await countRows(s.db, 'users')).to.equal(before)
      })

      it('writes nothing when the row checks reject more rows than maxErrors, and writes as usual within it', async () => {
        const before = await countRows(s.db, 'users')
        type Stopped = {importRows: Result['importRows'] & {stoppedEarly: boolean}}
        const stopping = `mutation($input: ImportRowsInput!) { importRows(input: $input) { inserted rejected committed stoppedEarly rejections { index line field reason } } }`
        const over = ok(await s.gql<Stopped>(stopping, {input: {entity: 'users', rows, maxErrors: 1}})).importRows
        expect(over).to.deep.include({inserted: 0, rejected: 2, committed: false, stoppedEarly: true})
        expect(over.rejections.map((r) => r.index)).to.deep.equal([1, 3])
        expect(await countRows(s.db, 'users')).to.equal(before)
        const within = ok(await s.gql<Stopped>(stopping, {input: {entity: 'users', rows, maxErrors: 2}})).importRows
        expect(within).to.deep.include({inserted: 2, rejected: 3, committed: true, stoppedEarly: false})
        expect(await countRows(s.db, 'users')).to.equal(before + 2)
      })

      it('updates existing rows with upsert', async () => {
        const result = ok(
          await s.gql<Result & {importRows: {updated: number}}>(mutation, {
            input: {entity: 'users', upsert: true, rows: [{username: users.host.username, email: users.host.email, password: 'host-password-9', firstName: 'Hanna'}]},
          }),
        ).importRows
        expect(result).to.deep.include({inserted: 0, updated: 1, rejected: 0})
        expect((await operations.users.show(s.ctx, users.host.username)).firstName).to.equal('Hanna')
      })
    })
  })

  describe('errors', () => {
    it('answers domain errors with the catalogue code and the service\'s own message', async () => {
      const cases: [string, string, () => Promise<unknown>][] = [
        ['{ property(ref: "Nowhere") { id } }', 'NOT_FOUND', () => operations.properties.show(s.ctx, 'Nowhere')],
        [
          `mutation { createBooking(input: {property: "${properties.loft.name}", guest: "${users.otherGuest.username}", startDate: "${day(15)}", endDate: "${day(16)}"}) { id } }`,
          'CONFLICT',
          () => operations.bookings.create(s.ctx, {property: properties.loft.name, guest: users.otherGuest.username, startDate: day(15), endDate: day(16)}),
        ],
        ['{ bookings(from: "2027-02-30") { nodes { id } } }', 'BAD_USER_INPUT', () => operations.bookings.list(s.ctx, {from: '2027-02-30'})],
        ['{ users(sort: "passwordHash") { nodes { id } } }', 'BAD_USER_INPUT', () => operations.users.list(s.ctx, {sort: 'passwordHash'})],
        ['mutation { importRows(input: {entity: users, rows: [], firstLine: 0}) { read } }', 'BAD_USER_INPUT', () => operations.imports.rows(s.ctx, {entity: 'users', rows: [], firstLine: 0})],
        // Values no column can hold are bad input, never a database error (INTERNAL) nor a value stored changed.
        [
          `mutation { createProperty(input: {owner: "${users.host.username}", name: "Dear", address: "1 Rd", pricePerNight: "100000000.00"}) { id } }`,
          'BAD_USER_INPUT',
          () => operations.properties.create(s.ctx, {owner: users.host.username, name: 'Dear', address: '1 Rd', pricePerNight: '100000000.00'}),
        ],
        [
          `mutation { createBooking(input: {property: "${properties.loft.name}", guest: "${users.otherGuest.username}", startDate: "0999-01-01", endDate: "0999-01-02"}) { id } }`,
          'BAD_USER_INPUT',
          () => operations.bookings.create(s.ctx, {property: properties.loft.name, guest: users.otherGuest.username, startDate: '0999-01-01', endDate: '0999-01-02', allowPast: true}),
        ],
      ]
      for (const [query, code, local] of cases) {
        const response = await s.gql(query)
        expect(codes(response), query).to.deep.equal([code])
        expect(response.errors![0].message, query).to.equal(await serviceMessage(local))
      }
    })

    it('carries the suggestion and details a remote client needs to raise the same error', async () => {
      const response = await s.gql(
        `mutation { createBooking(input: {property: "${properties.loft.name}", guest: "${users.otherGuest.username}", startDate: "${day(15)}", endDate: "${day(16)}"}) { id } }`,
      )
      expect(response.errors![0].extensions).to.deep.include({code: 'CONFLICT', kind: 'CONFLICT', suggestion: `pick other dates or cancel booking ${s.ids.bookings.confirmedFuture}`})
      expect(response.errors![0].extensions!.details).to.include({conflictingBookingId: s.ids.bookings.confirmedFuture})
      expect(response.errors![0].path).to.deep.equal(['createBooking'])
    })

    it('masks an unexpected error: no stack, no SQL, no table; the log line says what broke without values', async () => {
      const qi = s.db.sequelize.getQueryInterface()
      const rename = (from: string, to: string) =>
        s.db.sequelize.query(`ALTER TABLE ${qi.quoteIdentifier('reviews')} RENAME COLUMN ${qi.quoteIdentifier(from)} TO ${qi.quoteIdentifier(to)}`)
      await rename('comment', 'comment_gone')
      try {
        const response = await s.gql('query Broken { reviews(minRating: 2) { nodes { id comment } } }')
        expect(response.errors).to.deep.equal([{message: 'Unexpected error.', locations: [{line: 1, column: 16}], path: ['reviews'], extensions: {code: 'INTERNAL_SERVER_ERROR'}}])
        expect(response.text).not.to.match(/comment_gone|SELECT|SQLITE|\bER_|Sequelize|\bat\s+\S+\s\(/)
        const line = s.logs.find((l) => l.includes('op=Broken'))!
        expect(line).to.match(/errors=INTERNAL_SERVER_ERROR internal=".*Sequelize\w*Error/)
      } finally {
        await rename('comment_gone', 'comment')
      }
    })

    it('answers a table that is not there (a database not migrated, or not yet) as SERVICE_UNAVAILABLE, naming nothing', async () => {
      const qi = s.db.sequelize.getQueryInterface()
      await s.db.sequelize.query(`ALTER TABLE ${qi.quoteIdentifier('reviews')} RENAME TO ${qi.quoteIdentifier('reviews_gone')}`)
      try {
        const response = await s.gql('query Unmigrated { reviews(minRating: 2) { nodes { id comment } } }')
        expect(response.errors).to.deep.equal([{message: UNMIGRATED_MESSAGE, locations: [{line: 1, column: 20}], path: ['reviews'], extensions: {code: 'SERVICE_UNAVAILABLE'}}])
        expect(response.text).not.to.match(/reviews_gone|SELECT|SQLITE|\bER_|Sequelize/)
      } finally {
        await s.db.sequelize.query(`ALTER TABLE ${qi.quoteIdentifier('reviews_gone')} RENAME TO ${qi.quoteIdentifier('reviews')}`)
      }
    })

    it('refuses a wrong, malformed or revoked token as UNAUTHENTICATED, without running the operation', async () => {
      const before = await countRows(s.db, 'users')
      const mutation = 'mutation { createUser(input: {username: "never.made", email: "never@example.com", password: "password-never"}) { id } }'
      for (const headers of [{authorization: 'Bearer stk_nonsense'}, {authorization: 'Basic dXNlcjpwYXNz'}]) {
        const response = await s.gql(mutation, {}, {headers})
        expect(codes(response)).to.deep.equal(['UNAUTHENTICATED'])
        expect(response.data ?? null).to.equal(null)
      }
      expect(codes(await s.gql('mutation { logout }', {}, {anonymous: true}))).to.deep.equal(['UNAUTHENTICATED'])
      expect(await countRows(s.db, 'users')).to.equal(before)
    })
  })

  describe('authentication (through src/graphql/auth.ts)', () => {
    const login = 'mutation($login: String!, $password: String!) { login(login: $login, password: $password) { token expiresAt user { id username } } }'

    it('logs in by username or email; the Bearer token makes the user the actor', async () => {
      const {login: session} = ok(await s.gql<{login: {token: string; user: {id: number}}}>(login, {login: users.host.email, password: users.host.password}))
      expect(session.user.id).to.equal(s.ids.users.host)
      expect(ok(await s.gql('{ me { username } }', {}, {token: session.token}))).to.deep.equal({me: {username: users.host.username}})
      ok(await s.gql(`mutation { updateProperty(ref: "${properties.flat.name}", input: {name: "City Flat II"}) { id } }`, {}, {token: session.token}))
      const [event] = (await operations.audit.list(s.ctx, {action: 'property.update'})).items
      expect(event).to.deep.include({actor: users.host.username, via: 'graphql'})
      ok(await s.gql('mutation { logout }', {}, {token: session.token}))
      expect(codes(await s.gql('{ me { id } }', {}, {token: session.token}))).to.deep.equal(['UNAUTHENTICATED'])
    })

    it('refuses a wrong password and an inactive account alike', async () => {
      const wrong = await s.gql(login, {login: users.host.username, password: 'not-the-password'})
      const inactive = await s.gql(login, {login: users.inactive.username, password: users.inactive.password})
      const unknown = await s.gql(login, {login: 'nobody.here', password: 'whatever-1'})
      for (const response of [wrong, inactive, unknown]) expect(codes(response)).to.deep.equal(['UNAUTHENTICATED'])
      expect(new Set([wrong, inactive, unknown].map((r) => r.errors![0].message)).size).to.equal(1)
    })

    it('creates, lists and revokes API tokens', async () => {
      const {login: session} = ok(await s.gql<{login: {token: string}}>(login, {login: users.guest.username, password: users.guest.password}))
      const {createApiToken: created} = ok(
        await s.gql<{createApiToken: {id: number; token: string}}>('mutation { createApiToken(name: "ci", expiresInDays: 7) { id token expiresAt } }', {}, {token: session.token}),
      )
      const mine = ok(await s.gql<{apiTokens: {nodes: {id: number; name: string; kind: string; status: string}[]}}>('{ apiTokens { nodes { id name kind status } } me { username } }', {}, {token: created.token}))
      expect(mine).to.deep.equal({
        apiTokens: {
          nodes: [
            {id: created.id, name: 'ci', kind: 'api', status: 'active'},
            {id: mine.apiTokens.nodes[1].id, name: 'session', kind: 'session', status: 'active'},
          ],
        },
        me: {username: users.guest.username},
      })
      ok(await s.gql(`mutation { revokeApiToken(id: ${created.id}) { id revoked } }`, {}, {token: session.token}))
      expect(codes(await s.gql('{ me { id } }', {}, {token: created.token}))).to.deep.equal(['UNAUTHENTICATED'])
      expect(codes(await s.gql('mutation { createApiToken(name: "anon") { token } }', {}, {anonymous: true}))).to.deep.equal(['UNAUTHENTICATED'])
    })
  })
})
