/**
 * The contract between the backends (acceptance 1 of issue 6): every operation of
 * src/backend.ts runs through the local backend (the services on a database of its own) and
 * through the remote backend (GraphQL to an in-process `stayctl serve` on another database),
 * from the same scenario, and must give the same result, or the same error: kind, message,
 * suggestion, details and exit code. SQLite by default, MariaDB with STAYCTL_TEST_DATABASE_URL.
 *
 * Both databases go through the same history, so ids agree. What may differ is normalised:
 * instants (createdAt, expiresAt…, and an exported calendar's DTSTAMP and LAST-MODIFIED: the two
 * runs are not at the same millisecond), tokens
 * (random), lastUsedAt (the server notes the use of the token the remote run sends) and the
 * audit events' `via` (cli locally, graphql remotely) and the transaction ids of refunds (re_<uuid>).
 * Imports and exports also compare what the command gets (rejections as read, summaries) and
 * the files written, with each side's folder as <dir>, seconds taken and salted hashes masked.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {localBackend, type Backend} from '../../src/backend.js'
import type {Db} from '../../src/db/index.js'
import {StayctlError} from '../../src/errors.js'
import {createClient} from '../../src/remote/client.js'
import {remoteBackend} from '../../src/remote/backend.js'
import {createToken, login} from '../../src/services/auth.js'
import {anonymousActor, type Actor, type ServiceContext} from '../../src/services/context.js'
import {openTestDb, readReplicaUrlFor, type TestDatabase} from '../support/db.js'
import {TODAY, day, fixtures, loadScenario, testContext, type ScenarioIds} from '../support/fixtures.js'
import {startTestServer, type TestServer} from '../support/graphql.js'
import {clearTables} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'
import {calendarCases} from './calendar-cases.js'

type ActorName = 'admin' | 'guest' | 'host' | 'anonymous'

interface Side {
  db: Db
  ids: ScenarioIds
  /** A folder of this side's own, for files an operation writes. */
  dir: string
  /** What the case's setup returned on this side's database. */
  setup: unknown
}

interface Case {
  name: string
  as?: ActorName
  /** Runs through the services (as an admin) on each database before the operation. */
  setup?: (ctx: ServiceContext, ids: ScenarioIds) => Promise<unknown>
  run: (backend: Backend, side: Side) => Promise<unknown>
  /** The outcome every side must have: 'ok', or an error kind. */
  expect: 'ok' | StayctlError['kind']
  /**
   * Errors of the same kind and exit code, worded differently: a value outside a GraphQL enum is
   * refused by GraphQL before any service sees it. Commands cannot send one (their flags list
   * the values, so oclif refuses it first, exit 2, on both sides).
   */
  sameKindOnly?: true
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
/** An iCalendar UTC date-time (DTSTAMP, LAST-MODIFIED: a row's update time, a second apart on the two sides when a second ticked between their writes). */
const ICS_INSTANT = /\b\d{8}T\d{6}Z\b/g
const TOKEN = /stay_[st]_[A-Za-z0-9_-]{43}/g
const REFUND_ID = /^re_[0-9a-f-]{36}$/

function normalise(value: unknown, key?: string): unknown {
  if (key === 'lastUsedAt') return '<lastUsedAt>'
  if (key === 'via') return '<via>'
  if (key === 'seconds') return '<seconds>'
  if (typeof value === 'string') {
    return ISO_INSTANT.test(value) ? '<instant>' : REFUND_ID.test(value) ? '<refund transaction id>' : value.replace(TOKEN, '<token>').replace(ICS_INSTANT, '<instant>')
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]))
  return value
}

/** The outcome as --json would print it (key order included), with the side's own folder as <dir>. */
async function outcome(work: () => Promise<unknown>, dir: string): Promise<{ok: unknown} | {error: Record<string, unknown>}> {
  // The two sides' databases differ in name only (a replica's URL, in the replica tier, names it).
  const plain = (value: unknown) =>
    JSON.parse(JSON.stringify(normalise(value) ?? null).split(dir).join('<dir>').replace(/\w*contract_(?:local|remote)\w*/g, '<database>')) as unknown
  try {
    return {ok: plain(await work())}
  } catch (error) {
    // Not instanceof: under mocha, tsx loads a module that src imports dynamically (transfer.ts)
    // a second time, with its own copy of src/errors.ts.
    if (!(error instanceof StayctlError) && !(error instanceof Error && 'kind' in error && 'exitCode' in error)) throw error
    const domain = error as StayctlError
    return {
      error: plain({
        class: domain.constructor.name,
        kind: domain.kind,
        exitCode: domain.exitCode,
        message: domain.message,
        suggestion: domain.suggestion,
        details: domain.details,
      }) as Record<string, unknown>,
    }
  }
}

/** Whatever the operation wrote into the side's folder, file by file; instants and bcrypt hashes (salted) masked. */
function filesIn(dir: string): Record<string, string> {
  const mask = (text: string) =>
    text
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z/g, '<instant>')
      .replace(ICS_INSTANT, '<instant>')
      .replace(/\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}/g, '<bcrypt hash>')
  return Object.fromEntries(fs.readdirSync(dir).sort().map((name) => [name, mask(fs.readFileSync(path.join(dir, name), 'utf8'))]))
}

/** Imports `text` as `name` in the side's folder, with the rejections as the command gets them. */
async function importText(b: Backend, side: Side, entity: string, name: string, text: string, options: {atomic?: boolean; dryRun?: boolean; upsert?: boolean} = {}) {
  const file = path.join(side.dir, name)
  fs.writeFileSync(file, text)
  const rejections: unknown[] = []
  const summary = await b.imports.file({entity, file, ...options, onRejected: (r) => rejections.push(r)})
  return {summary, rejections}
}

const guest = fixtures.users.guest.username
const host = fixtures.users.host.username
const { loft, cabin, flat } = fixtures.properties

