/**
 * Acceptance 6: after `users erase`, no personal data of the user (username, email, first
 * and last name) is left in users, reviews or audit events (every text column, the changes
 * JSON included), the password hash is unusable, and the user's bookings and payments are
 * still there with the same sums.
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {cancelBooking} from '../../src/services/bookings.js'
import {verifyPassword} from '../../src/services/passwords.js'
import {refundPayment} from '../../src/services/payments.js'
import {deleteUser, eraseUser, showUser, updateUser} from '../../src/services/users.js'
import {fixtures, testContext} from '../support/fixtures.js'
import {countRows, dumpTables, useScenario} from '../support/integration.js'

const {users} = fixtures
const guest = users.guest

/** What must be gone, lower-cased: the data the user gave us. */
const PERSONAL = [guest.username, guest.email, guest.firstName, guest.lastName].map((v) => v.toLowerCase())

/** Rows of users, reviews and audit_events that still mention any personal value (any case). */
async function leftovers(db: Db): Promise<{table: string; row: Record<string, unknown>; found: string}[]> {
  const dump = await dumpTables(db)
  const found = []
  for (const table of ['users', 'reviews', 'audit_events']) {
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
