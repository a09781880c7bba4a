/**
 * Issue 12, item 9: one visibility rule per entity (src/services/authz.ts visibleRowsSql), the
 * same for lists, single reads and every nested path of the GraphQL server. Each case reaches
 * rows of one entity by a path other than its own list — a review's property, a property's
 * bookings, a user's bookings, a booking's payments, a payment's charge — so that each branch
 * of the rule fails a test here when it is taken out.
 */
import {expect} from 'chai'

import {createToken} from '../../src/services/auth.js'
import {updateProperty} from '../../src/services/properties.js'
import {fixtures} from '../support/fixtures.js'
import {codes, ok, useGraphQLServer} from '../support/graphql.js'

const {users, properties} = fixtures

describe('visibility along nested paths (GraphQL, integration)', () => {
  const s = useGraphQLServer('visibility')
  const tokens: Record<string, string> = {}

  beforeEach(async () => {
    for (const name of ['guest', 'otherGuest', 'host'] as const) {
      tokens[name] = (await createToken(s.ctx, {name: 'visibility', user: s.ids.users[name]})).token
    }
  })

  /** The loft is unlisted by its host: as if it no longer existed, to all but the host, admins and its guests. */
  const unlistLoft = () => updateProperty(s.ctx, s.ids.properties.loft, {isListed: false})

  it('a review is as visible as its property: not listed, not reachable by the property, its property not nested', async () => {
    await unlistLoft()
    const anonymous = {anonymous: true}
    const listed = ok(await s.gql<{reviews: {nodes: {id: number; property: {id: number}}[]}}>('{ reviews(first: 100) { nodes { id property { id } } } }', {}, anonymous))
    expect(listed.reviews.nodes.map((r) => r.property.id)).not.to.include(s.ids.properties.loft)
    expect(codes(await s.gql(`{ reviews(property: "${s.ids.properties.loft}") { nodes { id property { id name address isListed } } } }`, {}, anonymous))).to.deep.equal([
      'NOT_FOUND',
    ])
    expect(codes(await s.gql(`{ property(ref: "${s.ids.properties.loft}") { id } }`, {}, anonymous))).to.deep.equal(['NOT_FOUND'])
    // otherGuest never stayed there: the same.
    const other = {token: tokens.otherGuest}
    expect(codes(await s.gql(`{ reviews(property: "${properties.loft.name}") { nodes { id } } }`, {}, other))).to.deep.equal(['NOT_FOUND'])
    // Its host, and its guest (who stayed there and reviewed it), still see the review with its property.
    for (const token of [tokens.host, tokens.guest]) {
      const seen = ok(await s.gql<{reviews: {nodes: {property: {id: number}}[]}}>(`{ reviews(property: "${s.ids.properties.loft}") { nodes { property { id } } } }`, {}, {token}))
      expect(seen.reviews.nodes.map((r) => r.property.id)).to.deep.equal([s.ids.properties.loft])
    }
  })

  it("a booking's property, for its guest, after the listing was unlisted", async () => {
    await unlistLoft()
    const data = ok(
      await s.gql<{booking: {property: {id: number; isListed: boolean}}}>(`{ booking(ref: "${s.ids.bookings.confirmedFuture}") { property { id isListed } } }`, {}, {token: tokens.guest}),
    )
    expect(data.booking.property).to.deep.equal({id: s.ids.properties.loft, isListed: false})
  })

  it("a property's bookings: only the guest's own, unless the host asks", async () => {
    const query = `{ property(ref: "${s.ids.properties.loft}") { bookings(first: 100) { nodes { id guest { id } } } } }`
    const as = async (token: string) => ok(await s.gql<{property: {bookings: {nodes: {id: number; guest: {id: number}}[]}}}>(query, {}, {token})).property.bookings.nodes
    expect((await as(tokens.otherGuest)).map((b) => b.id)).to.deep.equal([])
    expect(new Set((await as(tokens.guest)).map((b) => b.guest.id))).to.deep.equal(new Set([s.ids.users.guest]))
    expect((await as(tokens.host)).length).to.be.greaterThan(0)
  })

  it("a user's bookings, and their payments: none of another guest's", async () => {
    const query = `{ user(ref: "${users.guest.username}") { bookings(first: 20) { nodes { id payments(first: 20) { nodes { id } } } } } }`
    const other = ok(await s.gql<{user: {bookings: {nodes: unknown[]}}}>(query, {}, {token: tokens.otherGuest}))
    expect(other.user.bookings.nodes).to.deep.equal([])
    const own = ok(await s.gql<{user: {bookings: {nodes: {payments: {nodes: {id: number}[]}}[]}}}>(query, {}, {token: tokens.guest}))
    expect(own.user.bookings.nodes.flatMap((b) => b.payments.nodes.map((p) => p.id)).sort()).to.deep.equal(
      [s.ids.payments.charge100, s.ids.payments.pastStayPaid].sort(),
    )
  })

  it('payments and bookings by themselves: another guest finds none of the guest\'s', async () => {
    const other = {token: tokens.otherGuest}
    const payments = ok(await s.gql<{payments: {nodes: {id: number}[]}}>('{ payments(first: 100) { nodes { id } } }', {}, other))
    expect(payments.payments.nodes).to.deep.equal([])
    const bookings = ok(await s.gql<{bookings: {nodes: {id: number; guest: {id: number}}[]}}>('{ bookings(first: 100) { nodes { id guest { id } } } }', {}, other))
    expect(bookings.bookings.nodes.every((b) => b.guest.id === s.ids.users.otherGuest)).to.equal(true)
    expect(bookings.bookings.nodes.length).to.be.greaterThan(0)
  })
})