/** Many plain users at once (no bcrypt), to page past the server's 100 per request. */
async function manyUsers(ctx: ServiceContext, n: number): Promise<void> {
  await ctx.db.models.User.bulkCreate(
    Array.from({length: n}, (_, i) => ({username: `bulk${String(i).padStart(3, '0')}`, email: `bulk${i}@example.com`, passwordHash: '!x'})),
  )
}

const CASES: Case[] = [
  // Users
  {name: 'users.create', expect: 'ok', run: (b) => b.users.create({username: 'nina.new', email: 'Nina@Example.com', password: 'nina-password-1', firstName: 'Nina'})},
  {name: 'users.create: taken username', expect: 'CONFLICT', run: (b) => b.users.create({username: host, email: 'x@example.com', password: 'password-123'})},
  {name: 'users.create: bad email', expect: 'VALIDATION', run: (b) => b.users.create({username: 'bad.email', email: 'nope', password: 'password-123'})},
  {name: 'users.create: short password', expect: 'VALIDATION', run: (b) => b.users.create({username: 'short.pw', email: 's@example.com', password: 'short'})},
  {name: 'users.list', expect: 'ok', run: (b) => b.users.list()},
  {name: 'users.list: filters and sort', expect: 'ok', run: (b) => b.users.list({active: true, search: 'example', sort: '-username', limit: 2})},
  {name: 'users.list: a page of 150 (two requests of the server) and the next', expect: 'ok', setup: (ctx) => manyUsers(ctx, 160), run: async (b) => {
    const first = await b.users.list({limit: 150, sort: 'username'})
    const rest = await b.users.list({limit: 1000, sort: 'username', cursor: first.nextCursor!})
    expect(first.items).to.have.length(150)
    expect(first.nextCursor).to.be.a('string')
    expect(rest.items).to.have.length(15)
    expect(rest.nextCursor).to.equal(null)
    return {first, rest}
  }},
  {name: 'users.list: a page of exactly 100 with more after', expect: 'ok', setup: (ctx) => manyUsers(ctx, 110), run: (b) => b.users.list({limit: 100})},
  {name: 'users.list: limit 1001', expect: 'VALIDATION', run: (b) => b.users.list({limit: 1001})},
  {name: 'users.list: limit 0', expect: 'VALIDATION', run: (b) => b.users.list({limit: 0})},
  {name: 'users.list: bad sort', expect: 'VALIDATION', run: (b) => b.users.list({sort: 'password'})},
  {name: 'users.list: bad cursor', expect: 'VALIDATION', run: (b) => b.users.list({cursor: 'bogus'})},
  {name: 'users.show by username', expect: 'ok', run: (b) => b.users.show(guest)},
  {name: 'users.show by id', expect: 'ok', run: (b, s) => b.users.show(s.ids.users.host)},
  {name: 'users.show: unknown', expect: 'NOT_FOUND', run: (b) => b.users.show('nobody.here')},
  {name: 'users.update', expect: 'ok', run: (b) => b.users.update(guest, {firstName: 'Gwen', lastName: null, email: 'gwen@example.com'})},
  {name: 'users.update: email taken', expect: 'CONFLICT', run: (b) => b.users.update(guest, {email: fixtures.users.host.email})},
  {name: 'users.setPassword', expect: 'ok', run: (b) => b.users.setPassword(guest, 'new-password-1')},
  {name: 'users.setPassword: too short', expect: 'VALIDATION', run: (b) => b.users.setPassword(guest, 'short')},
  {name: 'users.deactivate', expect: 'ok', run: (b) => b.users.deactivate(fixtures.users.otherGuest.username)},
  {name: 'users.activate', expect: 'ok', run: (b) => b.users.activate(fixtures.users.inactive.username)},
  {name: 'users.delete: has bookings', expect: 'CONFLICT', run: (b) => b.users.delete(guest)},
  {name: 'users.delete: nothing held', expect: 'ok', run: (b) => b.users.delete(fixtures.users.inactive.username)},
  {name: 'users.delete with erase', expect: 'ok', run: (b) => b.users.delete(guest, {erase: true})},
  {name: 'users.erase', expect: 'ok', run: (b) => b.users.erase(guest)},

  // Properties
  {name: 'properties.create', expect: 'ok', run: (b) => b.properties.create({owner: host, name: 'Sea Shed', address: '2 Beach', pricePerNight: '75.5', cancellationPolicy: 'flexible'})},
  {name: 'properties.create: inactive owner', expect: 'CONFLICT', run: (b) => b.properties.create({owner: fixtures.users.inactive.username, name: 'X', address: 'Y', pricePerNight: '10'})},
  {name: 'properties.create: bad price', expect: 'VALIDATION', run: (b) => b.properties.create({owner: host, name: 'X', address: 'Y', pricePerNight: '-3'})},
  {name: 'properties.create: bad policy', expect: 'VALIDATION', sameKindOnly: true, run: (b) => b.properties.create({owner: host, name: 'X', address: 'Y', pricePerNight: '3', cancellationPolicy: 'lenient'})},
  {name: 'properties.list', expect: 'ok', run: (b) => b.properties.list()},
  {name: 'properties.list: filters', expect: 'ok', run: (b) => b.properties.list({owner: host, minPrice: '50', sort: '-pricePerNight'})},
  {name: 'properties.list: availability', expect: 'ok', run: (b) => b.properties.list({availableFrom: day(14), availableTo: day(16)})},
  {name: 'properties.list: half a range', expect: 'VALIDATION', run: (b) => b.properties.list({availableFrom: day(14)})},
  {name: 'properties.show', expect: 'ok', run: (b) => b.properties.show(loft.name)},
  {name: 'properties.show: unknown', expect: 'NOT_FOUND', run: (b) => b.properties.show('Nowhere')},
  {name: 'properties.show: a name in another case (exactly, on every database)', expect: 'NOT_FOUND', run: (b) => b.properties.show(loft.name.toLowerCase())},
  {name: 'properties.show: a name two hosts use', expect: 'VALIDATION', setup: (ctx, ids) => secondLoft(ctx, ids), run: (b) => b.properties.show(loft.name)},
  {name: 'properties.update', expect: 'ok', run: (b) => b.properties.update(cabin.name, {pricePerNight: '300', description: null, isListed: false})},
  {name: 'properties.update: nothing changes', expect: 'ok', run: (b) => b.properties.update(cabin.name, {name: cabin.name})},
  {name: 'properties.delete: has bookings', expect: 'CONFLICT', run: (b) => b.properties.delete(flat.name)},
  {name: 'properties.delete', expect: 'ok', setup: (ctx, ids) => ctx.db.models.Property.create({ownerId: ids.users.host, name: 'Temp', address: 'A', pricePerNight: '1.00', cancellationPolicy: 'moderate'}).then(() => undefined), run: async (b) => b.properties.delete('Temp')},

  // Bookings
  {name: 'bookings.create', expect: 'ok', run: (b) => b.bookings.create({property: flat.name, guest, startDate: day(40), endDate: day(43), externalRef: 'CH-1'})},
  {name: 'bookings.create: overlap', expect: 'CONFLICT', run: (b) => b.bookings.create({property: loft.name, guest: fixtures.users.otherGuest.username, startDate: day(15), endDate: day(16)})},
  {name: 'bookings.create: in the past', expect: 'VALIDATION', run: (b) => b.bookings.create({property: flat.name, guest, startDate: day(-5), endDate: day(-3)})},
  {name: 'bookings.create: bad date', expect: 'VALIDATION', run: (b) => b.bookings.create({property: flat.name, guest, startDate: '2027-02-30', endDate: day(3)})},
  {name: 'bookings.create: own property', expect: 'CONFLICT', run: (b) => b.bookings.create({property: flat.name, guest: host, startDate: day(50), endDate: day(52)})},
  {name: 'bookings.create: a property name two hosts use', expect: 'VALIDATION', setup: (ctx, ids) => secondLoft(ctx, ids), run: (b) => b.bookings.create({property: loft.name, guest, startDate: day(50), endDate: day(52)})},
  {name: 'bookings.list', expect: 'ok', run: (b) => b.bookings.list()},
  {name: 'bookings.list: filters', expect: 'ok', run: (b) => b.bookings.list({guest, status: 'confirmed', from: day(-30), to: day(30), sort: '-startDate'})},
  {name: 'bookings.list: unknown property', expect: 'NOT_FOUND', run: (b) => b.bookings.list({property: 'Nowhere'})},
  {name: 'bookings.show', expect: 'ok', run: (b, s) => b.bookings.show(s.ids.bookings.confirmedFuture)},
  {name: 'bookings.show: unknown', expect: 'NOT_FOUND', run: (b) => b.bookings.show(999_999)},
  {name: 'bookings.confirm', expect: 'ok', run: (b, s) => b.bookings.confirm(s.ids.bookings.pendingFuture)},
  {name: 'bookings.confirm: not pending', expect: 'CONFLICT', run: (b, s) => b.bookings.confirm(s.ids.bookings.confirmedFuture)},
  {name: 'bookings.update: a move, priced again', expect: 'ok', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {startDate: day(20), endDate: day(24)})},
  {name: 'bookings.update: a total, by external reference', expect: 'ok', setup: externalRef, run: (b) => b.bookings.update('ext-001', {totalPrice: '350.5'})},
  {name: 'bookings.update: onto another booking', expect: 'CONFLICT', run: (b, s) => b.bookings.create({property: loft.name, guest: fixtures.users.otherGuest.username, startDate: day(20), endDate: day(22)}).then(() => b.bookings.update(s.ids.bookings.confirmedFuture, {endDate: day(21)}))},
  {name: 'bookings.update: onto a block', expect: 'CONFLICT', setup: bookedBeforeBlock, run: (b, s) => b.bookings.update((s.setup as {booking: number}).booking, {endDate: day(61)})},
  {name: 'bookings.update: cancelled', expect: 'CONFLICT', run: (b, s) => b.bookings.update(s.ids.bookings.cancelledFuture, {startDate: day(40), endDate: day(42)})},
  {name: 'bookings.update: stay has begun', expect: 'CONFLICT', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedPast, {startDate: day(40), endDate: day(42)})},
  {name: 'bookings.update: total below what is charged', expect: 'CONFLICT', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {totalPrice: '50'})},
  {name: 'bookings.update: bad dates', expect: 'VALIDATION', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {endDate: day(10)})},
  {name: 'bookings.update: bad amount', expect: 'VALIDATION', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {totalPrice: '1.234'})},
  {name: 'bookings.update: unknown', expect: 'NOT_FOUND', run: (b) => b.bookings.update(999_999, {endDate: day(20)})},
  {name: 'bookings.cancel with the policy refund', expect: 'ok', run: (b, s) => b.bookings.cancel(s.ids.bookings.confirmedFuture)},
  {name: 'bookings.cancel with a full refund and a reason', expect: 'ok', run: (b, s) => b.bookings.cancel(s.ids.bookings.confirmedFuture, {refund: 'full', reason: 'flood'})},
  {name: 'bookings.cancel: already cancelled', expect: 'CONFLICT', run: (b, s) => b.bookings.cancel(s.ids.bookings.cancelledFuture)},
  {name: 'bookings.cancel: stay has begun', expect: 'CONFLICT', run: (b, s) => b.bookings.cancel(s.ids.bookings.confirmedPast)},

  // Reviews
  {name: 'reviews.create: already reviewed', expect: 'CONFLICT', run: (b) => b.reviews.create({property: loft.name, reviewer: guest, rating: 4})},
  {name: 'reviews.create: no stay', expect: 'CONFLICT', run: (b) => b.reviews.create({property: cabin.name, reviewer: guest, rating: 4})},
  {name: 'reviews.create: bad rating', expect: 'VALIDATION', run: (b) => b.reviews.create({property: loft.name, reviewer: guest, rating: 9})},
  {name: 'reviews.create', expect: 'ok', setup: (ctx, ids) => ctx.db.models.Review.destroy({where: {id: ids.reviews.loftByGuest}}), run: (b) => b.reviews.create({property: loft.name, reviewer: guest, rating: 3, comment: 'Fine, "really"'})},
  {name: 'reviews.list', expect: 'ok', run: (b) => b.reviews.list({property: loft.name, minRating: 2})},
  {name: 'reviews.delete', expect: 'ok', run: (b, s) => b.reviews.delete(s.ids.reviews.loftByGuest)},
  {name: 'reviews.delete: unknown', expect: 'NOT_FOUND', run: (b) => b.reviews.delete(999_999)},
  {name: 'reviews.show', expect: 'ok', run: (b, s) => b.reviews.show(s.ids.reviews.loftByGuest)},
  {name: 'reviews.show: unknown', expect: 'NOT_FOUND', run: (b) => b.reviews.show(999_999)},
  {name: 'anonymous: reviews.show', as: 'anonymous', expect: 'ok', run: (b, s) => b.reviews.show(s.ids.reviews.loftByGuest)},
  {name: 'anonymous: reviews.show of an unlisted property', as: 'anonymous', expect: 'NOT_FOUND', setup: unlistLoft, run: (b, s) => b.reviews.show(s.ids.reviews.loftByGuest)},
  {name: 'reviews.update: the comment (moderation), and its audit event', expect: 'ok', run: async (b, s) => ({
    review: await b.reviews.update(s.ids.reviews.loftByGuest, {comment: 'Edited, "really"'}),
    events: await b.audit.list({action: 'review.update'}),
  })},
  {name: 'reviews.update: the comment removed', expect: 'ok', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {comment: null})},
  {name: 'reviews.update: nothing changes', expect: 'ok', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {rating: 5})},
  {name: 'reviews.update: unknown', expect: 'NOT_FOUND', run: (b) => b.reviews.update(999_999, {comment: 'x'})},
  {name: 'reviews.update: comment too long', expect: 'VALIDATION', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {comment: 'x'.repeat(5001)})},
  {name: "reviews.update: another user's rating (an admin)", expect: 'FORBIDDEN', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {rating: 1})},
  {name: 'guest: reviews.update of their own rating and comment', as: 'guest', expect: 'ok', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {rating: 3, comment: 'Noisy'})},
  {name: 'guest: reviews.update: bad rating', as: 'guest', expect: 'VALIDATION', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {rating: 9})},
  {name: 'host: reviews.update of a review of their property', as: 'host', expect: 'FORBIDDEN', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {comment: 'Unfair'})},
  {name: 'anonymous: reviews.update', as: 'anonymous', expect: 'UNAUTHENTICATED', run: (b, s) => b.reviews.update(s.ids.reviews.loftByGuest, {comment: 'x'})},

  // Payments
  {name: 'payments.record', expect: 'ok', run: (b, s) => b.payments.record({bookingId: s.ids.bookings.confirmedFuture, amount: '60', transactionId: 'txn_new', paymentDate: '2027-06-01T10:00:00.000Z'})},
  {name: 'payments.record: pending', expect: 'ok', run: (b, s) => b.payments.record({bookingId: s.ids.bookings.pendingFuture, amount: '10.5', transactionId: 'txn_pending', status: 'pending'})},
  {name: 'payments.record: above the total', expect: 'CONFLICT', run: (b, s) => b.payments.record({bookingId: s.ids.bookings.confirmedFuture, amount: '300', transactionId: 'txn_big'})},
  {name: 'payments.record: duplicate transaction id', expect: 'CONFLICT', run: (b, s) => b.payments.record({bookingId: s.ids.bookings.confirmedFuture, amount: '1', transactionId: 'txn_charge100'})},
  {name: 'payments.record: unknown booking', expect: 'NOT_FOUND', run: (b) => b.payments.record({bookingId: 999_999, amount: '1', transactionId: 'txn_x'})},
  {name: 'payments.record by external reference', expect: 'ok', setup: (ctx, ids) => externalRef(ctx, ids), run: (b) => b.payments.record({booking: 'ext-001', amount: '60', transactionId: 'txn_ext', paymentDate: '2027-06-01T10:00:00.000Z'})},
  {name: 'payments.record: unknown external reference', expect: 'NOT_FOUND', run: (b) => b.payments.record({booking: 'ext-404', amount: '1', transactionId: 'txn_x'})},
  {name: 'payments.record: booking and bookingId', expect: 'VALIDATION', run: (b, s) => b.payments.record({booking: 'ext-404', bookingId: s.ids.bookings.confirmedFuture, amount: '1', transactionId: 'txn_x'})},
  {name: 'payments.record: bad amount', expect: 'VALIDATION', run: (b, s) => b.payments.record({bookingId: s.ids.bookings.confirmedFuture, amount: '1.234', transactionId: 'txn_x'})},
  {name: 'payments.list', expect: 'ok', run: (b) => b.payments.list()},
  {name: 'payments.list: filters', expect: 'ok', run: (b, s) => b.payments.list({bookingId: s.ids.bookings.confirmedFuture, kind: 'charge', status: 'completed', sort: '-paymentDate'})},
  {name: 'payments.list by external reference', expect: 'ok', setup: (ctx, ids) => externalRef(ctx, ids), run: (b) => b.payments.list({booking: 'ext-001'})},
  {name: 'payments.list: unknown booking', expect: 'NOT_FOUND', run: (b) => b.payments.list({booking: 'ext-404'})},
  {name: 'payments.show: a charge with refunds', expect: 'ok', setup: (ctx) => refundTwice(ctx), run: (b) => b.payments.show('txn_charge100')},
  {name: 'payments.show: a refund', expect: 'ok', setup: (ctx) => refundTwice(ctx), run: async (b, s) => b.payments.show((s.setup as {refundId: number}).refundId)},
  {name: 'payments.show: unknown', expect: 'NOT_FOUND', run: (b) => b.payments.show('txn_none')},
  {name: 'payments.refund: partial with a key', expect: 'ok', run: (b) => b.payments.refund('txn_charge100', {amount: '30', reason: 'late', idempotencyKey: 'k-1'})},
  {name: 'payments.refund: the rest', expect: 'ok', run: (b) => b.payments.refund('txn_charge100')},
  {name: 'payments.refund: replayed by its key', expect: 'ok', setup: (ctx) => refundTwice(ctx), run: (b) => b.payments.refund('txn_charge100', {amount: '10', idempotencyKey: 'k-first'})},
  {name: 'payments.refund: key reused for another amount', expect: 'CONFLICT', setup: (ctx) => refundTwice(ctx), run: (b) => b.payments.refund('txn_charge100', {amount: '11', idempotencyKey: 'k-first'})},
  {name: 'payments.refund: above the remainder', expect: 'CONFLICT', run: (b) => b.payments.refund('txn_charge100', {amount: '100.01'})},
  {name: 'payments.refund: bad amount', expect: 'VALIDATION', run: (b) => b.payments.refund('txn_charge100', {amount: 'ten'})},

  // Audit
  {name: 'audit.list', expect: 'ok', run: (b) => b.audit.list()},
  {name: 'audit.list: filters', expect: 'ok', run: (b) => b.audit.list({action: 'booking.*', entity: 'booking', since: '2000-01-01', limit: 3})},
  {name: 'audit.list: bad since', expect: 'VALIDATION', run: (b) => b.audit.list({since: 'yesterday'})},

  // Imports of one batch
  {name: 'imports.rows: good and bad rows', expect: 'ok', run: (b) => b.imports.rows({entity: 'users', firstLine: 2, rows: [
    {username: 'imp.one', email: 'imp1@example.com', password: 'import-password-1', shoe_size: 42},
    {username: 'x', email: 'imp2@example.com', password: 'import-password-2'},
    'not an object',
    {username: host, email: 'imp3@example.com', password: 'import-password-3'},
  ]})},
  {name: 'imports.rows: atomic dry run', expect: 'ok', run: (b) => b.imports.rows({entity: 'properties', atomic: true, dryRun: true, rows: [{owner: host, name: 'Imported', address: 'A', pricePerNight: '12'}]})},
  {name: 'imports.rows: a bad --map', expect: 'USAGE', run: (b) => b.imports.rows({entity: 'users', map: ['nonsense'], rows: []})},

  // Imports of files and folders (batches of importRows remotely), exports (pages remotely)
  {name: 'imports.file: CSV with bad rows', expect: 'ok', run: (b, s) => importText(b, s, 'users', 'users.csv', [
    'username,email,password,first_name,shoe_size',
    'csv.one,csv1@example.com,import-password-1,Una,42',
    'x,csv2@example.com,import-password-2,,',
    `${host},csv3@example.com,import-password-3,,`,
    '"csv.four","csv4@example.com","import-password-4","Quote ""Q""",',
  ].join('\n') + '\n')},
  {name: 'imports.file: NDJSON bookings, atomic dry run', expect: 'ok', run: (b, s) => importText(b, s, 'bookings', 'bookings.ndjson', [
    JSON.stringify({property: flat.name, guest, start_date: day(70), end_date: day(72)}),
    JSON.stringify({property: 'Nowhere', guest, start_date: day(70), end_date: day(72)}),
  ].join('\n') + '\n', {atomic: true, dryRun: true})},
  {name: 'imports.file: upsert', expect: 'ok', run: (b, s) => importText(b, s, 'users', 'users.json', JSON.stringify([{username: host, email: fixtures.users.host.email, first_name: 'Hanne'}]), {upsert: true})},
  {name: 'imports.file: no such file', expect: 'VALIDATION', run: (b, s) => b.imports.file({entity: 'users', file: path.join(s.dir, 'missing.csv')})},
  {name: 'imports.folder', expect: 'ok', run: async (b, s) => {
    const folder = path.join(s.dir, 'data')
    fs.mkdirSync(folder)
    fs.writeFileSync(path.join(folder, 'users.csv'), 'username,email,password\nfold.one,fold1@example.com,folder-password-1\nbad,nope,x\n')
    fs.writeFileSync(path.join(folder, 'properties.csv'), `owner,name,address,price_per_night\nfold.one,Folder Flat,1 Road,50\n${host},,2 Road,10\n`)
    const rejected: unknown[] = []
    return {summary: await b.imports.folder({dir: folder, onRejected: (entity, file, r) => rejected.push({entity, file, r})}), rejected}
  }},
  {name: 'exports.entity: bookings as CSV', expect: 'ok', run: async (b, s) => ({summary: await b.exports.entity({entity: 'bookings', output: path.join(s.dir, 'bookings.csv')}), files: filesIn(s.dir)})},
  {name: 'exports.entity: users as NDJSON, filtered, with hashes', expect: 'ok', run: async (b, s) => ({
    summary: await b.exports.entity({entity: 'users', output: path.join(s.dir, 'users.ndjson'), where: ['isActive=true'], includePasswordHashes: true, pageSize: 2}),
    files: filesIn(s.dir),
  })},
  {name: 'exports.entity: bad filter', expect: 'USAGE', run: (b, s) => b.exports.entity({entity: 'users', output: path.join(s.dir, 'u.csv'), where: ['shoe_size=42']})},
  {name: 'exports.page', expect: 'ok', run: async (b) => {
    const first = await b.exports.page({entity: 'payments', first: 1})
    return {first, next: await b.exports.page({entity: 'payments', first: 5, after: first.endCursor!})}
  }},
  {name: 'exports.page: first too large', expect: 'VALIDATION', run: (b) => b.exports.page({entity: 'payments', first: 5001})},

  // Tokens and sessions
  {name: 'tokens.create for oneself', expect: 'ok', run: (b) => b.tokens.create({name: 'ci', expiresInDays: 7})},
  {name: 'tokens.create for another user', expect: 'ok', run: (b) => b.tokens.create({name: 'backup', user: guest})},
  {name: 'tokens.create: named session', expect: 'VALIDATION', run: (b) => b.tokens.create({name: 'session'})},
  {name: 'tokens.list', expect: 'ok', run: (b) => b.tokens.list()},
  {name: 'tokens.list: all of a user', expect: 'ok', setup: (ctx, ids) => revokedTokenOf(ctx, ids), run: (b) => b.tokens.list({user: guest, all: true})},
  {name: 'tokens.revoke', expect: 'ok', setup: (ctx, ids) => revokedTokenOf(ctx, ids), run: (b, s) => b.tokens.revoke((s.setup as {live: number}).live)},
  {name: 'tokens.revoke: unknown', expect: 'NOT_FOUND', run: (b) => b.tokens.revoke(999_999)},
  {name: 'auth.login', expect: 'ok', run: (b) => b.auth.login({login: fixtures.users.host.email, password: fixtures.users.host.password})},
  {name: 'auth.login: wrong password', expect: 'UNAUTHENTICATED', run: (b) => b.auth.login({login: host, password: 'wrong-password'})},
  {name: 'auth.whoami', expect: 'ok', run: (b) => b.auth.whoami()},
  {name: 'guest: auth.whoami', as: 'guest', expect: 'ok', run: (b) => b.auth.whoami()},
  {name: 'anonymous: auth.whoami', as: 'anonymous', expect: 'UNAUTHENTICATED', run: (b) => b.auth.whoami()},
  {name: 'auth.logout', expect: 'ok', setup: (ctx) => login(ctx, {login: host, password: fixtures.users.host.password}), run: (b, s) => b.auth.logout((s.setup as {token: string}).token)},

  // As a guest: what authorization lets through, hides and refuses is the same.
  {name: 'guest: users.show of another (no email)', as: 'guest', expect: 'ok', run: (b) => b.users.show(host)},
  {name: 'guest: users.show of oneself', as: 'guest', expect: 'ok', run: (b) => b.users.show(guest)},
  {name: 'guest: users.list', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.users.list()},
  {name: 'guest: bookings.list (own only)', as: 'guest', expect: 'ok', run: (b) => b.bookings.list()},
  {name: 'guest: bookings.create for oneself', as: 'guest', expect: 'ok', run: (b) => b.bookings.create({property: flat.name, startDate: day(60), endDate: day(62)})},
  {name: 'guest: bookings.cancel with a full refund', as: 'guest', expect: 'FORBIDDEN', run: (b, s) => b.bookings.cancel(s.ids.bookings.confirmedFuture, {refund: 'full'})},
  {name: 'guest: bookings.update of their own stay', as: 'guest', expect: 'FORBIDDEN', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {endDate: day(18)})},
  {name: 'host: bookings.update on their property', as: 'host', expect: 'ok', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {endDate: day(18)})},
  {name: 'host: bookings.update with a total', as: 'host', expect: 'FORBIDDEN', run: (b, s) => b.bookings.update(s.ids.bookings.confirmedFuture, {totalPrice: '500'})},
  {name: 'guest: payments.refund', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.payments.refund('txn_charge100')},
  {name: 'guest: setPassword of oneself without the current one', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.users.setPassword(guest, 'new-password-1')},
  {name: 'guest: setPassword of oneself', as: 'guest', expect: 'ok', run: (b) => b.users.setPassword(guest, 'new-password-1', {currentPassword: fixtures.users.guest.password})},
  {name: 'guest: reviews.create as oneself', as: 'guest', expect: 'CONFLICT', run: (b) => b.reviews.create({property: loft.name, rating: 5})},
  {name: 'blocks.create', expect: 'ok', run: (b) => b.blocks.create({property: flat.name, startDate: day(60), endDate: day(62), reason: 'paint'})},
  {name: 'blocks.create from a feed', expect: 'ok', run: (b) => b.blocks.create({property: flat.name, startDate: day(60), endDate: day(62), source: FEED, sourceUid: 'u1'})},
  {name: 'blocks.create: overlaps a booking', expect: 'CONFLICT', run: (b) => b.blocks.create({property: loft.name, startDate: day(15), endDate: day(16)})},
  {name: 'blocks.create: overlaps a block', expect: 'CONFLICT', setup: blocked, run: (b) => b.blocks.create({property: flat.name, startDate: day(61), endDate: day(63)})},
  {name: 'blocks.create: bad dates', expect: 'VALIDATION', run: (b) => b.blocks.create({property: flat.name, startDate: day(62), endDate: day(60)})},
  {name: 'blocks.create: source without its UID', expect: 'VALIDATION', run: (b) => b.blocks.create({property: flat.name, startDate: day(60), endDate: day(62), source: FEED})},
  {name: 'blocks.list', expect: 'ok', setup: blocked, run: (b) => b.blocks.list()},
  {name: 'blocks.list: filters', expect: 'ok', setup: blocked, run: (b) => b.blocks.list({property: flat.name, source: FEED, from: day(60), to: day(80), sort: '-startDate'})},
  {name: 'blocks.show', expect: 'ok', setup: blocked, run: (b, s) => b.blocks.show((s.setup as {manual: number}).manual)},
  {name: 'blocks.show: unknown', expect: 'NOT_FOUND', run: (b) => b.blocks.show(999_999)},
  {name: 'blocks.update', expect: 'ok', setup: blocked, run: (b, s) => b.blocks.update((s.setup as {manual: number}).manual, {endDate: day(64), reason: 'longer'})},
  {name: 'blocks.update: onto another block', expect: 'CONFLICT', setup: blocked, run: (b, s) => b.blocks.update((s.setup as {manual: number}).manual, {endDate: day(71)})},
  {name: 'blocks.delete', expect: 'ok', setup: blocked, run: (b, s) => b.blocks.delete((s.setup as {manual: number}).manual)},
  {name: 'blocks.sync: add, move, remove, conflicts', expect: 'ok', setup: blocked, run: (b) => b.blocks.sync({property: flat.name, source: FEED, events: FEED_EVENTS})},
  {name: 'blocks.sync: dry run', expect: 'ok', setup: blocked, run: (b) => b.blocks.sync({property: flat.name, source: FEED, events: FEED_EVENTS, dryRun: true})},
  {name: 'blocks.sync: a UID twice', expect: 'VALIDATION', run: (b) => b.blocks.sync({property: flat.name, source: FEED, events: [FEED_EVENTS[0], FEED_EVENTS[0]]})},
  {name: 'bookings.create: on a block', expect: 'CONFLICT', setup: blocked, run: (b) => b.bookings.create({property: flat.name, guest, startDate: day(61), endDate: day(66)})},
  {name: 'guest: blocks.create', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.blocks.create({property: flat.name, startDate: day(60), endDate: day(62)})},
  {name: 'guest: blocks.list', as: 'guest', expect: 'ok', setup: blocked, run: (b) => b.blocks.list()},
  {name: 'guest: blocks.show', as: 'guest', expect: 'FORBIDDEN', setup: blocked, run: (b, s) => b.blocks.show((s.setup as {manual: number}).manual)},
  {name: 'guest: blocks.sync', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.blocks.sync({property: flat.name, source: FEED, events: FEED_EVENTS})},
  {name: 'host: blocks.create', as: 'host', expect: 'ok', run: (b) => b.blocks.create({property: cabin.name, startDate: day(60), endDate: day(62)})},
  {name: 'host: blocks.delete', as: 'host', expect: 'ok', setup: blocked, run: (b, s) => b.blocks.delete((s.setup as {manual: number}).manual)},
  {name: 'anonymous: blocks.list', as: 'anonymous', expect: 'UNAUTHENTICATED', run: (b) => b.blocks.list()},
  {name: 'host: properties.create as oneself', as: 'host', expect: 'ok', run: (b) => b.properties.create({name: 'Host Hut', address: 'Hill', pricePerNight: '40'})},
  {name: 'host: properties.show with upcoming bookings', as: 'host', expect: 'ok', run: (b) => b.properties.show(loft.name)},
  {name: 'host: payments.refund of a charge on their property', as: 'host', expect: 'ok', run: (b) => b.payments.refund('txn_charge100', {amount: '5'})},
  {name: 'database.doctor', expect: 'ok', run: (b) => b.database.doctor()},
  {name: 'guest: database.doctor', as: 'guest', expect: 'FORBIDDEN', run: (b) => b.database.doctor()},
  {name: 'database.doctor --repair', expect: 'ok', run: (b) => b.database.doctor({repair: true})},
  {name: 'host: database.doctor --repair', as: 'host', expect: 'FORBIDDEN', run: (b) => b.database.doctor({repair: true})},
  {name: 'anonymous: properties.list', as: 'anonymous', expect: 'ok', run: (b) => b.properties.list()},
  {name: 'anonymous: bookings.list', as: 'anonymous', expect: 'UNAUTHENTICATED', run: (b) => b.bookings.list()},
  {name: 'anonymous: users.create', as: 'anonymous', expect: 'UNAUTHENTICATED', run: (b) => b.users.create({username: 'anon.user', email: 'a@example.com', password: 'password-123'})},
  ...calendarCases,
]

