/**
 * The GraphQL relation loaders as the bench query uses them: pages of children load the rows
 * their nodes refer to before returning (so reviewer, owner, guest, … resolve without a
 * promise), and the batched reads run straight on the driver. What must hold: a fixed number
 * of statements whatever the page sizes, the same answers through fragments, aliases and
 * @skip, the same values as the single-row and list operations give (dates, money), the
 * actor's visibility (emails, unlisted properties), and only the columns the query asks for.
 * The server runs without compiled root lists (compileSql: false), so that the loaders answer
 * every query here; graphql-sql.test.ts compares the two paths.
 */
import {expect} from 'chai'
import {buildSchema, getNamedType, isLeafType, type GraphQLObjectType} from 'graphql'

import type {Db} from '../../src/db/index.js'
import {createToken} from '../../src/services/auth.js'
import {ByIdLoader} from '../../src/graphql/loaders.js'
import {typeDefs} from '../../src/graphql/schema.js'
import {codes, ok, startTestServer, type GraphQLResponse, type TestServer} from '../support/graphql.js'
import {testContext} from '../support/fixtures.js'

const OWNERS = 4
const GUESTS = 12
const PROPERTIES = 30
const REVIEWS_PER_PROPERTY = 3

interface Seeded {
  adminToken: string
  /** Tokens of the first owner (who owns the one unlisted property) and of the first guest. */
  ownerToken: string
  guestToken: string
  /** A guest with no booking at the unlisted property. */
  otherGuestToken: string
  ownerId: number
  guestId: number
  unlistedId: number
  emails: string[]
}

async function seed(db: Db): Promise<Seeded> {
  const {User, Property, Review, Booking, Payment} = db.models
  const admin = await User.create({username: 'ada.admin', email: 'ada@example.com', passwordHash: '!x', isAdmin: true})
  const owners = await User.bulkCreate(Array.from({length: OWNERS}, (_, i) => ({username: `owner${i}`, email: `owner${i}@example.com`, passwordHash: '!x'})))
  const guests = await User.bulkCreate(Array.from({length: GUESTS}, (_, i) => ({username: `guest${i}`, email: `guest${i}@example.com`, passwordHash: '!x'})))
  const properties = await Property.bulkCreate(
    Array.from({length: PROPERTIES}, (_, i) => ({
      ownerId: owners[i % OWNERS].id,
      name: `Place ${i}`,
      address: `${i} Road`,
      pricePerNight: `${50 + i}.5`,
      description: null,
      // The first property (the first owner's) is unlisted: its host, admins and its guest (guest0 books it below) see it, nobody else.
      isListed: i !== 0,
    })),
  )
  await Review.bulkCreate(
    properties.flatMap((p, i) =>
      Array.from({length: REVIEWS_PER_PROPERTY}, (_, j) => ({propertyId: p.id, reviewerId: guests[(i + j) % GUESTS].id, rating: 1 + ((i + j) % 5), comment: `r${i}.${j}`})),
    ),
  )
  const bookings = await Booking.bulkCreate(
    properties.map((p, i) => ({propertyId: p.id, guestId: guests[i % GUESTS].id, startDate: '2026-01-01', endDate: '2026-01-03', status: 'confirmed' as const, totalPrice: '100.00', externalRef: null})),
  )
  const charges = await Payment.bulkCreate(
    bookings.map((b, i) => ({bookingId: b.id, amount: '100.00', paymentDate: new Date(), status: 'completed' as const, transactionId: `t${i}`, kind: 'charge' as const, refundOfId: null, reason: null, idempotencyKey: null})),
  )
  await Payment.bulkCreate(
    charges.map((c, i) => ({bookingId: c.bookingId, amount: '10.00', paymentDate: new Date(), status: 'completed' as const, transactionId: `r${i}`, kind: 'refund' as const, refundOfId: c.id, reason: null, idempotencyKey: null})),
  )
  const token = async (user: {id: number; username: string; isAdmin?: boolean}) =>
    (await createToken(testContext(db, {actor: {name: user.username, userId: user.id, isAdmin: Boolean(user.isAdmin)}}), {name: 'loader tests'})).token
  return {
    adminToken: await token(admin),
    ownerToken: await token(owners[0]),
    guestToken: await token(guests[0]),
    otherGuestToken: await token(guests[1]),
    ownerId: owners[0].id,
    guestId: guests[0].id,
    unlistedId: properties[0].id,
    emails: [admin, ...owners, ...guests].map((u) => u.email),
  }
}

