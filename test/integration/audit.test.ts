/**
 * Acceptance 8 (and the service side of 3): every mutation of the Backend leaves exactly the
 * expected audit events, in the same transaction as the change; `listAudit` filters and
 * pages; no audit event and no Backend result ever carries a password or a hash.
 */
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {expect} from 'chai'
import {Op} from 'sequelize'

import {localBackend, operations, type Backend} from '../../src/backend.js'
import type {AuditChannel} from '../../src/domain.js'
import {ValidationError} from '../../src/errors.js'
import {listAudit} from '../../src/services/audit.js'
import {createToken, login} from '../../src/services/auth.js'
import {addCalendarFeed, publishCalendar} from '../../src/services/calendar/manage.js'
import {createBooking, confirmBooking} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {createProperty} from '../../src/services/properties.js'
import {createUser} from '../../src/services/users.js'
import {day, fixtures, testContext, type ScenarioIds} from '../support/fixtures.js'
import {dumpTables, expectRefused, useScenario} from '../support/integration.js'
import {tempFolder} from '../support/isolated-env.js'

const {users, properties} = fixtures

/** A block of the flat, day 50 → 52; its id. */
/** A calendar of one all-day event [start, end). */
const oneEventFeed = (uid: string, start: string, end: string) =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:${start.replace(/-/g, '')}\r\nDTEND;VALUE=DATE:${end.replace(/-/g, '')}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`

/** The id of the flat's block that starts on `start`. */
async function blockAt(b: Backend, start: string): Promise<number> {
  const found = (await b.blocks.list({property: properties.flat.name, limit: 100})).items.find((block) => block.startDate === start)
  if (!found) throw new Error(`no block of the flat starts on ${start}`)
  return found.id
}

async function aBlock(ctx: ServiceContext): Promise<number> {
  const {createBlock} = await import('../../src/services/blocks.js')
  return (await createBlock(ctx, {property: properties.flat.name, startDate: day(50), endDate: day(52)})).id
}
const ACTOR = 'os:auditor'
const NEW_PASSWORD = 'brand-new-password-1'

interface Expected {
  action: string
  entity: string
  entityId: number | null
  /** Who the event names, when not the caller (a login is recorded as the user who logged in). */
  actor?: string
}

interface Case {
  /** Runs before the audit trail is read (its own events do not count). */
  setup?: (ctx: ServiceContext, ids: ScenarioIds) => Promise<unknown>
  run: (backend: Backend, ids: ScenarioIds, prepared: unknown) => Promise<unknown>
  expected: (result: never, ids: ScenarioIds, prepared: unknown) => Expected[]
}

const pastStay = async (ctx: ServiceContext) => {
  const booking = await createBooking(ctx, {property: properties.cabin.name, guest: users.otherGuest.username, startDate: day(-9), endDate: day(-6), allowPast: true})
  await confirmBooking(ctx, booking.id)
}

/** Every mutation of the Backend, by "group.operation". */
const CASES: Record<string, Case> = {
  'users.create': {
    run: (b) => b.users.create({username: 'newbie', email: 'newbie@example.com', password: NEW_PASSWORD}),
    expected: (r: {id: number}) => [{action: 'user.create', entity: 'user', entityId: r.id}],
  },
  'users.update': {
    run: (b, ids) => b.users.update(ids.users.guest, {lastName: 'Quill'}),
    expected: (_r, ids) => [{action: 'user.update', entity: 'user', entityId: ids.users.guest}],
  },
  'users.setPassword': {
    run: (b, ids) => b.users.setPassword(ids.users.guest, NEW_PASSWORD),
    expected: (_r, ids) => [{action: 'user.set-password', entity: 'user', entityId: ids.users.guest}],
  },
  'users.activate': {
    run: (b, ids) => b.users.activate(ids.users.inactive),
    expected: (_r, ids) => [{action: 'user.activate', entity: 'user', entityId: ids.users.inactive}],
  },
  'users.deactivate': {
    run: (b, ids) => b.users.deactivate(ids.users.guest),
    expected: (_r, ids) => [{action: 'user.deactivate', entity: 'user', entityId: ids.users.guest}],
  },
  'users.delete': {
    run: (b, ids) => b.users.delete(ids.users.admin),
    expected: (_r, ids) => [{action: 'user.delete', entity: 'user', entityId: ids.users.admin}],
  },
  'users.erase': {
    run: (b, ids) => b.users.erase(ids.users.guest),
    expected: (_r, ids) => [{action: 'user.erase', entity: 'user', entityId: ids.users.guest}],
  },
  'properties.create': {
    run: (b) => b.properties.create({owner: users.host.username, name: 'Shed', address: 'Yard 2', pricePerNight: '15.00'}),
    expected: (r: {id: number}) => [{action: 'property.create', entity: 'property', entityId: r.id}],
  },
  'properties.update': {
    run: (b, ids) => b.properties.update(ids.properties.loft, {pricePerNight: '125.00'}),
    expected: (_r, ids) => [{action: 'property.update', entity: 'property', entityId: ids.properties.loft}],
  },
  'properties.delete': {
    setup: async (ctx) => (await createProperty(ctx, {owner: users.host.username, name: 'Shed', address: 'Yard 2', pricePerNight: '15.00'})).id,
    run: (b, _ids, id) => b.properties.delete(id as number),
    expected: (_r, _ids, id) => [{action: 'property.delete', entity: 'property', entityId: id as number}],
  },
  'bookings.create': {
    run: (b) => b.bookings.create({property: properties.flat.name, guest: users.guest.username, startDate: day(50), endDate: day(52)}),
    expected: (r: {id: number}) => [{action: 'booking.create', entity: 'booking', entityId: r.id}],
  },
  'bookings.confirm': {
    run: (b, ids) => b.bookings.confirm(ids.bookings.pendingFuture),
    expected: (_r, ids) => [{action: 'booking.confirm', entity: 'booking', entityId: ids.bookings.pendingFuture}],
  },
  'bookings.update': {
    run: (b, ids) => b.bookings.update(ids.bookings.confirmedFuture, {startDate: day(20), endDate: day(22)}),
    expected: (_r, ids) => [{action: 'booking.update', entity: 'booking', entityId: ids.bookings.confirmedFuture}],
  },
  'bookings.cancel': {
    run: (b, ids) => b.bookings.cancel(ids.bookings.confirmedFuture, {refund: 'full'}),
    expected: (r: {refunds: {id: number}[]}, ids) => [
      {action: 'payment.refund', entity: 'payment', entityId: r.refunds[0].id},
      {action: 'booking.cancel', entity: 'booking', entityId: ids.bookings.confirmedFuture},
    ],
  },
  'blocks.create': {
    run: (b) => b.blocks.create({property: properties.flat.name, startDate: day(50), endDate: day(52), reason: 'paint'}),
    expected: (r: {id: number}) => [{action: 'block.create', entity: 'block', entityId: r.id}],
  },
  'blocks.update': {
    setup: aBlock,
    run: (b, _ids, block) => b.blocks.update(block as number, {endDate: day(53)}),
    expected: (_r, _ids, block) => [{action: 'block.update', entity: 'block', entityId: block as number}],
  },
  'blocks.delete': {
    setup: aBlock,
    run: (b, _ids, block) => b.blocks.delete(block as number),
    expected: (_r, _ids, block) => [{action: 'block.delete', entity: 'block', entityId: block as number}],
  },
  'blocks.sync': {
    setup: aBlock,
    run: (b) => b.blocks.sync({property: properties.flat.name, source: 'https://x.example/f.ics', events: [{uid: 'n', start: day(70), end: day(71)}]}),
    expected: (r: {added: {id: number}[]}) => [{action: 'block.create', entity: 'block', entityId: r.added[0].id}],
  },
  'calendar.publish': {
    run: (b) => b.calendar.publish({property: properties.flat.name}),
    expected: (r: {id: number}) => [{action: 'calendar_token.create', entity: 'calendar_token', entityId: r.id}],
  },
  'calendar.revokeToken': {
    setup: async (ctx) => (await publishCalendar(ctx, {property: properties.flat.name})).id,
    run: (b, _ids, token) => b.calendar.revokeToken(token as number),
    expected: (_r, _ids, token) => [{action: 'calendar_token.revoke', entity: 'calendar_token', entityId: token as number}],
  },
  'calendar.addFeed': {
    run: (b) => b.calendar.addFeed({property: properties.flat.name, url: 'https://channel.example/flat.ics'}),
    expected: (r: {id: number}) => [{action: 'calendar_feed.create', entity: 'calendar_feed', entityId: r.id}],
  },
  'calendar.removeFeed': {
    setup: async (ctx) => (await addCalendarFeed(ctx, {property: properties.flat.name, url: 'https://channel.example/flat.ics'})).id,
    run: (b) => b.calendar.removeFeed({property: properties.flat.name, url: 'https://channel.example/flat.ics'}),
    expected: (_r, _ids, feed) => [{action: 'calendar_feed.delete', entity: 'calendar_feed', entityId: feed as number}],
  },
  'calendar.import': {
    run: async (b) => {
      await b.calendar.import({property: properties.flat.name, fileName: 'channel.ics', ics: oneEventFeed('audit-1', day(90), day(92))})
      return {block: await blockAt(b, day(90))}
    },
    expected: (r: {block: number}) => [{action: 'block.create', entity: 'block', entityId: r.block}],
  },
  'calendar.sync': {
    // A feed served here, registered for the flat: the sync fetches it and adds its event's block.
    setup: async (ctx) => {
      const server = http.createServer((_req, res) => res.writeHead(200, {'content-type': 'text/calendar'}).end(oneEventFeed('audit-2', day(95), day(97))))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      await addCalendarFeed(ctx, {property: properties.flat.name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/flat.ics`})
      return server
    },
    run: async (b, _ids, server) => {
      try {
        const synced = await b.calendar.sync({property: properties.flat.name})
        return {synced: synced.feeds.map((f) => f.status), block: await blockAt(b, day(95))}
      } finally {
        ;(server as http.Server).close()
      }
    },
    expected: (r: {synced: string[]; block: number}) => {
      expect(r.synced).to.deep.equal(['synced'])
      return [{action: 'block.create', entity: 'block', entityId: r.block}]
    },
  },
  'reviews.create': {
    setup: pastStay,
    run: (b) => b.reviews.create({property: properties.cabin.name, reviewer: users.otherGuest.username, rating: 3}),
    expected: (r: {id: number}) => [{action: 'review.create', entity: 'review', entityId: r.id}],
  },
  'reviews.update': {
    // The operator (an admin) moderates the comment: a guest's rating is theirs alone.
    run: (b, ids) => b.reviews.update(ids.reviews.loftByGuest, {comment: 'Moderated'}),
    expected: (_r, ids) => [{action: 'review.update', entity: 'review', entityId: ids.reviews.loftByGuest}],
  },
  'reviews.delete': {
    run: (b, ids) => b.reviews.delete(ids.reviews.loftByGuest),
    expected: (_r, ids) => [{action: 'review.delete', entity: 'review', entityId: ids.reviews.loftByGuest}],
  },
  'payments.record': {
    run: (b, ids) => b.payments.record({bookingId: ids.bookings.confirmedFuture, amount: '20.00', transactionId: 'txn_audit'}),
    expected: (r: {id: number}) => [{action: 'payment.record', entity: 'payment', entityId: r.id}],
  },
  'payments.refund': {
    run: (b, ids) => b.payments.refund(ids.payments.charge100, {amount: '12.34', idempotencyKey: 'audit-1'}),
    expected: (r: {refund: {id: number}}) => [{action: 'payment.refund', entity: 'payment', entityId: r.refund.id}],
  },
  'auth.login': {
    run: (b) => b.auth.login({login: users.guest.email, password: users.guest.password}),
    // Recorded as the user who logged in, not as the (anonymous) caller.
    expected: (r: {tokenId: number}) => [{action: 'auth.login', entity: 'api_token', entityId: r.tokenId, actor: users.guest.username}],
  },
  'auth.logout': {
    setup: async (ctx) => (await login(ctx, {login: users.host.username, password: users.host.password})).token,
    run: (b, _ids, token) => b.auth.logout(token as string),
    expected: (r: {tokenId: number}) => [{action: 'auth.logout', entity: 'api_token', entityId: r.tokenId}],
  },
  'tokens.create': {
    run: (b, ids) => b.tokens.create({name: 'ci', user: ids.users.host}),
    expected: (r: {id: number}) => [{action: 'token.create', entity: 'api_token', entityId: r.id}],
  },
  'tokens.revoke': {
    setup: async (ctx, ids) => (await createToken(ctx, {name: 'ci', user: ids.users.host})).id,
    run: (b, _ids, id) => b.tokens.revoke(id as number),
    expected: (_r, _ids, id) => [{action: 'token.revoke', entity: 'api_token', entityId: id as number}],
  },
  'imports.file': {
    run: (b) => {
      const file = path.join(tempFolder('stayctl-audit-'), 'users.csv')
      fs.writeFileSync(file, `username,email,password\nimported1,imported1@example.com,${NEW_PASSWORD}\nimported2,imported2@example.com,${NEW_PASSWORD}\n`)
      return b.imports.file({entity: 'users', file})
    },
    // One event per committed batch, not one per row.
    expected: () => [{action: 'import.batch', entity: 'user', entityId: null}],
  },
  'imports.folder': {
    run: (b) => {
      const dir = tempFolder('stayctl-audit-')
      fs.writeFileSync(path.join(dir, 'users.csv'), `username,email,password\nfolder1,folder1@example.com,${NEW_PASSWORD}\n`)
      return b.imports.folder({dir})
    },
    expected: () => [{action: 'import.batch', entity: 'user', entityId: null}],
  },
  'imports.rows': {
    run: (b) => b.imports.rows({entity: 'users', rows: [{username: 'imported3', email: 'imported3@example.com', password: NEW_PASSWORD}]}),
    expected: () => [{action: 'import.batch', entity: 'user', entityId: null}],
  },
}

