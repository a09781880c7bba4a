/**
 * Acceptance 6: after `users erase`, no personal data of the user (username, email, first
 * and last name) is left in users, reviews or audit events (every text column, the changes
 * JSON included), the password hash is unusable, and the user's bookings and payments are
 * still there with the same sums.
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {cancelBooking, confirmBooking, createBooking} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {scrubText, tokenMatcher} from '../../src/services/erasure.js'
import {verifyPassword} from '../../src/services/passwords.js'
import {recordCharge, refundPayment} from '../../src/services/payments.js'
import {updateReview} from '../../src/services/reviews.js'
import {createUser, deleteUser, eraseUser, showUser, updateUser} from '../../src/services/users.js'
import {testDialect} from '../support/db.js'
import {day, fixtures, testContext} from '../support/fixtures.js'
import {countRows, dumpTables, useScenario} from '../support/integration.js'

const {users} = fixtures
const guest = users.guest

/** What must be gone, lower-cased: the data the user gave us. */
const PERSONAL = [guest.username, guest.email, guest.firstName, guest.lastName].map((v) => v.toLowerCase())

/** Rows of users, reviews, audit_events and payments that still mention any personal value (any case). */
async function leftovers(db: Db): Promise<{table: string; row: Record<string, unknown>; found: string}[]> {
  const dump = await dumpTables(db)
  const found = []
  for (const table of ['users', 'reviews', 'audit_events', 'payments']) {
    for (const row of dump[table]) {
      const text = JSON.stringify(row).toLowerCase()
      for (const value of PERSONAL) if (text.includes(value)) found.push({table, row, found: value})
    }
  }
  return found
}

/** The user's bookings and payments, as the books see them. */
async function books(db: Db, userId: number) {
  const [rows] = await db.sequelize.query(
    `SELECT b.id AS booking, b.total_price AS total, b.status AS status, p.id AS payment, p.kind AS kind, p.amount AS amount, p.status AS paymentStatus
       FROM bookings b LEFT JOIN payments p ON p.booking_id = b.id
      WHERE b.guest_id = ${userId} ORDER BY b.id, p.id`,
  )
  return (rows as {payment: number | null; total: unknown; amount: unknown}[]).map((row) => ({
    ...row,
    total: Number(row.total),
    amount: row.amount === null ? null : Number(row.amount),
  }))
}

describe('users erase (integration)', () => {
  const s = useScenario('erasure')
  let guestId: number

  beforeEach(async () => {
    guestId = s.ids.users.guest
    // Personal data spread the ways real use spreads it: an update, free text in a refund
    // reason (in other case), and actions the user took through the API under their name.
    await updateUser(s.ctx, guestId, {lastName: guest.lastName})
    await updateUser(s.ctx, guestId, {firstName: 'Gwen'})
    await updateUser(s.ctx, guestId, {firstName: guest.firstName})
    await refundPayment(s.ctx, s.ids.payments.pastStayPaid, {amount: '10.00', reason: `goodwill for ${guest.firstName.toUpperCase()}`})
    await refundPayment(s.ctx, s.ids.payments.charge100, {amount: '1.00', reason: `receipt sent to ${guest.email.toLowerCase()}`})
    const asGuest = testContext(s.db, {actor: {name: guest.username, userId: guestId, isAdmin: false}, via: 'graphql'})
    await cancelBooking(asGuest, s.ids.bookings.pendingFuture, {refund: 'none'})
    await s.db.models.ApiToken.create({userId: guestId, name: 'phone', tokenHash: 't'.repeat(64), expiresAt: null, lastUsedAt: null, revokedAt: null})
    expect(await leftovers(s.db)).not.to.deep.equal([])
  })

  it('leaves no username, email or name of the user in users, reviews or audit events', async () => {
    const result = await eraseUser(s.ctx, guest.email.toUpperCase())
    expect(result).to.include({id: guestId, username: `erased-${guestId}`, reviewsScrubbed: 1})
    expect(await leftovers(s.db)).to.deep.equal([])
    const erased = await showUser(s.ctx, guestId)
    expect(erased).to.include({username: `erased-${guestId}`, firstName: null, lastName: null, isActive: false, isAdmin: false})
    expect(erased.email).to.match(/@erased\.invalid$/)
    expect(await countRows(s.db, 'api_tokens')).to.equal(0)
  })

  it('keeps the review (rating) but not its text', async () => {
    await eraseUser(s.ctx, guestId)
    const review = await s.db.models.Review.findByPk(s.ids.reviews.loftByGuest)
    expect(review!.rating).to.equal(5)
    expect(review!.comment).to.equal(null)
  })

  it('keeps no text of the review in the audit trail either, old or new, once the guest changed it', async () => {
    const asGuest = testContext(s.db, {actor: {name: guest.username, userId: guestId, isAdmin: false}, via: 'graphql'})
    await updateReview(asGuest, s.ids.reviews.loftByGuest, {rating: 4, comment: 'Cold showers, sadly'})
    await eraseUser(s.ctx, guestId)
    const audit = JSON.stringify((await dumpTables(s.db)).audit_events).toLowerCase()
    for (const text of ['lovely loft', 'cold showers']) expect(audit).not.to.include(text)
  })

  it('re-attributes what the user did to the erased name', async () => {
    await eraseUser(s.ctx, guestId)
    const cancel = await s.db.models.AuditEvent.findOne({where: {action: 'booking.cancel', entityId: String(s.ids.bookings.pendingFuture)}})
    expect(cancel!.actor).to.equal(`erased-${guestId}`)
    expect(cancel!.via).to.equal('graphql')
  })

  it('makes the password hash unusable', async () => {
    const before = (await s.db.models.User.findByPk(guestId))!.passwordHash
    expect(await verifyPassword(guest.password, before)).to.equal(true)
    await eraseUser(s.ctx, guestId)
    const after = (await s.db.models.User.findByPk(guestId))!.passwordHash
    expect(after).not.to.match(/^\$2[aby]\$/)
    expect(await verifyPassword(guest.password, after)).to.equal(false)
  })

  it('keeps every booking and payment of the user, with the same sums', async () => {
    const before = await books(s.db, guestId)
    expect(before.filter((row) => row.payment !== null)).to.have.length(4)
    await eraseUser(s.ctx, guestId)
    expect(await books(s.db, guestId)).to.deep.equal(before)
  })

  it('leaves other users’ data alone', async () => {
    // The events that never named the user (by entity, actor or text) must stay as they were.
    const untouched = (await dumpTables(s.db)).audit_events.filter((row) => {
      const text = JSON.stringify(row).toLowerCase()
      return !(row.entity === 'user' && String(row.entity_id) === String(guestId)) && !PERSONAL.some((value) => text.includes(value))
    })
    expect(JSON.stringify(untouched)).to.include(users.otherGuest.username)
    await eraseUser(s.ctx, guestId)
    const ids = new Set(untouched.map((row) => row.id))
    expect((await dumpTables(s.db)).audit_events.filter((row) => ids.has(row.id))).to.deep.equal(untouched)
    expect((await showUser(s.ctx, s.ids.users.otherGuest)).username).to.equal(users.otherGuest.username)
  })

  it('is what `users delete --erase` does for a user who holds bookings', async () => {
    expect(await deleteUser(s.ctx, guestId, {erase: true})).to.deep.equal({id: guestId, deleted: false, erased: true})
    expect(await leftovers(s.db)).to.deep.equal([])
    expect(await countRows(s.db, 'audit_events', `action = 'user.erase' AND entity_id = '${guestId}'`)).to.equal(1)
  })
})