/** Two refunds of charge100: 10.00 with key k-first, then 15.00. */
async function refundTwice(ctx: ServiceContext): Promise<{refundId: number}> {
  const {refundPayment} = await import('../../src/services/payments.js')
  const first = await refundPayment(ctx, 'txn_charge100', {amount: '10', idempotencyKey: 'k-first', reason: 'one'})
  await refundPayment(ctx, 'txn_charge100', {amount: '15'})
  return {refundId: first.refund.id}
}

const FEED = 'https://channel.example/flat.ics'
/** e1 moves, e2 is new, e3 overlaps the flat's block made by hand, e4 overlaps e2; e9 (see blocked) is gone. */
const FEED_EVENTS = [
  {uid: 'e1', start: day(71), end: day(73), reason: 'Airbnb'},
  {uid: 'e2', start: day(80), end: day(82)},
  {uid: 'e3', start: day(61), end: day(65)},
  {uid: 'e4', start: day(81), end: day(83)},
]

/** On the flat: a block by hand (day 60 → 62) and two of FEED (e1 day 70 → 72, e9 day 90 → 91). */
async function blocked(ctx: ServiceContext, ids: ScenarioIds): Promise<{manual: number}> {
  const {createBlock} = await import('../../src/services/blocks.js')
  const manual = await createBlock(ctx, {property: ids.properties.flat, startDate: day(60), endDate: day(62), reason: 'paint'})
  await createBlock(ctx, {property: ids.properties.flat, startDate: day(70), endDate: day(72), source: FEED, sourceUid: 'e1'})
  await createBlock(ctx, {property: ids.properties.flat, startDate: day(90), endDate: day(91), source: FEED, sourceUid: 'e9'})
  return {manual: manual.id}
}

