/**
 * Compiled root lists (src/graphql/sql): one statement per root field, the same bytes as the
 * loaders give (a second server on the same database with compileSql: false), and no row the
 * services' visibility rules hide, however deep it is asked for.
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {LIMITS} from '../../src/graphql/limits.js'
import {compiledStatements} from '../../src/graphql/sql/index.js'
import {createToken} from '../../src/services/auth.js'
import {testContext} from '../support/fixtures.js'
import {ok, startTestServer, type GraphQLResponse, type RequestOptions, type TestServer} from '../support/graphql.js'

const OWNERS = 4
const GUESTS = 12
const PROPERTIES = 30

interface Seeded {
  tokens: Record<'admin' | 'host' | 'guest' | 'stranger', string>
  /** The host's unlisted property: seen by the host, admins and the guest who booked it. */
  unlistedId: number
  hostId: number
  guestId: number
  strangerId: number
  /** Per booking: its guest and its property's owner. */
  bookings: {id: number; guestId: number; ownerId: number}[]
}

async function seed(db: Db): Promise<Seeded> {
  const {User, Property, Review, Booking, Payment, Block} = db.models
  const admin = await User.create({username: 'ada.admin', email: 'ada@example.com', passwordHash: '!x', isAdmin: true, firstName: 'Ada', lastName: 'Min'})
  const owners = await User.bulkCreate(Array.from({length: OWNERS}, (_, i) => ({username: `owner${i}`, email: `owner${i}@example.com`, passwordHash: '!x', firstName: i % 2 ? `Ö "${i}"\n\\` : null})))
  const guests = await User.bulkCreate(Array.from({length: GUESTS}, (_, i) => ({username: `guest${i}`, email: `guest${i}@example.com`, passwordHash: '!x', isActive: i !== 5})))
  const properties = await Property.bulkCreate(
    Array.from({length: PROPERTIES}, (_, i) => ({
      ownerId: owners[i % OWNERS].id,
      name: `Place ${i} “quoted” 🏠`,
      address: `${i} Road`,
      pricePerNight: `${(i * 37) % 500 + 1}.${i % 3 === 0 ? '5' : '05'}`,
      description: i % 4 === 0 ? null : `Line one\nline "two" \\ ${i}`,
      isListed: i !== 0,
    })),
  )
  // The last property has no reviews: an empty page.
  await Review.bulkCreate(
    properties.slice(0, -1).flatMap((p, i) =>
      Array.from({length: 3}, (_, j) => ({propertyId: p.id, reviewerId: guests[(i + j) % GUESTS].id, rating: 1 + ((i + j) % 5), comment: j === 1 ? null : `r${i}.${j} 'x'`})),
    ),
  )
  const bookings = await Booking.bulkCreate(
    properties.map((p, i) => ({
      propertyId: p.id,
      guestId: guests[i % GUESTS].id,
      startDate: '2026-01-01',
      endDate: `2026-01-0${2 + (i % 5)}`,
      status: i % 7 === 3 ? ('cancelled' as const) : ('confirmed' as const),
      totalPrice: `${100 + i}.00`,
      externalRef: i % 2 ? `ext-${i}` : null,
    })),
  )
  const charges = await Payment.bulkCreate(
    bookings.map((b, i) => ({bookingId: b.id, amount: '100.00', paymentDate: new Date(Date.UTC(2026, 0, 1, 10, i)), status: 'completed' as const, transactionId: `t${i}`, kind: 'charge' as const, refundOfId: null, reason: null, idempotencyKey: null})),
  )
  await Payment.bulkCreate(
    charges.filter((_, i) => i % 2 === 0).map((c, i) => ({bookingId: c.bookingId, amount: '10.50', paymentDate: new Date(Date.UTC(2026, 0, 2, 10, i)), status: 'completed' as const, transactionId: `r${i}`, kind: 'refund' as const, refundOfId: c.id, reason: 'goodwill', idempotencyKey: `k${i}`})),
  )
  // Blocks after the bookings' nights, on every third property: by hand (by the admin, or no one) or from a feed.
  await Block.bulkCreate(
    properties.filter((_, i) => i % 3 === 0).flatMap((p, i) =>
      Array.from({length: 3}, (_, j) => ({
        propertyId: p.id,
        startDate: `2026-02-${String(1 + j * 5).padStart(2, '0')}`,
        endDate: `2026-02-${String(3 + j * 5).padStart(2, '0')}`,
        reason: j === 0 ? '' : `closed "${i}.${j}" 🧹`,
        source: j === 2 ? `https://example.com/feed-${i}.ics` : null,
        sourceUid: j === 2 ? `uid-${i}@example.com` : null,
        createdById: j === 1 ? admin.id : null,
      })),
    ),
  )
  const token = async (user: {id: number; username: string; isAdmin?: boolean}) =>
    (await createToken(testContext(db, {actor: {name: user.username, userId: user.id, isAdmin: Boolean(user.isAdmin)}}), {name: 'sql tests'})).token
  return {
    tokens: {admin: await token(admin), host: await token(owners[0]), guest: await token(guests[0]), stranger: await token(guests[1])},
    unlistedId: properties[0].id,
    hostId: owners[0].id,
    guestId: guests[0].id,
    strangerId: guests[1].id,
    bookings: bookings.map((b, i) => ({id: b.id, guestId: Number(b.guestId), ownerId: Number(properties[i].ownerId)})),
  }
}

