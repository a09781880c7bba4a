/**
 * Changes to a booking once made: `bookings update` moves its stay (new check-in, check-out or
 * both) and sets its total, in one transaction that keeps every rule a new booking keeps:
 *   - the new stay is checked as createBooking checks one (dates.ts parseStay) and, under its
 *     property's calendar guard, overlaps no other live booking or block (rules/calendar.ts);
 *   - nights before today never change (rules/bookings.ts moveRefusal): a stay under way keeps
 *     its check-in but may end earlier or later; a stay that has ended keeps its dates;
 *   - the total is the one given, else, when the dates change, nights × the property's price
 *     now (as a new booking's); never below what is charged to it (rules/ledger.ts);
 *   - the free gaps of the old and the new nights are made right (rules/gaps.ts).
 * Who: the property's host and admins, as they confirm a booking (the nights are the host's
 * calendar); setting the total by hand is an admin's correction. A guest asks the host, or
 * cancels and books again. A cancelled booking is history and does not change. Status and
 * guest stay; the booker rules of a new booking (a listed property, an active guest) are not
 * asked again: the booking exists, and a host may move it also once the listing is unlisted.
 */
import type {Transaction} from 'sequelize'

import {rowOf} from '../db/select.js'
import {ConflictError, ForbiddenError, ValidationError} from '../errors.js'
import {testPause} from '../test-pause.js'
import {updateAudited} from './audit.js'
import {bookingRole, isAdmin, requireUser} from './authz.js'
import {bookingView, findBooking, type BookingView} from './bookings.js'
import type {ServiceContext} from './context.js'
import {parseStay, today} from './dates.js'
import {formatCents, parseAmount, toCents} from './money.js'
import {moveRefusal, stayTotal} from './rules/bookings.js'
import {loadCalendars, requireFree} from './rules/calendar.js'
import {refreshGaps} from './rules/gaps.js'
import {loadLedger, totalRefusal} from './rules/ledger.js'
import {GuardMoved, inTransaction, lockRow} from './transaction.js'

export interface UpdateBookingInput {
  /** New check-in day (YYYY-MM-DD); the booking's when left out. */
  startDate?: string
  /** New check-out day (exclusive); the booking's when left out. */
  endDate?: string
  /** Admins: the new total. Left out, a move prices the new nights at the property's price now. */
  totalPrice?: string | number
}

/**
 * Moves a booking's stay and/or sets its total (ref: id or external reference): its property's
 * host or an admin (the total: admins). Nothing given, or nothing different, writes nothing.
 */
export async function updateBooking(ctx: ServiceContext, ref: string | number, input: UpdateBookingInput): Promise<BookingView> {
  requireUser(ctx, 'change bookings')
  const givenTotal = input.totalPrice === undefined || input.totalPrice === null ? undefined : parseAmount(input.totalPrice, 'totalPrice')
  if (givenTotal !== undefined && !isAdmin(ctx)) {
    throw new ForbiddenError("only admins may set a booking's total", {suggestion: "leave the total out: a move prices the new nights at the property's price"})
  }
  return inTransaction(ctx, async (transaction) => {
    const found = await findBooking(ctx, ref, transaction)
    const {startDate, endDate, nights} = parseStay(input.startDate ?? found.startDate, input.endDate ?? found.endDate)
    const moved = startDate !== found.startDate || endDate !== found.endDate
    const propertyId = Number(found.propertyId)
    // The calendar's guard before the booking's lock (the order of every writer of stays), when its nights change.
    const loaded = moved ? await loadCalendars(ctx, transaction, [{propertyId, start: startDate, end: endDate}]) : undefined
    const booking = (await lockRow(ctx.db.models.Booking, found.id, transaction))!
    // Moved by another writer between the first read and the guard: its new dates are the ones to start from (a retry).
    if (booking.startDate !== found.startDate || booking.endDate !== found.endDate) throw new GuardMoved()
    const role = await bookingRole(ctx, booking, transaction)
    if (!role.host && !role.admin) {
      throw new ForbiddenError(`only the host of booking ${booking.id}'s property or an admin may change it`, {
        suggestion: 'ask the host to move the stay, or cancel it and book the new dates',
      })
    }
    if (booking.status === 'cancelled') {
      throw new ConflictError(`booking ${booking.id} is cancelled; a cancelled booking cannot be changed`, {suggestion: 'book the new dates instead'})
    }
    const refused = moveRefusal(booking.id, booking, {startDate, endDate}, today())
    if (refused) {
      const Refusal = refused.invalid ? ValidationError : ConflictError
      throw new Refusal(refused.reason, {details: {field: refused.field}})
    }
    if (loaded) requireFree(loaded, propertyId, startDate, endDate, {id: booking.id, kind: 'booking'})
    const total = givenTotal ?? (moved ? await priceOf(ctx, transaction, propertyId, nights) : toCents(booking.totalPrice))
    if (total !== toCents(booking.totalPrice)) await requireChargedWithin(ctx, transaction, booking.id, total)
    await testPause('booking.update.checked')
    const before = bookingView(rowOf(booking))
    const changes = {startDate, endDate, totalPrice: formatCents(total)}
    await updateAudited(ctx, transaction, booking, changes, {action: 'booking.update', entity: 'booking', before})
    if (moved) {
      await refreshGaps(ctx, transaction, [
        {propertyId, start: before.startDate, end: before.endDate},
        {propertyId, start: startDate, end: endDate},
      ])
    }
    return bookingView(rowOf(booking))
  })
}

/** The total of `nights` at the property's price now (rules/bookings.ts stayTotal), as a new booking is priced. */
async function priceOf(ctx: ServiceContext, transaction: Transaction, propertyId: number, nights: number): Promise<number> {
  const property = (await ctx.db.models.Property.findByPk(propertyId, {attributes: ['pricePerNight'], transaction}))!
  return stayTotal(nights, property.pricePerNight)
}

/**
 * Refuses a total of `cents` for booking `id` below what is charged to it (the ledger's rule, as
 * `import bookings --upsert` keeps it). A charge that races this write meets the CHECK that caps
 * what is charged by the total, and is retried (transaction.ts).
 */
async function requireChargedWithin(ctx: ServiceContext, transaction: Transaction, id: number, cents: number): Promise<void> {
  const ledger = await loadLedger(ctx, transaction, {bookings: [id]})
  const lowered = totalRefusal(ledger.booking(id)!, cents)
  if (lowered) throw new ConflictError(lowered, {suggestion: 'refund the difference first, or give a larger total', details: {field: 'totalPrice'}})
}
