/**
 * The calendar operations' contract cases (run by backends.test.ts through the local and the
 * remote backend). Tokens of published feeds are random: the cases mask them.
 */
import type {Backend} from '../../src/backend.js'
import {sha256Hex} from '../../src/digest.js'
import {publishCalendar} from '../../src/services/calendar/manage.js'
import type {ServiceContext} from '../../src/services/context.js'
import {day, fixtures, type ScenarioIds} from '../support/fixtures.js'

interface CalendarCase {
  name: string
  as?: 'admin' | 'guest' | 'host' | 'anonymous'
  setup?: (ctx: ServiceContext, ids: ScenarioIds) => Promise<unknown>
  run: (backend: Backend, side: {ids: ScenarioIds; dir: string; setup: unknown}) => Promise<unknown>
  expect: 'ok' | 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'UNAVAILABLE'
}

const {loft} = fixtures.properties
const compact = (date: string) => date.replaceAll('-', '')
const FEED_URL = 'https://calendar.example.com/feeds/loft.ics?s=secret'
/** A feed: an event clear of the loft's bookings, one on the nights of its confirmed stay (day 14 → 17), one malformed. */
const FEED = ['BEGIN:VCALENDAR', 'VERSION:2.0',
  'BEGIN:VEVENT', 'UID:free@channel', `DTSTART;VALUE=DATE:${compact(day(40))}`, `DTEND;VALUE=DATE:${compact(day(43))}`, 'SUMMARY:Not available', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:clash@channel', `DTSTART;VALUE=DATE:${compact(day(15))}`, `DTEND;VALUE=DATE:${compact(day(16))}`, 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:bad@channel', 'DTSTART;VALUE=DATE 20270101', 'END:VEVENT',
  'END:VCALENDAR', ''].join('\r\n')
const masked = <T extends {token: string; path: string}>(published: T) => ({...published, token: '<token>', path: '<path>'})

const addFeed = (ctx: ServiceContext, ids: ScenarioIds) => ctx.db.models.CalendarFeed.create({
  propertyId: ids.properties.loft, url: FEED_URL, urlHash: sha256Hex(FEED_URL), createdById: null, lastSyncedAt: null, etag: null, lastModified: null,
})

export const calendarCases: CalendarCase[] = [
  {name: 'calendar.export', expect: 'ok', run: (b) => b.calendar.export({property: loft.name})},
  {name: 'calendar.export: unknown property', expect: 'NOT_FOUND', run: (b) => b.calendar.export({property: 'Nowhere'})},
  {name: 'guest: calendar.export', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.calendar.export({property: loft.name})},
  {name: 'anonymous: calendar.export', as: 'anonymous', expect: 'UNAUTHENTICATED', run: (b) => b.calendar.export({property: loft.name})},
  {name: 'host: calendar.publish', as: 'host', expect: 'ok', run: async (b) => masked(await b.calendar.publish({property: loft.name}))},
  {name: 'calendar.listTokens', expect: 'ok', setup: (ctx, ids) => publishCalendar(ctx, {property: ids.properties.loft}), run: (b) => b.calendar.listTokens({property: loft.name, all: true})},
  {name: 'calendar.revokeToken', expect: 'ok', setup: (ctx, ids) => publishCalendar(ctx, {property: ids.properties.loft}), run: (b, s) => b.calendar.revokeToken((s.setup as {id: number}).id)},
  {name: 'calendar.revokeToken: unknown', expect: 'NOT_FOUND', run: (b) => b.calendar.revokeToken(999_999)},
  {name: 'calendar.addFeed', expect: 'ok', run: (b) => b.calendar.addFeed({property: loft.name, url: FEED_URL})},
  {name: 'calendar.addFeed: not http', expect: 'VALIDATION', run: (b) => b.calendar.addFeed({property: loft.name, url: 'ftp://example.com/a.ics'})},
  {name: 'calendar.listFeeds', expect: 'ok', setup: addFeed, run: (b) => b.calendar.listFeeds({property: loft.name})},
  {name: 'calendar.removeFeed: not registered', expect: 'NOT_FOUND', run: (b) => b.calendar.removeFeed({property: loft.name, url: FEED_URL})},
  {name: 'calendar.removeFeed', expect: 'ok', setup: addFeed, run: (b) => b.calendar.removeFeed({property: loft.name, url: FEED_URL})},
  {name: 'calendar.import of a file: one block added, one conflict with our booking, one malformed event', expect: 'ok', run: (b) => b.calendar.import({property: loft.name, ics: FEED, fileName: 'channel.ics'})},
  {name: 'calendar.import: dry run', expect: 'ok', run: (b) => b.calendar.import({property: loft.name, ics: FEED, fileName: 'channel.ics', dryRun: true})},
  {name: 'host: calendar.import', as: 'host', expect: 'ok', run: (b) => b.calendar.import({property: loft.name, ics: FEED, fileName: 'channel.ics'})},
  {name: 'guest: calendar.import', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.calendar.import({property: loft.name, ics: FEED, fileName: 'channel.ics'})},
  {name: 'calendar.import: neither a URL nor a text', expect: 'VALIDATION', run: (b) => b.calendar.import({property: loft.name})},
  {name: 'calendar.import: not a calendar', expect: 'VALIDATION', run: (b) => b.calendar.import({property: loft.name, ics: '<html>oops</html>', fileName: 'x.ics'})},
  {name: 'calendar.import: an unreachable URL', expect: 'UNAVAILABLE', run: (b) => b.calendar.import({property: loft.name, url: 'http://127.0.0.1:9/feed.ics', timeoutMs: 2000})},
  {name: 'calendar.sync: no feeds', expect: 'ok', run: (b) => b.calendar.sync({})},
  {name: 'calendar.sync: an unreachable feed is reported, not thrown', expect: 'ok', setup: (ctx, ids) => ctx.db.models.CalendarFeed.create({
    propertyId: ids.properties.loft, url: 'http://127.0.0.1:9/feed.ics', urlHash: 'b'.repeat(64), createdById: null, lastSyncedAt: null, etag: null, lastModified: null,
  }), run: (b) => b.calendar.sync({timeoutMs: 2000})},
]