/** blocked, and a booking of the flat the night before its block by hand (day 59 → 60). */
async function bookedBeforeBlock(ctx: ServiceContext, ids: ScenarioIds): Promise<{booking: number}> {
  const {createBooking} = await import('../../src/services/bookings.js')
  await blocked(ctx, ids)
  return {booking: (await createBooking(ctx, {property: ids.properties.flat, guest, startDate: day(59), endDate: day(60)})).id}
}

/** A listing of the other guest's with the loft's name. */
async function secondLoft(ctx: ServiceContext, ids: ScenarioIds): Promise<void> {
  await ctx.db.models.Property.create({ownerId: ids.users.otherGuest, name: loft.name, address: 'B', pricePerNight: '1.00', cancellationPolicy: 'moderate'})
}

/** The loft unlisted by its host: hidden, with its reviews, from all but its host, its guests and admins. */
async function unlistLoft(ctx: ServiceContext, ids: ScenarioIds): Promise<void> {
  await ctx.db.models.Property.update({isListed: false}, {where: {id: ids.properties.loft}})
}

/** confirmedFuture, with the external reference ext-001. */
async function externalRef(ctx: ServiceContext, ids: ScenarioIds): Promise<void> {
  await ctx.db.models.Booking.update({externalRef: 'ext-001'}, {where: {id: ids.bookings.confirmedFuture}})
}

