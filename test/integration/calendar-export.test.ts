/**
 * A listing's calendar going out: `calendar export` (live bookings, no guest data, parsed by an
 * independent parser), the secret feed URLs (published once, listed, revoked) and
 * GET /calendars/<token>.ics on the server (ETag, 304, Last-Modified, 404 for unknown and
 * revoked tokens alike), and the feed registrations; who may do each.
 */
import {expect} from 'chai'
import nodeIcal, {type VEvent} from 'node-ical'

import {ConflictError, ForbiddenError, NotFoundError, ValidationError} from '../../src/errors.js'
import {operations as op} from '../../src/backend.js'
import {createBooking} from '../../src/services/bookings.js'
import {createUser} from '../../src/services/users.js'
import {parseFeed} from '../../src/services/calendar/parse.js'
import {testContext, fixtures, day} from '../support/fixtures.js'
import {useGraphQLServer} from '../support/graphql.js'
import {expectRefused} from '../support/integration.js'

const compact = (date: string) => date.replaceAll('-', '')

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {headers})
  return {status: response.status, headers: response.headers, text: await response.text()}
}

describe('calendar export and published feeds (integration)', () => {
  const s = useGraphQLServer('calendar_export')
  const asUser = (userId: number, isAdmin = false) => testContext(s.db, {actor: {name: `user-${userId}`, userId, isAdmin}, via: 'graphql'})
  const base = () => s.url.replace(/\/graphql$/, '')

  it('exports live bookings as all-day events, without cancelled ones and without guest data', async () => {
    const {loft, flat} = s.ids.properties
    const exported = await op.calendar.export(s.ctx, {property: loft})
    expect(exported.events).to.equal(2)
    expect(exported.ics).to.include(`UID:booking-${s.ids.bookings.confirmedFuture}@stayctl`)
    expect(exported.ics).to.include(`DTSTART;VALUE=DATE:${compact(day(14))}`)
    expect(exported.ics).to.include(`DTEND;VALUE=DATE:${compact(day(17))}`)
    const guest = fixtures.users.guest
    for (const secret of [guest.firstName, guest.lastName, guest.username, guest.email, guest.email.toLowerCase(), 'Quillfeather']) {
      expect(exported.ics.toLowerCase()).not.to.include(secret.toLowerCase())
    }
    // The flat's only booking is cancelled.
    expect((await op.calendar.export(s.ctx, {property: flat})).events).to.equal(0)
    const events = Object.values(nodeIcal.sync.parseICS(exported.ics)).filter((c) => c?.type === 'VEVENT') as VEvent[]
    expect(events.map((e) => e.summary)).to.deep.equal(['Reserved', 'Reserved'])
    expect(parseFeed(exported.ics).events.map((e) => [e.start, e.end])).to.deep.equal([
      [day(-10), day(-7)],
      [day(14), day(17)],
    ])
  })

  it('lets only the host of the listing or an admin export, publish and register feeds', async () => {
    const {loft} = s.ids.properties
    const guest = asUser(s.ids.users.guest)
    await expectRefused(s.db, () => op.calendar.export(guest, {property: loft}), ForbiddenError, /only the host/)
    await expectRefused(s.db, () => op.calendar.publish(guest, {property: loft}), ForbiddenError)
    await expectRefused(s.db, () => op.calendar.addFeed(guest, {property: loft, url: 'https://example.com/a.ics'}), ForbiddenError)
    const host = asUser(s.ids.users.host)
    expect((await op.calendar.export(host, {property: loft})).propertyId).to.equal(loft)
    await expectRefused(s.db, () => op.calendar.export(host, {property: 999_999}), NotFoundError)
    // Through the API, a host may not have the server fetch its own network (an admin may).
    await expectRefused(s.db, () => op.calendar.import(host, {property: loft, url: `${base()}/readyz`}), ForbiddenError, /private network/)
  })

  it('publishes at a secret URL: text/calendar with ETag and Last-Modified, 304 when unchanged, a changed ETag after a booking', async () => {
    const {loft} = s.ids.properties
    const published = await op.calendar.publish(asUser(s.ids.users.host), {property: loft})
    expect(published.path).to.match(/^\/calendars\/stay_c_[A-Za-z0-9_-]{43}\.ics$/)
    const first = await get(base() + published.path)
    expect(first.status).to.equal(200)
    expect(first.headers.get('content-type')).to.equal('text/calendar; charset=utf-8')
    expect(first.text).to.equal((await op.calendar.export(s.ctx, {property: loft})).ics)
    const etag = first.headers.get('etag')!
    const lastModified = first.headers.get('last-modified')!
    expect(etag).to.match(/^"[0-9a-f]{64}"$/)
    expect(Date.parse(lastModified)).to.be.a('number')
    expect((await get(base() + published.path, {'if-none-match': etag})).status).to.equal(304)
    expect((await get(base() + published.path, {'if-modified-since': lastModified})).status).to.equal(304)
    expect((await get(base() + published.path)).headers.get('etag')).to.equal(etag)
    await createBooking(s.ctx, {property: String(loft), guest: fixtures.users.otherGuest.username, startDate: day(40), endDate: day(42)})
    const changed = await get(base() + published.path, {'if-none-match': etag})
    expect(changed.status).to.equal(200)
    expect(changed.headers.get('etag')).not.to.equal(etag)
    expect(changed.text).to.include(`DTSTART;VALUE=DATE:${compact(day(40))}`)
    const [token] = await op.calendar.listTokens(s.ctx, {property: loft})
    expect(token).to.include({id: published.id, status: 'active'})
    expect(token.lastUsedAt).to.be.a('string')
    expect(JSON.stringify(token)).not.to.include(published.token)
    // The request log names the route, never the token.
    expect(s.logs.some((line) => line.includes('GET /calendars/[token] 304'))).to.equal(true)
    expect(s.logs.join('\n')).not.to.include(published.token)
  })

  it('answers 404 alike for an unknown, a malformed and a revoked token, and the feed holds no guest names or emails', async () => {
    const {loft} = s.ids.properties
    const distinctive = await createUser(s.ctx, {username: 'zebulon.xylophone', email: 'zebulon.xylophone@quuxmail.example', password: 'zebulon-password-1', firstName: 'Zebulon', lastName: 'Xylophone'})
    await createBooking(s.ctx, {property: String(loft), guest: distinctive.username, startDate: day(50), endDate: day(53)})
    const published = await op.calendar.publish(s.ctx, {property: loft})
    const feed = await get(base() + published.path)
    expect(feed.status).to.equal(200)
    expect(feed.text).to.include(compact(day(50)))
    for (const secret of ['zebulon', 'xylophone', 'quuxmail', 'guinevere', 'quillfeather', 'otto', 'oberholzer', '@example']) expect(feed.text.toLowerCase()).not.to.include(secret)
    const unknown = await get(`${base()}/calendars/stay_c_${'A'.repeat(43)}.ics`)
    const malformed = await get(`${base()}/calendars/nothing.ics`)
    await op.calendar.revokeToken(s.ctx, published.id)
    const revoked = await get(base() + published.path)
    for (const answer of [unknown, malformed, revoked]) {
      expect(answer.status).to.equal(404)
      expect(answer.text).to.equal('not found\n')
    }
    expect((await op.calendar.revokeToken(s.ctx, published.id)).status).to.equal('revoked')
    expect(await op.calendar.listTokens(s.ctx, {property: loft})).to.deep.equal([])
    expect((await op.calendar.listTokens(s.ctx, {property: loft, all: true})).map((t) => t.status)).to.deep.equal(['revoked'])
  })

  it('registers feeds once per listing and URL, http(s) only', async () => {
    const {loft, cabin} = s.ids.properties
    const url = 'https://www.airbnb.com/calendar/ical/123.ics?s=secret'
    const feed = await op.calendar.addFeed(s.ctx, {property: loft, url})
    expect(feed).to.include({propertyId: loft, url, lastSyncedAt: null})
    await expectRefused(s.db, () => op.calendar.addFeed(s.ctx, {property: loft, url}), ConflictError, /already imports https:\/\/www.airbnb.com\/calendar\/ical\/123.ics\?…/)
    await op.calendar.addFeed(s.ctx, {property: cabin, url})
    await expectRefused(s.db, () => op.calendar.addFeed(s.ctx, {property: loft, url: 'file:///etc/passwd'}), ValidationError, /http or https/)
    await expectRefused(s.db, () => op.calendar.addFeed(s.ctx, {property: loft, url: 'not a url'}), ValidationError, /no URL/)
    expect((await op.calendar.listFeeds(s.ctx, {property: loft})).map((f) => f.url)).to.deep.equal([url])
  })

  it('serves the same through GraphQL', async () => {
    const {loft} = s.ids.properties
    const answer = await s.gql<{calendarExport: {events: number; ics: string}}>(`{ calendarExport(property: "${loft}") { events ics } }`)
    expect(answer.data?.calendarExport.events).to.equal(2)
    expect(answer.data?.calendarExport.ics).to.equal((await op.calendar.export(s.ctx, {property: loft})).ics)
  })
})
