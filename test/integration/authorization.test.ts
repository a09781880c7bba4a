/**
 * Acceptance 1 at the service level: the authorization matrix. For every operation of the
 * Backend (every mutation and every query), each of anonymous, guest, another guest, host,
 * another host and admin gets exactly what the rules of src/services/authz.ts say: allowed
 * (and, for lists and details, only what they may see), or FORBIDDEN / UNAUTHENTICATED (or
 * the NOT_FOUND / CONFLICT an allowed caller meets). A refused call writes nothing at all.
 * An operation added to the Backend without a row here fails the first test. No result ever
 * carries a password hash, and no one but admins sees another user's email.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {localBackend, operations, type Backend} from '../../src/backend.js'
import {StayctlError} from '../../src/errors.js'
import {createToken, login} from '../../src/services/auth.js'
import {createBlock} from '../../src/services/blocks.js'
import {addCalendarFeed, publishCalendar} from '../../src/services/calendar/manage.js'
import {confirmBooking, createBooking} from '../../src/services/bookings.js'
import {checkPolicy, policyRefundCents} from '../../src/services/policies.js'
import {createProperty} from '../../src/services/properties.js'
import {
  ACTORS,
  actorContext,
  actorFixtures,
  actorUserId,
  loadOtherHost,
  otherHost,
  type ActorName,
  type OtherHostIds,
} from '../support/actors.js'
import {day, fixtures, loadScenario, type ScenarioIds} from '../support/fixtures.js'
import {clearTables, dumpTables, useScenario} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'

const {users, properties} = fixtures

type Outcome = 'ok' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'NOT_FOUND' | 'CONFLICT'

/** Everything a row may refer to, rebuilt with the scenario. */
interface World extends OtherHostIds {
  ids: ScenarioIds
  /** An unlisted property of the host, never booked. */
  barn: number
  /** A confirmed stay of otherGuest at the cabin that has ended: otherGuest may review the cabin. */
  otherGuestPastStay: number
  /** A block of the loft (the host's), day 40 → 42. */
  block: number
  /** A published calendar token of the loft, and a feed the loft imports (a closed local port: a sync fails at once). */
  calendarToken: number
  feedUrl: string
  /** API tokens of the guest and of the host. */
  guestToken: number
  hostToken: number
  /** A live session of the guest (the token itself, and its id). */
  guestSession: string
  guestSessionId: number
  importFile: string
  /** A folder holding importFile only, and where exports go. */
  importDir: string
}

type OperationName = {[G in keyof Backend]: `${G & string}.${keyof Backend[G] & string}`}[keyof Backend]

interface Row {
  op: OperationName
  /** What the row is about, when an operation has several rows. */
  label?: string
  call: (b: Backend, w: World, actor: ActorName) => Promise<unknown>
  expect: Record<ActorName, Outcome>
  /** More checks of an allowed call's result (what a list shows to whom). */
  check?: (result: never, w: World, actor: ActorName) => void
  /** Who the caller is after the call, when it changes (a login). */
  becomes?: Partial<Record<ActorName, ActorName>>
}