const BENCH = `query Bench($first: Int!, $reviews: Int!) {
  properties(first: $first) { nodes { id name pricePerNight owner { id username } reviews(first: $reviews) { nodes { rating comment reviewer { id username } } } } }
}`

const PAYMENT = 'id bookingId kind amount status transactionId paymentDate refundOfId reason idempotencyKey createdAt'

/** Documents, their variables, and whether they compile (else the loaders answer both). */
const DOCUMENTS: [name: string, query: string, variables: Record<string, unknown>, compiles: boolean][] = [
  ['the bench query', BENCH, {first: 20, reviews: 3}, true],
  [
    'fragments, aliases and __typename',
    `query { places: properties(first: 12) { __typename nodes { ...Place host: owner { ... on User { id } username __typename } } pageInfo { hasNextPage endCursor } }
       again: properties(first: 2) { nodes { id } } }
     fragment Place on Property { id name description address isListed cancellationPolicy createdAt updatedAt ownerId
       reviews(first: 2) { nodes { ...R } } more: reviews(first: 2) { nodes { id reviewer { id } } } }
     fragment R on Review { id rating comment createdAt propertyId reviewerId reviewer { username firstName lastName isActive isAdmin createdAt updatedAt } }`,
    {},
    true,
  ],
  [
    'bookings with everything nested',
    `query($first: Int) { bookings(first: $first) { nodes { id propertyId guestId startDate endDate status totalPrice externalRef createdAt updatedAt
       guest { id username } property { id name pricePerNight owner { username } }
       payments(first: 5) { nodes { ${PAYMENT} refundOf { ${PAYMENT} } refunds(first: 3) { nodes { id amount } } } }
       charges: payments(kind: charge, status: completed) { nodes { id } } } pageInfo { hasNextPage endCursor } } }`,
    {first: 25},
    true,
  ],
  [
    'users with their pages',
    `{ users(first: 50, sort: "-username") { nodes { id username firstName properties(first: 2) { nodes { id name } } bookings(first: 3, status: confirmed) { nodes { id status } }
       reviews(first: 2) { nodes { rating property { name } } } } pageInfo { hasNextPage endCursor } } }`,
    {},
    true,
  ],
  ['reviews sorted by rating', `{ reviews(first: 7, sort: "-rating") { nodes { id rating comment reviewer { username } property { id name } } pageInfo { hasNextPage endCursor } } }`, {}, true],
  ['properties sorted by price', `{ properties(first: 4, sort: "-pricePerNight") { nodes { id pricePerNight } pageInfo { hasNextPage endCursor } } }`, {}, true],
  ['properties by creation', `{ properties(first: 3, sort: "createdAt") { nodes { id } pageInfo { endCursor } } }`, {}, true],
  ['payments by date', `{ payments(first: 10, sort: "-paymentDate") { nodes { ${PAYMENT} booking { id guest { username } } } pageInfo { hasNextPage endCursor } } }`, {}, true],
  ['the last page, and an empty page of reviews', `{ properties(first: 100) { nodes { id reviews { nodes { id } } } pageInfo { hasNextPage endCursor } } }`, {}, true],
  ['a bad sort (refused before any statement)', `{ properties(sort: "nope") { nodes { id } } }`, {}, false],
  ['a filter (loaders)', `{ properties(owner: "owner0") { nodes { id owner { id } } } }`, {}, false],
  [
    'nested pageInfo',
    `{ properties(first: 30) { nodes { one: reviews(first: 1) { pageInfo { hasNextPage endCursor } nodes { id } } all: reviews(first: 5) { pageInfo { endCursor hasNextPage __typename } }
       bookings(status: confirmed) { pageInfo { hasNextPage } } } pageInfo { endCursor } }
       bookings(first: 30) { nodes { payments(first: 1, kind: charge) { nodes { id refunds(first: 1) { pageInfo { hasNextPage endCursor } } } pageInfo { hasNextPage endCursor } } } } }`,
    {},
    true,
  ],
  ['a nested after (loaders)', `query($after: String) { properties(first: 3) { nodes { reviews(first: 1, after: $after) { nodes { id } } } } }`, {after: 'WyJpZCIsbnVsbCwxXQ'}, false],
  ['a directive (loaders)', `query($skip: Boolean!) { properties(first: 3) { nodes { id owner @skip(if: $skip) { id } } } }`, {skip: true}, false],
  [
    'properties with their blocks, and a block\'s property',
    `{ properties(first: 30) { nodes { id blocks(first: 2) { nodes { id propertyId startDate endDate reason source sourceUid createdById createdAt updatedAt
       property { id name owner { username } } } pageInfo { hasNextPage endCursor } } all: blocks { nodes { id } } } } }`,
    {},
    true,
  ],
  [
    'blocks by date, with their properties',
    `{ blocks(first: 4, sort: "-startDate") { nodes { id startDate reason source property { id name reviews(first: 1) { nodes { rating } } } } pageInfo { hasNextPage endCursor } } }`,
    {},
    true,
  ],
  ['blocks of a feed (a filter: loaders)', `{ blocks(source: "https://example.com/feed-0.ics") { nodes { id sourceUid } } }`, {}, false],
  ['a block\'s nights (computed: loaders)', `{ properties(first: 30) { nodes { blocks { nodes { id nights } } } } }`, {}, false],
  ['emails, as each viewer may see them', `{ properties(first: 30) { nodes { owner { id email } reviews { nodes { reviewer { id email } } } } } }`, {}, true],
]

