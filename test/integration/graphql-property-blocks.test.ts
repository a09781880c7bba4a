/**
 * Property.blocks: a property's blocked nights as a nested page, as `blocks list --property`
 * shows them — to its host and admins only (others get an empty page, as they get no blocks at
 * the top), in one batched read for many properties, with the block's own fields and its
 * property, and paged by cursor like every nested connection.
 */
import {expect} from 'chai'

import {createToken} from '../../src/services/auth.js'
import {createBlock, listBlocks} from '../../src/services/blocks.js'
import {ok, startTestServer, type TestServer} from '../support/graphql.js'
import {testContext} from '../support/fixtures.js'

const PROPERTIES = 6
const BLOCKS_PER_PROPERTY = 3

interface Page {
  properties: {
    nodes: {
      id: number
      name: string
      blocks: {
        nodes: {id: number; propertyId: number; startDate: string; endDate: string; nights: number; reason: string; property: {name: string}}[]
        pageInfo: {hasNextPage: boolean; endCursor: string | null}
      }
    }[]
  }
}

const QUERY = `query ($first: Int, $after: String) {
  properties(first: 50) { nodes { id name blocks(first: $first, after: $after) {
    nodes { id propertyId startDate endDate nights reason property { name } }
    pageInfo { hasNextPage endCursor }
  } } }
}`

describe('GraphQL Property.blocks (integration)', () => {
  let s: TestServer
  const tokens: Record<'admin' | 'host' | 'otherHost' | 'guest', string> = {admin: '', host: '', otherHost: '', guest: ''}
  let hostPropertyIds: number[]

  before(async function () {
    this.timeout(120_000)
    s = await startTestServer('graphql_property_blocks')
    const {User, Property} = s.db.models
    const admin = await User.create({username: 'ada.admin', email: 'ada@example.com', passwordHash: '!x', isAdmin: true})
    const host = await User.create({username: 'hana.host', email: 'hana@example.com', passwordHash: '!x'})
    const otherHost = await User.create({username: 'omar.host', email: 'omar@example.com', passwordHash: '!x'})
    const guest = await User.create({username: 'gus.guest', email: 'gus@example.com', passwordHash: '!x'})
    const properties = await Property.bulkCreate(
      Array.from({length: PROPERTIES}, (_, i) => ({
        ownerId: i % 2 === 0 ? host.id : otherHost.id,
        name: `Place ${i}`,
        address: `${i} Road`,
        pricePerNight: '80.00',
        description: null,
        isListed: true,
      })),
    )
    hostPropertyIds = properties.filter((p) => p.ownerId === host.id).map((p) => p.id)
    for (const [i, p] of properties.entries()) {
      for (let j = 0; j < BLOCKS_PER_PROPERTY; j++) {
        const day = String(1 + 7 * j).padStart(2, '0')
        const end = String(3 + 7 * j + (i % 3)).padStart(2, '0')
        await createBlock(s.ctx, {property: p.id, startDate: `2027-03-${day}`, endDate: `2027-03-${end}`, reason: j === 0 ? 'painting' : undefined})
      }
    }
    for (const [name, user] of [['admin', admin], ['host', host], ['otherHost', otherHost], ['guest', guest]] as const) {
      const actor = {name: user.username, userId: user.id, isAdmin: Boolean(user.isAdmin)}
      tokens[name] = (await createToken(testContext(s.db, {actor}), {name: 'property blocks'})).token
    }
  })
  after(async () => {
    await s?.stop()
  })

  it('shows a host the blocks of their own properties, as `blocks list --property` does, and none of the others', async () => {
    const data = ok(await s.gql<Page>(QUERY, {first: 10}, {token: tokens.host}))
    for (const property of data.properties.nodes) {
      const listed = await listBlocks(testContext(s.db), {property: property.id, sort: 'id'})
      const expected = hostPropertyIds.includes(property.id)
        ? listed.items.map((b) => ({id: b.id, propertyId: b.propertyId, startDate: b.startDate, endDate: b.endDate, nights: b.nights, reason: b.reason, property: {name: property.name}}))
        : []
      expect(property.blocks.nodes, property.name).to.deep.equal(expected)
    }
    expect(data.properties.nodes.filter((p) => p.blocks.nodes.length > 0).map((p) => p.id)).to.deep.equal(hostPropertyIds)
  })

  it('shows an admin every property\'s blocks; a guest and an anonymous caller none', async () => {
    const admin = ok(await s.gql<Page>(QUERY, {first: 10}, {token: tokens.admin}))
    expect(admin.properties.nodes.map((p) => p.blocks.nodes.length)).to.deep.equal(Array(PROPERTIES).fill(BLOCKS_PER_PROPERTY))
    expect(admin.properties.nodes[0].blocks.nodes[0].reason).to.equal('painting')
    expect(admin.properties.nodes[0].blocks.nodes[1].reason).to.equal('')
    for (const options of [{token: tokens.guest}, {anonymous: true}]) {
      const data = ok(await s.gql<Page>(QUERY, {first: 10}, options))
      expect(data.properties.nodes).to.have.length(PROPERTIES)
      expect(data.properties.nodes.flatMap((p) => p.blocks.nodes)).to.deep.equal([])
    }
  })

  it('reads the blocks of all the properties in one statement, however many properties', async () => {
    const {statements} = await s.counting(() => s.gql<Page>(`{ properties(first: 50) { nodes { id blocks(first: 10) { nodes { id nights } } } } }`, {}, {token: tokens.admin}))
    const {statements: withoutBlocks} = await s.counting(() => s.gql<Page>(`{ properties(first: 50) { nodes { id } } }`, {}, {token: tokens.admin}))
    expect(statements - withoutBlocks).to.be.at.most(1)
  })

  it('pages them by cursor: the pages together are the whole list, in id order', async () => {
    const first = ok(await s.gql<Page>(QUERY, {first: 2}, {token: tokens.admin})).properties.nodes[0]
    expect(first.blocks.nodes).to.have.length(2)
    expect(first.blocks.pageInfo.hasNextPage).to.equal(true)
    const rest = ok(await s.gql<Page>(QUERY, {first: 2, after: first.blocks.pageInfo.endCursor}, {token: tokens.admin})).properties.nodes[0]
    expect(rest.blocks.pageInfo.hasNextPage).to.equal(false)
    const all = (await listBlocks(testContext(s.db), {property: first.id, sort: 'id'})).items.map((b) => b.id)
    expect([...first.blocks.nodes, ...rest.blocks.nodes].map((b) => b.id)).to.deep.equal(all)
  })
})