/** The guest's tokens: one revoked, one live. */
async function revokedTokenOf(ctx: ServiceContext, ids: ScenarioIds): Promise<{live: number}> {
  const {revokeToken} = await import('../../src/services/auth.js')
  const revoked = await createToken(ctx, {name: 'old', user: ids.users.guest})
  await revokeToken(ctx, revoked.id)
  const live = await createToken(ctx, {name: 'live', user: ids.users.guest})
  return {live: live.id}
}

function actorOf(name: ActorName, ids: ScenarioIds): Actor {
  if (name === 'anonymous') return anonymousActor()
  const user = fixtures.users[name]
  return {name: user.username, userId: ids.users[name], isAdmin: name === 'admin'}
}

describe('contract: the local and the remote backend give the same results and errors', function () {
  this.timeout(120_000)
  const scratch = useScratch({per: 'suite', database: 'contract_local'})
  /** A folder for each side, for each case. */
  const localFolder = useScratch({per: 'test', folder: 'contract-local-'})
  const remoteFolder = useScratch({per: 'test', folder: 'contract-remote-'})
  let localDb: Db
  let localDatabase: TestDatabase
  let server: TestServer
  let savedToday: string | undefined

  before(async () => {
    savedToday = process.env.STAYCTL_TODAY
    process.env.STAYCTL_TODAY = TODAY
    ;({db: localDb, database: localDatabase} = scratch)
    server = await startTestServer('contract_remote')
  })

  after(async () => {
    if (savedToday === undefined) delete process.env.STAYCTL_TODAY
    else process.env.STAYCTL_TODAY = savedToday
    await server?.stop()
  })

  /** The scenario, then one API token per actor (in the same order on both sides, so ids agree). */
  async function reset(db: Db): Promise<{ids: ScenarioIds; tokens: Record<Exclude<ActorName, 'anonymous'>, string>}> {
    await clearTables(db)
    const ctx = testContext(db)
    const ids = await loadScenario(ctx)
    const tokens = {} as Record<Exclude<ActorName, 'anonymous'>, string>
    for (const name of ['admin', 'guest', 'host'] as const) tokens[name] = (await createToken(ctx, {name: 'contract', user: ids.users[name]})).token
    return {ids, tokens}
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const as = c.as ?? 'admin'
      const [local, remote] = await Promise.all([reset(localDb), reset(server.db)])
      expect(remote.ids).to.deep.equal(local.ids)
      const localSetup = c.setup ? await c.setup(testContext(localDb), local.ids) : undefined
      const remoteSetup = c.setup ? await c.setup(testContext(server.db), remote.ids) : undefined

      // The local side runs each case as a command would: on a database opened for it, which in
      // the replica tier (STAYCTL_TEST_READ_REPLICA) reads the replica, as the remote side does.
      const runDb = readReplicaUrlFor(localDatabase) ? await openTestDb(localDatabase) : localDb
      const localBackendFor = localBackend({db: runDb, actor: actorOf(as, local.ids), via: 'cli', bcryptCost: 4})
      const token = as === 'anonymous' ? undefined : remote.tokens[as]
      const remoteBackendFor = remoteBackend(createClient({url: server.url, token, timeoutMs: 30_000}))

      const [localDir, remoteDir] = [localFolder.dir, remoteFolder.dir]
      const got = {
        local: await outcome(() => c.run(localBackendFor, {db: localDb, ids: local.ids, dir: localDir, setup: localSetup}), localDir).finally(() => runDb !== localDb && runDb.close()),
        remote: await outcome(() => c.run(remoteBackendFor, {db: server.db, ids: remote.ids, dir: remoteDir, setup: remoteSetup}), remoteDir),
      }
      if (c.expect === 'ok') expect(got.local, JSON.stringify(got.local)).to.have.property('ok')
      else expect((got.local as {error?: {kind: string}}).error?.kind, JSON.stringify(got.local)).to.equal(c.expect)
      if (c.sameKindOnly) {
        const pick = (o: typeof got.local) => ('error' in o ? {kind: o.error.kind, exitCode: o.error.exitCode} : o)
        expect(pick(got.remote)).to.deep.equal(pick(got.local))
      } else {
        expect(got.remote).to.deep.equal(got.local)
        // deep.equal ignores the order of keys; --json prints them in order.
        expect(JSON.stringify(got.remote), 'the same keys in the same order').to.equal(JSON.stringify(got.local))
      }
    })
  }
})