const BENCH = `query Bench($first: Int!, $reviews: Int!) {
  properties(first: $first) { nodes { id name pricePerNight owner { id username } reviews(first: $reviews) { nodes { rating comment reviewer { id username } } } } }
}`

interface BenchData {
  properties: {nodes: {id: number; name: string; pricePerNight: string; owner: {id: number; username: string}; reviews: {nodes: {rating: number; comment: string; reviewer: {id: number; username: string}}[]}}[]}
}

describe('GraphQL relation loaders (integration)', () => {
  let s: TestServer
  let seeded: Seeded

  before(async function () {
    this.timeout(120_000)
    s = await startTestServer('graphql_preload', {compileSql: false})
    seeded = await seed(s.db)
  })
  after(async () => {
    await s?.stop()
  })

  describe('statements', () => {
    for (const [first, reviews] of [
      [1, 1],
      [1, 100],
      [10, 2],
      [PROPERTIES, 20],
      [100, 20],
    ]) {
      it(`answers the bench query in at most 4 statements (properties first: ${first}, reviews first: ${reviews}), each node as the database holds it`, async () => {
        const {result, statements} = await s.counting(() => s.gql<BenchData>(BENCH, {first, reviews}, {anonymous: true}))
        const nodes = ok(result).properties.nodes
        // Anonymous: the listed properties only.
        expect(nodes).to.have.length(Math.min(first, PROPERTIES - 1))
        expect(statements).to.be.at.most(4)
        const {Property, Review, User} = s.db.models
        for (const node of nodes) {
          const property = (await Property.findByPk(node.id))!
          expect(node.owner).to.deep.equal({id: Number(property.ownerId), username: (await User.findByPk(property.ownerId))!.username})
          const stored = await Review.findAll({where: {propertyId: node.id}, order: [['id', 'ASC']], limit: reviews})
          expect(node.reviews.nodes.map((r) => [r.rating, r.comment, r.reviewer.id])).to.deep.equal(stored.map((r) => [r.rating, r.comment, Number(r.reviewerId)]))
          for (const r of node.reviews.nodes) expect(r.reviewer.username).to.match(/^guest\d+$/)
        }
      })
    }

    it('costs the same statements for 5 and for 30 bookings with property, owner, guest, payments, refunds and refundOf', async () => {
      const deep = `query($first: Int!) { bookings(first: $first) { nodes { id paid refunded guestId guest { id username } property { id owner { username } }
        payments(kind: charge, first: 2) { nodes { id amount refundable refunds(first: 2) { nodes { amount refundOf { id amount } } } } } } } }`
      type Deep = {bookings: {nodes: {guestId: number; guest: {id: number}; paid: string; refunded: string; payments: {nodes: {id: number; refundable: string; refunds: {nodes: {amount: string; refundOf: {id: number; amount: string}}[]}}[]}}[]}}
      // Once before counting: the token's first use also records when it was used.
      ok(await s.gql(deep, {first: 1}, {token: seeded.adminToken}))
      const few = await s.counting(() => s.gql<Deep>(deep, {first: 5}, {token: seeded.adminToken}))
      const many = await s.counting(() => s.gql<Deep>(deep, {first: 30}, {token: seeded.adminToken}))
      expect(ok(few.result).bookings.nodes).to.have.length(5)
      const nodes = ok(many.result).bookings.nodes
      expect(nodes).to.have.length(30)
      for (const node of nodes) {
        expect(node).to.deep.include({paid: '100.00', refunded: '10.00'})
        expect(node.guest.id).to.equal(node.guestId)
        const [charge] = node.payments.nodes
        expect(charge.refundable).to.equal('90.00')
        expect(charge.refunds.nodes).to.deep.equal([{amount: '10.00', refundOf: {id: charge.id, amount: '100.00'}}])
      }
      expect(many.statements).to.equal(few.statements)
      // the token, bookings, paid/refunded, guest, property, owner, payments, refundable, refunds, refundOf
      expect(many.statements).to.be.at.most(10)
    })
  })

  describe('the same answers whatever the shape of the query', () => {
    it('through named fragments, inline fragments and aliases, in as many statements', async () => {
      const plain = await s.counting(() => s.gql<BenchData>(BENCH, {first: 20, reviews: 3}, {anonymous: true}))
      const shaped = await s.counting(() =>
        s.gql<{properties: {nodes: Record<string, unknown>[]}}>(
          `query Shaped($first: Int!, $reviews: Int!) {
            properties(first: $first) { nodes { ...Place } }
          }
          fragment Place on Property { id name pricePerNight host: owner { id username } reviews(first: $reviews) { nodes { ... on Review { rating comment } ...ByWhom } } }
          fragment ByWhom on Review { reviewer { ...Person } }
          fragment Person on User { id username }`,
          {first: 20, reviews: 3},
          {anonymous: true},
        ),
      )
      const renamed = ok(shaped.result).properties.nodes.map(({host, ...rest}) => ({...rest, owner: host}))
      expect(renamed).to.deep.equal(ok(plain.result).properties.nodes)
      expect(shaped.statements).to.equal(plain.statements)
    })

    it('leaves out a reference under @skip and answers the rest alike', async () => {
      const skipped = await s.gql<BenchData>(
        `query($skip: Boolean!) { properties(first: 5) { nodes { id reviews(first: 3) { nodes { rating reviewer @skip(if: $skip) { id username } } } } } }`,
        {skip: true},
        {anonymous: true},
      )
      const nodes = ok(skipped).properties.nodes
      expect(nodes).to.have.length(5)
      for (const node of nodes) for (const review of node.reviews.nodes) expect(review).to.have.all.keys('rating')
    })

    it('refuses a bad filter on a nested page at that field, as before', async () => {
      const response = (await s.gql(`{ bookings(first: 2) { nodes { id payments(status: "nope") { nodes { id } } } } }`, {}, {token: seeded.adminToken})) as GraphQLResponse
      expect(codes(response).length).to.be.greaterThan(0)
      expect(response.text).not.to.include('"payments":{"nodes"')
    })
  })

  describe('values as the other operations give them', () => {
    it('gives nested date-times, money and ratings as the list and single-row operations do', async () => {
      type Reviews = {reviews: {nodes: {id: number; rating: number; comment: string; createdAt: string; reviewer: {id: number; createdAt: string; updatedAt: string}}[]}}
      const flat = ok(await s.gql<Reviews>(`{ reviews(first: 100) { nodes { id rating comment createdAt reviewer { id createdAt updatedAt } } } }`, {}, {token: seeded.adminToken}))
      const nested = ok(
        await s.gql<{properties: {nodes: {pricePerNight: string; createdAt: string; owner: {id: number; createdAt: string}; reviews: Reviews['reviews']}[]}}>(
          `{ properties(first: 100) { nodes { pricePerNight createdAt owner { id createdAt } reviews(first: 10) { nodes { id rating comment createdAt reviewer { id createdAt updatedAt } } } } } }`,
          {},
          {token: seeded.adminToken},
        ),
      )
      const byId = new Map(flat.reviews.nodes.map((r) => [r.id, r]))
      const nestedReviews = nested.properties.nodes.flatMap((p) => p.reviews.nodes)
      expect(nestedReviews).to.have.length(PROPERTIES * REVIEWS_PER_PROPERTY)
      for (const review of nestedReviews) {
        expect(review).to.deep.equal(byId.get(review.id))
        expect(review.createdAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      }
      const {User} = s.db.models
      const owner = nested.properties.nodes[0].owner
      expect(owner.createdAt).to.equal((await User.findByPk(owner.id))!.createdAt.toISOString())
      expect(nested.properties.nodes.map((p) => p.pricePerNight)).to.include('50.50')
    })
  })

  describe('visibility', () => {
    const EMAILS = `{ properties(first: 100) { nodes { owner { id email } reviews(first: 10) { nodes { reviewer { id email } } } } } }`

    it('shows nobody\'s email to an anonymous caller, however nested', async () => {
      const response = await s.gql(EMAILS, {}, {anonymous: true})
      for (const email of seeded.emails) expect(response.text.toLowerCase()).not.to.include(email.toLowerCase())
    })

    it('shows a guest their own email among the reviewers and no one else\'s', async () => {
      const response = await s.gql(EMAILS, {}, {token: seeded.guestToken})
      const own = seeded.emails.find((e) => e.startsWith('guest0@'))!
      for (const email of seeded.emails.filter((e) => e !== own)) expect(response.text.toLowerCase()).not.to.include(email.toLowerCase())
    })

    it('shows an admin every email, nested as at the top', async () => {
      const data = ok(await s.gql<{properties: {nodes: {owner: {email: string}; reviews: {nodes: {reviewer: {email: string}}[]}}[]}}>(EMAILS, {}, {token: seeded.adminToken}))
      const shown = new Set(data.properties.nodes.flatMap((p) => [p.owner.email, ...p.reviews.nodes.map((r) => r.reviewer.email)]))
      expect([...shown].every((e) => seeded.emails.includes(e))).to.equal(true)
      expect(shown.size).to.equal(OWNERS + GUESTS)
    })

    it('keeps an unlisted property out of a user\'s nested properties except for its host, its guests and admins', async () => {
      const query = `query($ref: String!) { user(ref: $ref) { properties(first: 100) { nodes { id owner { id } } } } }`
      const ids = async (token: string) =>
        ok(await s.gql<{user: {properties: {nodes: {id: number; owner: {id: number}}[]}}}>(query, {ref: String(seeded.ownerId)}, {token})).user.properties.nodes.map((p) => p.id)
      expect(await ids(seeded.otherGuestToken)).not.to.include(seeded.unlistedId)
      expect(await ids(seeded.guestToken)).to.include(seeded.unlistedId)
      expect(await ids(seeded.ownerToken)).to.include(seeded.unlistedId)
      expect(await ids(seeded.adminToken)).to.include(seeded.unlistedId)
    })
  })

  describe('only the columns asked for', () => {
    const schema = buildSchema(typeDefs)
    /** Every field of `type` without arguments whose value is a scalar or an enum. */
    const leaves = (type: string) =>
      Object.values((schema.getType(type) as GraphQLObjectType).getFields())
        .filter((field) => field.args.length === 0 && isLeafType(getNamedType(field.type)))
        .map((field) => field.name)
        .join(' ')
    /** The statements `work` runs. */
    const statementsOf = async (work: () => Promise<unknown>) => {
      s.sql.length = 0
      await work()
      return [...s.sql]
    }

    it('reads the users of the bench query without their emails, names or dates', async () => {
      const sql = await statementsOf(() => s.gql<BenchData>(BENCH, {first: 10, reviews: 3}, {token: seeded.adminToken}))
      const users = sql.filter((statement) => /FROM [`"]?users[`"]? t WHERE/.test(statement))
      expect(users).to.have.length.above(0)
      for (const statement of users) {
        expect(statement).to.match(/username/)
        expect(statement).not.to.match(/email|first_name|created_at/)
      }
      const reviews = sql.filter((statement) => /FROM [`"]?reviews[`"]? t WHERE/.test(statement))
      expect(reviews).to.have.length(1)
      expect(reviews[0]).not.to.match(/created_at|rn__ AS|SELECT \*/)
      const properties = sql.filter((statement) => /FROM [`"]?properties[`"]? AS/.test(statement))
      expect(properties).to.have.length(1)
      expect(properties[0]).to.match(/price_per_night/)
      expect(properties[0]).not.to.match(/description|address|created_at/)
    })

    it('pages a list sorted by a column the query does not ask for', async () => {
      type Ids = {properties: {nodes: {id: number}[]; pageInfo: {endCursor: string | null}}}
      const query = 'query($after: String) { properties(first: 4, sort: "-pricePerNight", after: $after) { nodes { id } pageInfo { endCursor } } }'
      const paged: number[] = []
      let after: string | null = null
      do {
        const page: Ids = ok(await s.gql<Ids>(query, {after}, {token: seeded.adminToken}))
        paged.push(...page.properties.nodes.map((p) => p.id))
        after = page.properties.pageInfo.endCursor
      } while (after)
      const whole = ok(await s.gql<{properties: {nodes: {id: number; pricePerNight: string}[]}}>('{ properties(first: 100, sort: "-pricePerNight") { nodes { id pricePerNight } } }', {}, {token: seeded.adminToken}))
      expect(paged).to.deep.equal(whole.properties.nodes.map((p) => p.id))
      expect(paged).to.have.length(PROPERTIES)
    })

    it('answers every field of nested users, properties, bookings and payments as the single-row operations do', async () => {
      const [user, property, booking, payment] = ['User', 'Property', 'Booking', 'Payment'].map(leaves)
      type Row = Record<string, unknown> & {id: number}
      type Nested = {
        bookings: {
          nodes: (Row & {
            guest: Row
            property: Row & {owner: Row}
            payments: {nodes: (Row & {refunds: {nodes: (Row & {refundOf: Row})[]}})[]}
          })[]
        }
      }
      const nested = ok(
        await s.gql<Nested>(
          `{ bookings(first: 30) { nodes { ${booking} guest { ${user} } property { ${property} owner { ${user} } }
            payments(first: 5) { nodes { ${payment} refunds(first: 5) { nodes { ${payment} refundOf { ${payment} } } } } } } } }`,
          {},
          {token: seeded.adminToken},
        ),
      )
      const single = async (field: string, selection: string, row: Row) => {
        const data = ok(await s.gql<Record<string, Row>>(`query($ref: String!) { ${field}(ref: $ref) { ${selection} } }`, {ref: String(row.id)}, {token: seeded.adminToken}))
        expect(row, `${field} ${row.id}`).to.deep.include(data[field])
      }
      expect(nested.bookings.nodes).to.have.length(PROPERTIES)
      let payments = 0
      for (const node of nested.bookings.nodes.slice(0, 8)) {
        await single('booking', booking, node)
        await single('user', user, node.guest)
        await single('property', property, node.property)
        await single('user', user, node.property.owner)
        for (const charge of node.payments.nodes) {
          await single('payment', payment, charge)
          for (const refund of charge.refunds.nodes) {
            payments += 1
            await single('payment', payment, refund)
            await single('payment', payment, refund.refundOf)
          }
        }
      }
      expect(payments).to.be.above(0)
    })

    it('reads what any place of the document asks of a type, for every place', async () => {
      type Place = {owner: {id: number; createdAt?: string}; reviews: {nodes: {reviewer: {id: number; email?: string; createdAt?: string}}[]}}
      const data = ok(
        await s.gql<{properties: {nodes: Place[]}}>(
          `{ properties(first: 100) { nodes { owner { id } ...Reviews } } }
          fragment Reviews on Property { reviews(first: 10) { nodes { reviewer { id email createdAt } } } }`,
          {},
          {token: seeded.adminToken},
        ),
      )
      const {User} = s.db.models
      for (const node of data.properties.nodes) {
        for (const {reviewer} of node.reviews.nodes) {
          const stored = (await User.findByPk(reviewer.id))!
          expect(reviewer).to.deep.equal({id: stored.id, email: stored.email, createdAt: stored.createdAt.toISOString()})
        }
      }
    })
  })

  describe('ByIdLoader', () => {
    /** A loader over ids 1–100 (others: none) that records each read. */
    function recording(fail = () => false) {
      const reads: number[][] = []
      const loader = new ByIdLoader(async (ids) => {
        reads.push([...ids])
        if (fail()) throw new Error('read failed')
        return ids.map((id) => (id <= 100 ? {id} : null))
      })
      return {loader, reads}
    }

    it('reads the ids asked in one tick in one batch, each id once per request', async () => {
      const {loader, reads} = recording()
      const [a, b, , c] = await Promise.all([loader.load(1), loader.load(2), loader.preload([2, 3, 4, 3]), loader.load(101)])
      expect([a, b, c]).to.deep.equal([{id: 1}, {id: 2}, null])
      expect(reads).to.deep.equal([[1, 2, 3, 4, 101]])
      expect([loader.peek(3), loader.peek(101), loader.peek(5)]).to.deep.equal([{id: 3}, null, undefined])
      await Promise.all([loader.load(1), loader.preload([1, 2, 5]), loader.load(5)])
      expect(reads).to.deep.equal([[1, 2, 3, 4, 101], [5]])
    })

    it('waits for an id already being read instead of reading it again', async () => {
      const {loader, reads} = recording()
      const first = loader.load(7)
      await Promise.resolve()
      await new Promise((resolve) => process.nextTick(resolve))
      // The batch with 7 is on its way: a later tick asks for 7 and 8.
      const [seven, , eight] = await Promise.all([loader.load(7), loader.preload([7, 8]), loader.load(8), first])
      expect([seven, eight]).to.deep.equal([{id: 7}, {id: 8}])
      expect(reads).to.deep.equal([[7], [8]])
    })

    it('rejects the loads of a failed batch and reads their ids again when asked again', async () => {
      let failing = true
      const {loader, reads} = recording(() => failing)
      const results = await Promise.allSettled([loader.load(1), loader.preload([2])])
      expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected'])
      failing = false
      expect(await loader.load(1)).to.deep.equal({id: 1})
      expect(reads).to.deep.equal([[1, 2], [1]])
    })
  })
})