/** Allowed for `allowed`; anonymous callers are UNAUTHENTICATED, other users FORBIDDEN. */
function only(...allowed: ActorName[]): Record<ActorName, Outcome> {
  return Object.fromEntries(
    ACTORS.map((a) => [a, allowed.includes(a) ? 'ok' : a === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN']),
  ) as Record<ActorName, Outcome>
}
const everyone = (): Record<ActorName, Outcome> => only(...ACTORS)
const loggedIn = () => only('guest', 'otherGuest', 'host', 'otherHost', 'admin')
const admin = () => only('admin')

const self = (w: World, a: ActorName) => actorUserId(a, w.ids, w) ?? w.ids.users.guest
/** Some other user than the actor (for "on someone else's behalf"). */
const someoneElse = (w: World, a: ActorName) => (a === 'host' ? w.ids.users.guest : w.ids.users.host)
const passwordOf = (a: ActorName) => (a === 'anonymous' ? users.guest.password : actorFixtures[a].password)

type Paged = {items: {id: number}[]}
const idsOf = (page: Paged) => page.items.map((item) => item.id).sort((x, y) => x - y)
const sorted = (values: number[]) => [...values].sort((x, y) => x - y)

/** Per-actor expected ids of a list. */
function listShows(expected: (w: World) => Partial<Record<ActorName, number[]>>) {
  return (result: Paged, w: World, actor: ActorName) => {
    const want = expected(w)[actor]
    if (want) expect(idsOf(result), `${actor} sees`).to.deep.equal(sorted(want))
  }
}

/** Whose the conflicting value is stays unsaid to anyone but admins: no user id, no email in the error. */
function expectNamesNoOne(error: unknown, actor: ActorName) {
  if (actor === 'admin' || !(error instanceof StayctlError)) return
  const text = JSON.stringify({message: error.message, suggestion: error.suggestion, details: error.details}).toLowerCase()
  expect(text, `${actor}: ${error.message}`).not.to.match(/user \d|userid|@/)
}

const ROWS: Row[] = [
  // ---- users
  {
    op: 'users.create',
    call: (b) => b.users.create({username: 'newbie', email: 'newbie@example.com', password: 'newbie-password-1'}),
    expect: admin(),
  },
  {op: 'users.list', call: (b) => b.users.list({limit: 100}), expect: admin()},
  {
    op: 'users.show',
    label: 'themself, with their email',
    call: (b, w, a) => b.users.show(self(w, a)),
    expect: loggedIn(),
    check: (r: {id: number; email: string | null}, w, a) => {
      expect(r.id).to.equal(self(w, a))
      expect(r.email).to.be.a('string')
    },
  },
  {
    op: 'users.show',
    label: 'another user: a profile, the email for admins only',
    call: (b, w) => b.users.show(w.ids.users.inactive),
    expect: loggedIn(),
    check: (r: {email: string | null}, _w, a) => expect(r.email === null, `${a} sees the email`).to.equal(a !== 'admin'),
  },
  {
    op: 'users.show',
    label: 'another user by email: no one, unless admin (emails cannot be probed)',
    call: (b) => b.users.show(users.inactive.email),
    expect: {anonymous: 'UNAUTHENTICATED', guest: 'NOT_FOUND', otherGuest: 'NOT_FOUND', host: 'NOT_FOUND', otherHost: 'NOT_FOUND', admin: 'ok'},
  },
  {
    op: 'users.update',
    label: 'themself',
    call: (b, w, a) => b.users.update(self(w, a), {firstName: 'Renamed'}),
    expect: loggedIn(),
  },
  {
    op: 'users.update',
    label: 'another user',
    call: (b, w) => b.users.update(w.ids.users.inactive, {firstName: 'Renamed'}),
    expect: admin(),
  },
  {
    op: 'users.update',
    label: "themself, to another user's email or username: a conflict that names no one (issue 12, item 10)",
    call: async (b, w, a) => {
      const taken = a === 'guest' ? users.otherGuest : users.guest
      await b.users.update(self(w, a), {email: taken.email}).catch(async (error: unknown) => {
        expectNamesNoOne(error, a)
        return b.users.update(self(w, a), {username: taken.username})
      })
    },
    expect: {anonymous: 'UNAUTHENTICATED', guest: 'CONFLICT', otherGuest: 'CONFLICT', host: 'CONFLICT', otherHost: 'CONFLICT', admin: 'CONFLICT'},
  },
  {
    op: 'users.update',
    label: 'their own admin right',
    call: (b, w, a) => b.users.update(self(w, a), {isAdmin: true}),
    expect: admin(),
  },
  {
    op: 'users.setPassword',
    label: 'their own, giving the current one',
    call: (b, w, a) => b.users.setPassword(self(w, a), 'a-brand-new-password', {currentPassword: passwordOf(a)}),
    expect: loggedIn(),
  },
  {
    op: 'users.setPassword',
    label: 'their own, without the current one',
    call: (b, w, a) => b.users.setPassword(self(w, a), 'a-brand-new-password'),
    expect: admin(),
  },
  {
    op: 'users.setPassword',
    label: 'another user’s',
    call: (b, w, a) => b.users.setPassword(someoneElse(w, a), 'a-brand-new-password', {currentPassword: passwordOf(a)}),
    expect: admin(),
  },
  {op: 'users.activate', call: (b, w) => b.users.activate(w.ids.users.inactive), expect: admin()},
  {op: 'users.deactivate', call: (b, w) => b.users.deactivate(w.ids.users.otherGuest), expect: admin()},
  {op: 'users.delete', call: (b, w) => b.users.delete(w.ids.users.inactive), expect: admin()},
  {op: 'users.erase', call: (b, w) => b.users.erase(w.ids.users.otherGuest), expect: admin()},

  // ---- properties
  {
    op: 'properties.create',
    label: 'as themself',
    call: (b) => b.properties.create({name: 'New Place', address: '9 New Street', pricePerNight: '50.00'}),
    expect: loggedIn(),
    check: (r: {ownerId: number}, w, a) => expect(r.ownerId).to.equal(self(w, a)),
  },
  {
    op: 'properties.create',
    label: 'for someone else',
    call: (b, w, a) => b.properties.create({owner: someoneElse(w, a), name: 'New Place', address: '9 New Street', pricePerNight: '50.00'}),
    expect: admin(),
  },
  {
    op: 'properties.list',
    label: 'unlisted ones only for their host and admins',
    call: (b) => b.properties.list({limit: 100}),
    expect: everyone(),
    check: listShows((w) => {
      const listed = [w.ids.properties.loft, w.ids.properties.cabin, w.ids.properties.flat, w.hut]
      return {
        anonymous: listed,
        guest: listed,
        otherGuest: listed,
        otherHost: listed,
        host: [...listed, w.barn],
        admin: [...listed, w.barn],
      }
    }),
  },
  {
    op: 'properties.show',
    label: 'listed: anyone; upcoming bookings only for the host, admins and their own guests',
    call: (b, w) => b.properties.show(w.ids.properties.loft),
    expect: everyone(),
    check: (r: {upcomingBookings: {id: number}[]}, w, a) => {
      const all = [w.ids.bookings.confirmedFuture]
      const want = a === 'host' || a === 'admin' || a === 'guest' ? all : []
      expect(r.upcomingBookings.map((u) => u.id), `${a} sees`).to.deep.equal(want)
    },
  },
  {
    op: 'properties.show',
    label: 'unlisted: its host and admins only',
    call: (b, w) => b.properties.show(w.barn),
    expect: {anonymous: 'NOT_FOUND', guest: 'NOT_FOUND', otherGuest: 'NOT_FOUND', host: 'ok', otherHost: 'NOT_FOUND', admin: 'ok'},
  },
  {op: 'properties.update', call: (b, w) => b.properties.update(w.ids.properties.loft, {pricePerNight: '130.00'}), expect: only('host', 'admin')},
  {op: 'properties.delete', call: (b, w) => b.properties.delete(w.barn), expect: only('host', 'admin')},

  // ---- bookings
  {
    op: 'bookings.create',
    label: 'for themself',
    call: (b, w, a) => b.bookings.create({property: a === 'otherHost' ? w.ids.properties.flat : w.hut, startDate: day(60), endDate: day(62)}),
    expect: loggedIn(),
    check: (r: {guestId: number}, w, a) => expect(r.guestId).to.equal(self(w, a)),
  },
  {
    op: 'bookings.create',
    label: 'for someone else',
    call: (b, w, a) => b.bookings.create({property: w.hut, guest: someoneElse(w, a), startDate: day(60), endDate: day(62)}),
    expect: admin(),
  },
  {
    op: 'bookings.create',
    label: 'back-filling a past stay',
    call: (b, w, a) =>
      b.bookings.create({property: a === 'otherHost' ? w.ids.properties.flat : w.hut, startDate: day(-30), endDate: day(-28), allowPast: true}),
    expect: admin(),
  },
  {
    op: 'bookings.list',
    label: 'own stays and bookings on own properties only',
    call: (b) => b.bookings.list({limit: 100}),
    expect: loggedIn(),
    check: listShows((w) => {
      const {confirmedPast, pendingFuture, confirmedFuture, cancelledFuture} = w.ids.bookings
      const guests = [confirmedPast, pendingFuture, confirmedFuture]
      const all = [...guests, cancelledFuture, w.otherGuestPastStay]
      return {guest: guests, otherGuest: [cancelledFuture, w.otherGuestPastStay], host: all, otherHost: [], admin: all}
    }),
  },
  {
    op: 'bookings.list',
    label: 'filtered by another guest: narrowed, not refused',
    call: (b, w) => b.bookings.list({guest: w.ids.users.guest}),
    expect: loggedIn(),
    check: listShows((w) => {
      const guests = [w.ids.bookings.confirmedPast, w.ids.bookings.pendingFuture, w.ids.bookings.confirmedFuture]
      return {guest: guests, otherGuest: [], host: guests, otherHost: [], admin: guests}
    }),
  },
  {op: 'bookings.show', call: (b, w) => b.bookings.show(w.ids.bookings.confirmedFuture), expect: only('guest', 'host', 'admin')},
  {op: 'bookings.confirm', call: (b, w) => b.bookings.confirm(w.ids.bookings.pendingFuture), expect: only('host', 'admin')},
  {
    op: 'bookings.update',
    label: 'moving a stay: the host of the property and admins (as confirming), not its guest',
    call: (b, w) => b.bookings.update(w.ids.bookings.confirmedFuture, {endDate: day(18)}),
    expect: only('host', 'admin'),
    check: (r: {endDate: string; totalPrice: string}) => expect(r).to.include({endDate: day(18), totalPrice: '480.00'}),
  },
  {
    op: 'bookings.update',
    label: 'setting its total: admins only',
    call: (b, w) => b.bookings.update(w.ids.bookings.confirmedFuture, {totalPrice: '400.00'}),
    expect: admin(),
  },
  {
    op: 'bookings.cancel',
    label: 'default refund: the policy for the guest and admins, in full for the host',
    call: (b, w) => b.bookings.cancel(w.ids.bookings.confirmedFuture),
    expect: only('guest', 'host', 'admin'),
    check: (r: {refunded: string; refundMode: string}, _w, a) => {
      // The loft (moderate), 14 days before check-in, 100.00 paid.
      const cents = a === 'host' ? 10_000 : policyRefundCents(checkPolicy(properties.loft.cancellationPolicy), 14, 10_000)
      expect(r.refundMode).to.equal(a === 'host' ? 'full' : 'policy')
      expect(r.refunded).to.equal((cents / 100).toFixed(2))
    },
  },
  {
    op: 'bookings.cancel',
    label: 'with a full refund: not for the guest',
    call: (b, w) => b.bookings.cancel(w.ids.bookings.confirmedFuture, {refund: 'full'}),
    expect: only('host', 'admin'),
  },
  {
    op: 'bookings.cancel',
    label: 'with no refund: not for the host',
    call: (b, w) => b.bookings.cancel(w.ids.bookings.confirmedFuture, {refund: 'none'}),
    expect: only('guest', 'admin'),
  },

  // ---- blocks: the property's host and admins
  {
    op: 'blocks.create',
    label: 'on the host’s loft',
    call: (b, w) => b.blocks.create({property: w.ids.properties.loft, startDate: day(70), endDate: day(72)}),
    expect: only('host', 'admin'),
  },
  {
    op: 'blocks.create',
    label: 'on their own property',
    call: (b, w, a) => b.blocks.create({property: a === 'otherHost' ? w.hut : w.ids.properties.loft, startDate: day(70), endDate: day(72)}),
    expect: only('host', 'otherHost', 'admin'),
  },
  {
    op: 'blocks.list',
    label: 'blocks of own properties only',
    call: (b) => b.blocks.list(),
    expect: loggedIn(),
    check: listShows((w) => ({guest: [], otherGuest: [], host: [w.block], otherHost: [], admin: [w.block]})),
  },
  {op: 'blocks.show', call: (b, w) => b.blocks.show(w.block), expect: only('host', 'admin')},
  {op: 'blocks.update', call: (b, w) => b.blocks.update(w.block, {reason: 'longer', endDate: day(43)}), expect: only('host', 'admin')},
  {op: 'blocks.delete', call: (b, w) => b.blocks.delete(w.block), expect: only('host', 'admin')},
  {
    op: 'blocks.sync',
    call: (b, w) => b.blocks.sync({property: w.ids.properties.loft, source: 'https://channel.example/loft.ics', events: [{uid: 'x', start: day(80), end: day(82)}]}),
    expect: only('host', 'admin'),
  },
  // ---- calendar feeds: the property's host and admins
  {op: 'calendar.export', call: (b, w) => b.calendar.export({property: w.ids.properties.loft}), expect: only('host', 'admin')},
  {op: 'calendar.publish', call: (b, w) => b.calendar.publish({property: w.ids.properties.loft}), expect: only('host', 'admin')},
  {op: 'calendar.listTokens', call: (b, w) => b.calendar.listTokens({property: w.ids.properties.loft}), expect: only('host', 'admin')},
  {op: 'calendar.revokeToken', call: (b, w) => b.calendar.revokeToken(w.calendarToken), expect: only('host', 'admin')},
  {op: 'calendar.addFeed', call: (b, w) => b.calendar.addFeed({property: w.ids.properties.loft, url: 'https://channel.example/loft-2.ics'}), expect: only('host', 'admin')},
  {op: 'calendar.listFeeds', call: (b, w) => b.calendar.listFeeds({property: w.ids.properties.loft}), expect: only('host', 'admin')},
  {op: 'calendar.removeFeed', call: (b, w) => b.calendar.removeFeed({property: w.ids.properties.loft, url: w.feedUrl}), expect: only('host', 'admin')},
  {
    op: 'calendar.import',
    call: (b, w) =>
      b.calendar.import({
        property: w.ids.properties.loft,
        fileName: 'channel.ics',
        ics: `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:authz-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:${day(90).replace(/-/g, '')}\r\nDTEND;VALUE=DATE:${day(92).replace(/-/g, '')}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`,
      }),
    expect: only('host', 'admin'),
  },
  {op: 'calendar.sync', label: 'the loft’s feeds', call: (b, w) => b.calendar.sync({property: w.ids.properties.loft, timeoutMs: 2000}), expect: only('host', 'admin')},
  // ---- reviews
  {
    op: 'reviews.create',
    label: 'as themself: allowed, then the stay rule decides',
    call: (b, w) => b.reviews.create({property: w.ids.properties.cabin, rating: 4}),
    expect: {anonymous: 'UNAUTHENTICATED', guest: 'CONFLICT', otherGuest: 'ok', host: 'CONFLICT', otherHost: 'CONFLICT', admin: 'CONFLICT'},
  },
  {
    op: 'reviews.create',
    label: 'for another user',
    call: (b, w) => b.reviews.create({property: w.ids.properties.cabin, reviewer: w.ids.users.otherGuest, rating: 4}),
    expect: only('otherGuest', 'admin'),
  },
  {op: 'reviews.list', call: (b) => b.reviews.list({}), expect: everyone()},
  {op: 'reviews.show', label: 'of a listed property', call: (b, w) => b.reviews.show(w.ids.reviews.loftByGuest), expect: everyone()},
  {
    op: 'reviews.update',
    label: 'its comment: the author, and admins (moderation)',
    call: (b, w) => b.reviews.update(w.ids.reviews.loftByGuest, {comment: 'Changed'}),
    expect: only('guest', 'admin'),
  },
  {
    op: 'reviews.update',
    label: 'its rating: the author alone, not admins',
    call: (b, w) => b.reviews.update(w.ids.reviews.loftByGuest, {rating: 2}),
    expect: only('guest'),
  },
  {op: 'reviews.delete', call: (b, w) => b.reviews.delete(w.ids.reviews.loftByGuest), expect: only('guest', 'admin')},

  // ---- payments
  {
    op: 'payments.record',
    call: (b, w) => b.payments.record({bookingId: w.ids.bookings.confirmedFuture, amount: '20.00', transactionId: 'txn_matrix'}),
    expect: admin(),
  },
  {
    op: 'payments.list',
    label: 'payments of own bookings and of bookings on own properties only',
    call: (b) => b.payments.list({}),
    expect: loggedIn(),
    check: listShows((w) => {
      const all = [w.ids.payments.charge100, w.ids.payments.pastStayPaid]
      return {guest: all, otherGuest: [], host: all, otherHost: [], admin: all}
    }),
  },
  {op: 'payments.show', call: (b, w) => b.payments.show(w.ids.payments.charge100), expect: only('guest', 'host', 'admin')},
  {
    op: 'payments.refund',
    label: 'money out: admins and the host, not the guest',
    call: (b, w) => b.payments.refund(w.ids.payments.charge100, {amount: '10.00'}),
    expect: only('host', 'admin'),
  },

  // ---- audit, imports, exports
  {op: 'audit.list', call: (b) => b.audit.list({}), expect: admin()},
  {op: 'imports.file', call: (b, w) => b.imports.file({entity: 'users', file: w.importFile}), expect: admin()},
  {op: 'imports.folder', call: (b, w) => b.imports.folder({dir: w.importDir}), expect: admin()},
  {
    op: 'imports.rows',
    call: (b) => b.imports.rows({entity: 'users', rows: [{username: 'rows.imported', email: 'rows.imported@example.com', password: 'rows-password-1'}]}),
    expect: admin(),
  },
  {
    op: 'exports.entity',
    label: 'every column of every row: emails of everyone',
    call: (b, w, a) => b.exports.entity({entity: 'users', output: path.join(w.importDir, 'exports', `users-${a}.csv`)}),
    expect: admin(),
  },

  {
    op: 'exports.page',
    label: 'a page of the export: emails of everyone',
    call: (b) => b.exports.page({entity: 'users', first: 10}),
    expect: admin(),
  },

  // ---- authentication and tokens
  {
    op: 'auth.whoami',
    label: 'who the caller is: themself',
    call: (b) => b.auth.whoami(),
    expect: loggedIn(),
    check: (r: {actor: string; isAdmin: boolean; user: {id: number} | null}, w, a) => {
      expect(r.user?.id).to.equal(self(w, a))
      expect(r.isAdmin).to.equal(a === 'admin')
    },
  },
  {
    op: 'auth.login',
    label: 'anyone may try (the credentials decide)',
    call: (b, _w, a) => b.auth.login({login: a === 'anonymous' ? users.guest.username : actorFixtures[a].username, password: passwordOf(a)}),
    expect: everyone(),
    becomes: {anonymous: 'guest'},
  },
  {
    op: 'auth.logout',
    label: 'whoever holds the token',
    call: (b, w) => b.auth.logout(w.guestSession),
    expect: everyone(),
    check: (r: {revoked: boolean}) => expect(r.revoked).to.equal(true),
  },
  {
    op: 'tokens.create',
    label: 'for themself',
    call: (b) => b.tokens.create({name: 'script'}),
    expect: loggedIn(),
    check: (r: {userId: number}, w, a) => expect(r.userId).to.equal(self(w, a)),
  },
  {
    op: 'tokens.create',
    label: 'for someone else',
    call: (b, w, a) => b.tokens.create({name: 'script', user: someoneElse(w, a)}),
    expect: admin(),
  },
  {
    op: 'tokens.list',
    label: 'their own, sessions included (a local operator sees everyone’s)',
    call: (b) => b.tokens.list({}),
    expect: loggedIn(),
    check: listShows((w) => ({
      guest: [w.guestToken, w.guestSessionId],
      host: [w.hostToken],
      otherGuest: [],
      otherHost: [],
      admin: [],
    })),
  },
  {op: 'tokens.list', label: 'another user’s', call: (b, w) => b.tokens.list({user: w.ids.users.host}), expect: only('host', 'admin')},
  {op: 'tokens.revoke', call: (b, w) => b.tokens.revoke(w.guestToken), expect: only('guest', 'admin')},
  {op: 'database.doctor', label: 'how the server is set up', call: (b) => b.database.doctor(), expect: admin()},
]

const BCRYPT = /\$2[abxy]\$/

describe('authorization matrix (integration)', function () {
  this.timeout(600_000)
  const s = useScenario('authorization')
  let world: World
  const temp = useScratch({per: 'suite', folder: 'stayctl-authz-'})
  let importDir: string
  before(() => (importDir = temp.dir))

  /** The scenario plus what the rows need (after useScenario's reset, or again after a write). */
  async function build(ids: ScenarioIds): Promise<World> {
    const other = await loadOtherHost(s.ctx)
    const barn = (await createProperty(s.ctx, {owner: users.host.username, name: 'Closed Barn', address: '4 Field Lane', pricePerNight: '40.00'})).id
    await s.ctx.db.models.Property.update({isListed: false}, {where: {id: barn}})
    const stay = await createBooking(s.ctx, {property: properties.cabin.name, guest: users.otherGuest.username, startDate: day(-9), endDate: day(-6), allowPast: true})
    await confirmBooking(s.ctx, stay.id)
    const block = (await createBlock(s.ctx, {property: ids.properties.loft, startDate: day(40), endDate: day(42), reason: 'paint'})).id
    const calendarToken = (await publishCalendar(s.ctx, {property: ids.properties.loft})).id
    const feedUrl = 'http://127.0.0.1:9/loft.ics'
    await addCalendarFeed(s.ctx, {property: ids.properties.loft, url: feedUrl})
    const guestToken = (await createToken(s.ctx, {name: 'guest-script', user: ids.users.guest})).id
    const hostToken = (await createToken(s.ctx, {name: 'host-script', user: ids.users.host})).id
    const session = await login(s.ctx, {login: users.guest.username, password: users.guest.password})
    const importFile = path.join(importDir, 'users.csv')
    fs.writeFileSync(importFile, 'username,email,password\nimported1,imported1@example.com,imported-password-1\n')
    fs.mkdirSync(path.join(importDir, 'exports'), {recursive: true})
    return {ids, ...other, barn, otherGuestPastStay: stay.id, block, calendarToken, feedUrl, guestToken, hostToken, guestSession: session.token, guestSessionId: session.tokenId, importFile, importDir}
  }

  async function reset(): Promise<void> {
    await clearTables(s.db)
    world = await build(await loadScenario(s.ctx))
  }

  beforeEach(async () => {
    world = await build(s.ids)
  })

  it('has a row for every operation of the Backend, and only for those', () => {
    const all = Object.entries(operations).flatMap(([group, ops]) => Object.keys(ops).map((name) => `${group}.${name}`))
    const covered = new Set(ROWS.map((row) => row.op))
    expect(all.filter((op) => !covered.has(op as OperationName)), 'operations without a row').to.deep.equal([])
    expect([...covered].filter((op) => !all.includes(op)), 'rows for no operation').to.deep.equal([])
  })

  for (const row of ROWS) {
    const expected = Object.entries(row.expect)
      .map(([actor, outcome]) => `${actor}: ${outcome === 'ok' ? 'allowed' : outcome}`)
      .join(', ')
    it(`${row.op}${row.label ? ` (${row.label})` : ''} — ${expected}`, async () => {
      // Refusals first (they must write nothing), then each allowed caller on a fresh scenario.
      const order = [...ACTORS].sort((a, b) => Number(row.expect[a] === 'ok') - Number(row.expect[b] === 'ok'))
      let dirty = false
      for (const actor of order) {
        const outcome = row.expect[actor]
        if (dirty) {
          await reset()
          dirty = false
        }
        const ctx = actorContext(s.db, actor, world.ids, world)
        const identity = row.becomes?.[actor] ?? actor
        const own = identity === 'anonymous' ? undefined : actorFixtures[identity].email
        const emails = [...Object.values(users), otherHost].filter((user) => user.email !== own).map((user) => user.email.toLowerCase())
        const before = await dumpTables(s.db)
        let result: unknown
        let caught: unknown
        try {
          result = await row.call(localBackend(ctx), world, actor)
        } catch (error) {
          caught = error
        }
        const after = await dumpTables(s.db)
        if (outcome === 'ok') {
          expect(caught, `${actor} should be allowed, got ${String(caught)}`).to.equal(undefined)
          row.check?.(result as never, world, actor)
          const text = JSON.stringify(result ?? null)
          expect(text, `${actor}: a password hash in the result`).not.to.match(BCRYPT)
          // A field of that name (the export summary's `passwordHashes: false` only says none were written).
          expect(text, `${actor}: a password hash in the result`).not.to.match(/"(passwordHash|password_hash)":/)
          if (actor !== 'admin') {
            for (const email of emails) expect(text.toLowerCase(), `${actor} sees another user's email`).not.to.include(email)
          }
          dirty = JSON.stringify(after) !== JSON.stringify(before)
        } else {
          expect(caught, `${actor} should get ${outcome}`).to.be.instanceOf(StayctlError)
          const error = caught as StayctlError
          expect(error.kind, `${actor}: ${error.message}`).to.equal(outcome)
          expect(error.message).not.to.match(BCRYPT)
          // A conflict is about a value someone else has: whose, and their address, stay unsaid (issue 12, item 10).
          if (actor !== 'admin' && outcome === 'CONFLICT') {
            const told = JSON.stringify({message: error.message, suggestion: error.suggestion, details: error.details}).toLowerCase()
            for (const email of emails) expect(told, `${actor} is told another user's email`).not.to.include(email)
          }
          expect(after, `${actor} was refused but something was written`).to.deep.equal(before)
        }
      }
    })
  }

  it('the other host fixture is no one else', () => {
    expect(Object.values(users).map((u) => u.username)).not.to.include(otherHost.username)
  })
})