describe(`users erase touches exactly the user's data (issue 12, item 1; ${testDialect})`, () => {
  const s = useScenario('erasure_exact')
  const password = 'password-1234'
  const as = (name: string, userId: number): ServiceContext =>
    testContext(s.db, {actor: {name, userId, isAdmin: false}, via: 'graphql'})
  /** Audit events, by id. */
  const events = async () => new Map((await dumpTables(s.db)).audit_events.map((row) => [String(row.id), row]))

  it('erasing guest4 leaves the events of guest40…guest42 (and of xguest4, guest4x) as they were', async () => {
    const ids: Record<string, number> = {}
    for (const username of ['guest4', 'guest40', 'guest41', 'guest42', 'xguest4', 'guest4x']) {
      ids[username] = (await createUser(s.ctx, {username, email: `${username}@example.com`, password, firstName: 'Gus'})).id
    }
    const before = await events()
    const result = await eraseUser(s.ctx, 'guest4')
    const after = await events()
    const changed = [...before.keys()].filter((id) => JSON.stringify(before.get(id)) !== JSON.stringify(after.get(id)))
    // Only guest4's own creation event changed.
    expect(changed.map((id) => [after.get(id)!.action, String(after.get(id)!.entity_id)])).to.deep.equal([['user.create', String(ids.guest4)]])
    expect(result.auditEventsScrubbed).to.equal(1)
    for (const username of ['guest40', 'guest41', 'guest42', 'xguest4', 'guest4x']) {
      expect((await showUser(s.ctx, ids[username])).username).to.equal(username)
    }
    expect(JSON.stringify(after.get(changed[0])).toLowerCase()).not.to.include('guest4"')
  })

  it('finds the values a user had before renames: old usernames as actors, old emails and names in their records', async () => {
    const id = s.ids.users.guest
    const first = {username: 'gwen.first', email: 'gwen.first@example.com', firstName: 'Gwendolyn', lastName: 'Primus'}
    await updateUser(s.ctx, id, first)
    // As the first name: a cancellation through the API, and a refund reason that names them.
    await cancelBooking(as(first.username, id), s.ids.bookings.pendingFuture, {refund: 'none'})
    await refundPayment(s.ctx, s.ids.payments.charge100, {amount: '1.00', reason: `as asked by ${first.email}; ${first.firstName} ${first.lastName}`})
    await updateUser(s.ctx, id, {username: 'gwen.second', email: 'gwen.second@example.com', firstName: 'Gwen', lastName: 'Second'})
    await refundPayment(s.ctx, s.ids.payments.charge100, {amount: '1.00', reason: 'again for gwen.first'})

    await eraseUser(s.ctx, id)
    const dump = JSON.stringify(await dumpTables(s.db)).toLowerCase()
    for (const value of ['gwen.first', 'gwen.second', 'gwendolyn', 'primus', '"gwen ', 'quillfeather', 'guinevere']) {
      expect(dump, value).not.to.include(value)
    }
    const cancel = await s.db.models.AuditEvent.findOne({where: {action: 'booking.cancel', entityId: String(s.ids.bookings.pendingFuture)}})
    expect(cancel!.actor).to.equal(`erased-${id}`)
    const reasons = (await s.db.models.Payment.findAll({where: {refundOfId: s.ids.payments.charge100}, order: [['id', 'ASC']]})).map((p) => p.reason)
    expect(reasons).to.deep.equal(['as asked by [erased]; [erased] [erased]', 'again for [erased]'])
  })

  it('attributes to the user only what they did while a name was theirs (a name given up and taken by another)', async () => {
    const a = await createUser(s.ctx, {username: 'sam.one', email: 'sam.one@example.com', password})
    const asA = as('sam.one', a.id)
    const aBooking = await createBooking(asA, {property: fixtures.properties.flat.name, startDate: day(40), endDate: day(42)})
    await updateUser(s.ctx, a.id, {username: 'sam.two'})
    const b = await createUser(s.ctx, {username: 'sam.one', email: 'sam.b@example.com', password})
    const bBooking = await createBooking(as('sam.one', b.id), {property: fixtures.properties.flat.name, startDate: day(50), endDate: day(52)})

    await eraseUser(s.ctx, a.id)
    const created = async (bookingId: number) => (await s.db.models.AuditEvent.findOne({where: {action: 'booking.create', entityId: String(bookingId)}}))!
    expect((await created(aBooking.id)).actor).to.equal(`erased-${a.id}`)
    const bEvent = await created(bBooking.id)
    expect(bEvent.actor).to.equal('sam.one')
    const bCreate = await s.db.models.AuditEvent.findOne({where: {action: 'user.create', entityId: String(b.id)}})
    expect(JSON.stringify(bCreate!.changes)).to.include('sam.one').and.include('sam.b@example.com')
    expect((await showUser(s.ctx, b.id)).username).to.equal('sam.one')
  })

  it('erases names shorter than 3 characters, in the user’s records only', async () => {
    const id = s.ids.users.guest
    await updateUser(s.ctx, id, {firstName: 'Al', lastName: 'Li'})
    await refundPayment(s.ctx, s.ids.payments.charge100, {amount: '1.00', reason: "Al Li's refund (AL asked)"})
    // Someone else's payment that happens to say "Al": not the guest's data.
    const other = await createBooking(s.ctx, {property: fixtures.properties.flat.name, guest: fixtures.users.otherGuest.username, startDate: day(60), endDate: day(61)})
    await confirmBooking(s.ctx, other.id)
    const charge = await recordCharge(s.ctx, {bookingId: other.id, amount: '33.33', transactionId: 'txn_other'})
    await refundPayment(s.ctx, charge.id, {amount: '1.00', reason: 'Al from support approved'})
    const othersBefore = (await dumpTables(s.db)).audit_events.filter((row) => JSON.stringify(row).includes('Al from support'))
    expect(othersBefore).to.have.length(1)

    await eraseUser(s.ctx, id)
    const reasons = async (bookingId: number) =>
      (await s.db.models.Payment.findAll({where: {bookingId, kind: 'refund'}})).map((p) => p.reason)
    expect(await reasons(s.ids.bookings.confirmedFuture)).to.deep.equal(["[erased] [erased]'s refund ([erased] asked)"])
    expect(await reasons(other.id)).to.deep.equal(['Al from support approved'])
    const othersAfter = (await dumpTables(s.db)).audit_events.filter((row) => othersBefore.some((o) => o.id === row.id))
    expect(othersAfter).to.deep.equal(othersBefore)
    const update = await s.db.models.AuditEvent.findAll({where: {action: 'user.update', entityId: String(id)}})
    expect(JSON.stringify(update.map((e) => e.changes))).not.to.match(/"(Al|Li)"/)
  })

  it('matches whole tokens only (unit)', () => {
    const matcher = tokenMatcher(['guest4', 'guest4@example.com', 'Al'])
    const cases: [string, string][] = [
      ['thanks, guest4.', 'thanks, [erased].'],
      ['GUEST4 and guest40', '[erased] and guest40'],
      ['x.guest4 guest4x guest4_', 'x.guest4 guest4x guest4_'],
      ['mail guest4@example.com now', 'mail [erased] now'],
      ['guest4@example.org', 'guest4@example.org'],
      ['Al, al-b, Alan, (al)', '[erased], al-b, Alan, ([erased])'],
    ]
    for (const [text, expected] of cases) expect(scrubText(text, matcher), text).to.equal(expected)
  })
})