const VIEWERS = ['anonymous', 'admin', 'host', 'guest', 'stranger'] as const

describe('GraphQL compiled root lists (integration)', () => {
  let compiled: TestServer
  let loaders: TestServer
  let seeded: Seeded
  const as = (viewer: (typeof VIEWERS)[number]): RequestOptions => (viewer === 'anonymous' ? {anonymous: true} : {token: seeded.tokens[viewer]})

  before(async function () {
    this.timeout(120_000)
    compiled = await startTestServer('graphql_sql')
    loaders = await startTestServer('graphql_sql', {compileSql: false}, {database: compiled.database})
    seeded = await seed(compiled.db)
  })
  after(async () => {
    await loaders?.stop()
    await compiled?.stop()
  })

  describe('the same bytes as the loaders', () => {
    for (const [name, query, variables, compiles] of DOCUMENTS) {
      it(`${name}, for every viewer`, async () => {
        let ran = 0
        for (const viewer of VIEWERS) {
          const before = compiledStatements.count
          const mine = await compiled.gql(query, variables, as(viewer))
          ran += compiledStatements.count - before
          const theirs = await loaders.gql(query, variables, as(viewer))
          expect(mine.text, `${viewer}: ${mine.text.slice(0, 300)}`).to.equal(theirs.text)
          expect(mine.status).to.equal(theirs.status)
        }
        if (compiles) expect(ran, 'compiled statements').to.be.above(0)
        else expect(ran, 'compiled statements').to.equal(0)
      })
    }

    it('pages by cursor as the loaders do', async () => {
      type Paged = {properties: {pageInfo: {endCursor: string | null}}}
      const query = 'query($after: String) { properties(first: 7, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } } }'
      let after: string | null = null
      let pages = 0
      do {
        const mine: GraphQLResponse<Paged> = await compiled.gql<Paged>(query, {after}, as('host'))
        expect(mine.text).to.equal((await loaders.gql(query, {after}, as('host'))).text)
        after = ok(mine).properties.pageInfo.endCursor
        pages += 1
      } while (after)
      expect(pages).to.equal(Math.ceil(PROPERTIES / 7))
    })
  })

  describe('statements', () => {
    const sizes = [1, 20, 50, LIMITS.maxFirst]
    for (const first of sizes) {
      it(`answers the bench query in one statement for ${first} properties (anonymous), at most 3 with a token`, async () => {
        const reviews = Math.min(first, 20)
        await compiled.gql(BENCH, {first, reviews}, as('admin'))
        const anonymous = await compiled.counting(() => compiled.gql(BENCH, {first, reviews}, as('anonymous')))
        ok(anonymous.result)
        expect(anonymous.statements).to.equal(1)
        const admin = await compiled.counting(() => compiled.gql(BENCH, {first, reviews}, as('admin')))
        ok(admin.result)
        expect(admin.statements).to.be.at.most(3)
      })
    }

    it('answers each root list in one statement, however deep', async () => {
      const [, deep] = DOCUMENTS[2]
      await compiled.gql(deep, {first: 1}, as('admin'))
      for (const first of sizes) {
        const {result, statements} = await compiled.counting(() => compiled.gql(deep, {first: Math.min(first, 30)}, as('admin')))
        ok(result)
        // The token's check, and the bookings with everything below them.
        expect(statements).to.be.at.most(2)
      }
    })
  })

  describe('visibility through the compiled path', () => {
    type Deep = {properties: {nodes: {id: number; owner: {id: number; properties: {nodes: {id: number}[]}; bookings: {nodes: {id: number}[]}}}[]}}
    const deep = '{ properties(first: 30) { nodes { id owner { id properties(first: 30) { nodes { id } } bookings(first: 30) { nodes { id } } } } } }'

    for (const viewer of VIEWERS) {
      it(`shows ${viewer} only the properties and bookings the rules let them see, at any depth`, async () => {
        const before = compiledStatements.count
        const data = ok(await compiled.gql<Deep>(deep, {}, as(viewer)))
        expect(compiledStatements.count).to.be.above(before)
        const seesUnlisted = viewer === 'admin' || viewer === 'host' || viewer === 'guest'
        const properties = [...data.properties.nodes.map((p) => p.id), ...data.properties.nodes.flatMap((p) => p.owner.properties.nodes.map((q) => q.id))]
        expect(properties.includes(seeded.unlistedId), 'the unlisted property').to.equal(seesUnlisted)
        const me = {admin: undefined, host: seeded.hostId, guest: seeded.guestId, stranger: seeded.strangerId, anonymous: undefined}[viewer]
        const visible = seeded.bookings.filter((b) => viewer === 'admin' || (me !== undefined && (b.guestId === me || b.ownerId === me))).map((b) => b.id)
        const shown = new Set(data.properties.nodes.flatMap((p) => p.owner.bookings.nodes.map((b) => b.id)))
        for (const id of shown) expect(visible, `booking ${id}`).to.include(id)
      })
    }

    it('shows the blocks of a property to its host and to admins only', async () => {
      type Blocks = {properties: {nodes: {id: number; ownerId: number; blocks: {nodes: {id: number; propertyId: number}[]}}[]}}
      for (const viewer of VIEWERS) {
        const before = compiledStatements.count
        const data = ok(await compiled.gql<Blocks>('{ properties(first: 30) { nodes { id ownerId blocks(first: 5) { nodes { id propertyId } } } } }', {}, as(viewer)))
        expect(compiledStatements.count).to.be.above(before)
        const shown = data.properties.nodes.flatMap((p) => p.blocks.nodes.map((b) => ({...b, ownerId: p.ownerId, parent: p.id})))
        for (const block of shown) expect(block.propertyId).to.equal(block.parent)
        if (viewer === 'admin') expect(shown).to.have.length(Math.ceil(PROPERTIES / 3) * 3)
        else if (viewer === 'host') {
          expect(shown.length).to.be.above(0)
          for (const block of shown) expect(block.ownerId, `block ${block.id}`).to.equal(seeded.hostId)
        } else expect(shown, viewer).to.deep.equal([])
      }
    })

    it('refuses the bookings and the users to those the services refuse them to', async () => {
      for (const [query, viewer, code] of [
        ['{ bookings { nodes { id } } }', 'anonymous', 'UNAUTHENTICATED'],
        ['{ users { nodes { id } } }', 'guest', 'FORBIDDEN'],
        ['{ payments { nodes { id } } }', 'anonymous', 'UNAUTHENTICATED'],
      ] as const) {
        const response = await compiled.gql(query, {}, as(viewer))
        expect(response.errors?.map((e) => e.extensions?.code)).to.deep.equal([code])
      }
    })

    it('shows a guest only their own bookings and those on their properties', async () => {
      for (const viewer of ['host', 'guest', 'stranger'] as const) {
        const me = {host: seeded.hostId, guest: seeded.guestId, stranger: seeded.strangerId}[viewer]
        const data = ok(await compiled.gql<{bookings: {nodes: {id: number; guestId: number; property: {ownerId: number}}[]}}>('{ bookings(first: 100) { nodes { id guestId property { ownerId } } } }', {}, as(viewer)))
        const expected = seeded.bookings.filter((b) => b.guestId === me || b.ownerId === me).map((b) => b.id)
        expect(data.bookings.nodes.map((b) => b.id)).to.deep.equal(expected)
        expect(expected.length).to.be.above(0)
      }
    })
  })
})