const READS = new Set(['list', 'show'])
/** Operations that change nothing though not named list or show. */
const OTHER_READS = new Set(['exports.entity', 'exports.page', 'auth.whoami', 'database.doctor', 'calendar.export', 'calendar.listTokens', 'calendar.listFeeds'])

/** Every secret a scenario knows: the passwords, and anything shaped like a bcrypt hash. */
function secrets(): string[] {
  return [...Object.values(users).map((u) => u.password), NEW_PASSWORD]
}

describe('audit trail (integration)', () => {
  const s = useScenario('audit')
  const ctx = () => testContext(s.db, {actor: {name: ACTOR, isAdmin: true}, via: 'cli'})
  const newEvents = async (afterId: number) =>
    (await s.db.models.AuditEvent.findAll({where: {id: {[Op.gt]: afterId}}, order: [['id', 'ASC']]})).map((e) => ({
      actor: e.actor,
      via: e.via,
      action: e.action,
      entity: e.entity,
      entityId: e.entityId,
    }))
  const lastEventId = async () => Number((await s.db.models.AuditEvent.max('id')) ?? 0)

  it('has a case below for every mutation of the Backend', () => {
    const mutations = Object.entries(operations).flatMap(([group, ops]) =>
      Object.keys(ops)
        .filter((name) => !READS.has(name))
        .map((name) => `${group}.${name}`)
        .filter((name) => !OTHER_READS.has(name)),
    )
    expect(Object.keys(CASES)).to.have.members(mutations)
  })

  for (const [name, testCase] of Object.entries(CASES)) {
    it(`${name} leaves exactly its audit event(s), with actor and channel`, async () => {
      const prepared = await testCase.setup?.(s.ctx, s.ids)
      const since = await lastEventId()
      const result = await testCase.run(localBackend(ctx()), s.ids, prepared)
      const expected = testCase.expected(result as never, s.ids, prepared).map((e) => ({
        action: e.action,
        entity: e.entity,
        actor: e.actor ?? ACTOR,
        via: 'cli',
        entityId: e.entityId === null ? null : String(e.entityId),
      }))
      expect(await newEvents(since)).to.deep.equal(expected)
      const text = JSON.stringify(result)
      for (const secret of secrets()) expect(text).not.to.include(secret)
      expect(text).not.to.match(/\$2[aby]\$|passwordHash|password_hash/)
    })
  }

  describe('a failed mutation leaves no event and no change (one transaction)', () => {
    // The CHECK on audit_events.via refuses this channel: the audit insert fails last.
    const broken = () => localBackend(testContext(s.db, {actor: {name: ACTOR, isAdmin: true}, via: 'broken' as AuditChannel}))
    const failing: [string, (b: Backend, ids: ScenarioIds) => Promise<unknown>][] = [
      ['users.create', (b) => b.users.create({username: 'newbie', email: 'newbie@example.com', password: NEW_PASSWORD})],
      ['users.erase', (b, ids) => b.users.erase(ids.users.guest)],
      ['reviews.update', (b, ids) => b.reviews.update(ids.reviews.loftByGuest, {comment: 'Moderated'})],
      ['reviews.delete', (b, ids) => b.reviews.delete(ids.reviews.loftByGuest)],
      ['bookings.create', (b) => b.bookings.create({property: properties.flat.name, guest: users.guest.username, startDate: day(50), endDate: day(52)})],
      ['bookings.cancel with a refund', (b, ids) => b.bookings.cancel(ids.bookings.confirmedFuture, {refund: 'full'})],
      ['payments.refund', (b, ids) => b.payments.refund(ids.payments.charge100, {amount: '10'})],
    ]
    for (const [name, run] of failing) {
      it(name, async () => {
        const before = await dumpTables(s.db)
        let caught: unknown
        await run(broken(), s.ids).catch((error: unknown) => (caught = error))
        expect(caught, 'the audit insert should have failed').to.be.instanceOf(Error)
        expect(await dumpTables(s.db)).to.deep.equal(before)
      })
    }
  })

  describe('no audit event carries a password or a hash', () => {
    it('after a day of user administration', async () => {
      const b = localBackend(ctx())
      const created = await b.users.create({username: 'newbie', email: 'newbie@example.com', password: NEW_PASSWORD})
      await b.users.setPassword(created.id, 'another-password-2')
      await b.users.update(created.id, {firstName: 'New'})
      await b.users.setPassword(s.ids.users.guest, NEW_PASSWORD)
      await b.users.erase(s.ids.users.otherGuest)
      const hashes = (await s.db.models.User.findAll()).map((u) => u.passwordHash)
      const audit = JSON.stringify((await dumpTables(s.db)).audit_events)
      for (const secret of [...secrets(), 'another-password-2', ...hashes]) expect(audit).not.to.include(secret)
      expect(audit).not.to.match(/\$2[aby]\$|password_?hash/i)
    })
  })

  describe('listAudit', () => {
    /** Events on a known clock: March 2027, one per day, by two actors. */
    async function calendar() {
      const alice = testContext(s.db, {actor: {name: 'os:alice', isAdmin: true}})
      const bob = testContext(s.db, {actor: {name: 'os:bob', isAdmin: true}, via: 'graphql'})
      await s.db.models.AuditEvent.update({at: new Date('2027-01-01T00:00:00Z')}, {where: {}})
      const since = await lastEventId()
      await createUser(alice, {username: 'march1', email: 'm1@example.com', password: NEW_PASSWORD})
      await createProperty(bob, {owner: 'march1', name: 'March Hut', address: 'Hill 3', pricePerNight: '20.00'})
      await localBackend(alice).users.update('march1', {lastName: 'March'})
      await localBackend(bob).payments.refund(s.ids.payments.charge100, {amount: '5'})
      const events = await s.db.models.AuditEvent.findAll({where: {id: {[Op.gt]: since}}, order: [['id', 'ASC']]})
      for (const [i, event] of events.entries()) await event.update({at: new Date(Date.UTC(2027, 2, i + 1, 12))})
      return events.map((e) => Number(e.id))
    }

    it('lists newest first, and filters by entity, entity id, actor and action (with *)', async () => {
      const [created, listed, updated, refunded] = await calendar()
      const ids = async (filter: Parameters<typeof listAudit>[1]) => (await listAudit(s.ctx, {limit: 1000, ...filter})).items.map((e) => e.id)
      const all = await ids({})
      expect(all).to.deep.equal([...all].sort((a, b) => b - a))
      expect(await ids({actor: 'os:alice'})).to.deep.equal([updated, created])
      expect(await ids({actor: 'os:bob', entity: 'property'})).to.deep.equal([listed])
      expect(await ids({entity: 'user', entityId: String((await s.db.models.User.findOne({where: {username: 'march1'}}))!.id)})).to.deep.equal([
        updated,
        created,
      ])
      expect(await ids({action: 'user.update'})).to.deep.equal([updated])
      const userActions = (await listAudit(s.ctx, {action: 'user.*', limit: 1000})).items.map((e) => e.action)
      expect(new Set(userActions)).to.deep.equal(new Set(['user.create', 'user.update']))
      expect(userActions).to.have.length((await ids({entity: 'user'})).length)
      expect(await ids({action: 'payment.re*', actor: 'os:bob'})).to.deep.equal([refunded])
      const [event] = (await listAudit(s.ctx, {actor: 'os:bob', entity: 'payment'})).items
      expect(event).to.include({via: 'graphql', action: 'payment.refund', entity: 'payment'})
      expect(event.changes).to.include({amount: '5.00', chargeId: s.ids.payments.charge100})
    })

    it('filters by time, both ends inclusive', async () => {
      const [created, listed, updated, refunded] = await calendar()
      const ids = async (since?: string, until?: string) => (await listAudit(s.ctx, {since, until, limit: 1000})).items.map((e) => e.id)
      expect(await ids('2027-03-02')).to.deep.equal([refunded, updated, listed])
      expect(await ids('2027-03-02T12:00:00Z', '2027-03-03T12:00:00Z')).to.deep.equal([updated, listed])
      expect(await ids(undefined, '2027-03-01T23:59:59Z')).to.include(created).and.not.include(listed)
      await expectRefused(s.db, () => listAudit(s.ctx, {since: 'last tuesday'}), ValidationError, /since/)
    })

    it('pages with its cursor, visiting every event once', async () => {
      await calendar()
      const everything = (await listAudit(s.ctx, {limit: 1000})).items.map((e) => e.id)
      expect(everything.length).to.be.greaterThan(20)
      const seen: number[] = []
      let cursor: string | undefined
      do {
        const page = await listAudit(s.ctx, {limit: 7, cursor})
        seen.push(...page.items.map((e) => e.id))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      expect(seen).to.deep.equal(everything)
      await expectRefused(s.db, () => listAudit(s.ctx, {cursor: 'not-a-cursor'}), ValidationError, /cursor/)
    })
  })
})
