/**
 * Bookings: create (no overlap with another live booking or a block of the property: the calendar rule
 * and its guard are rules/calendar.ts, shared with `import bookings`), list, show, confirm and
 * cancel (with a refund
 * by the property's cancellation policy, in full, or none). Legal state changes only:
 * pending → confirmed, pending/confirmed → cancelled, and never once the stay has begun.
 * Guests book for themselves and see and cancel their own bookings (policy refund); hosts see,
 * confirm and cancel the bookings on their properties (full refund); admins do anything.
 */
import type {Transaction} from 'sequelize'

import type {Booking} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import {REFUND_MODES, type BookingStatus, type RefundMode} from '../domain.js'
import {ConflictError, ForbiddenError, NotFoundError, ValidationError} from '../errors.js'
import {audit, createAudited} from './audit.js'
import {actingFor, bookingRole, isAdmin, listScopeSql, requireActingAsSelf, requireUser, requireVisible, type BookingRole} from './authz.js'
import type {ServiceContext} from './context.js'
import {daysBetween, parseStay, today} from './dates.js'
import {formatCents, toCents} from './money.js'
import {listPage, overlapping, type ListRule, type OverlapFilter, type Page, type PageInput} from './pagination.js'
import {refundInTransaction, paymentView, type PaymentView} from './payments.js'
import {policyRefundCents, refundPercent} from './policies.js'
import {findProperty, ofProperty} from './properties.js'
import {checkBookingStatus, checkExternalRef, guestRefusal, hasBegun, listingRefusal, pastRefusal, stayTotal} from './rules/bookings.js'
import {guardCalendars, loadCalendars, requireFree} from './rules/calendar.js'
import {refreshGaps} from './rules/gaps.js'
import {findByRef} from './find.js'
import {resolveBookings} from './refs/bookings.js'
import {conflictIfTaken, inTransaction, inTransactionOrRehearsal, lockRow} from './transaction.js'
import {testPause} from '../test-pause.js'
import {findUser} from './users.js'

export interface BookingView {
  id: number
  propertyId: number
  guestId: number
  startDate: string
  endDate: string
  nights: number
  status: BookingStatus
  totalPrice: string
  externalRef: string | null
  createdAt: string
  updatedAt: string
}

export function bookingView(booking: RowOf<Booking>): BookingView {
  return {
    id: booking.id,
    propertyId: Number(booking.propertyId),
    guestId: Number(booking.guestId),
    startDate: booking.startDate,
    endDate: booking.endDate,
    nights: daysBetween(booking.startDate, booking.endDate),
    status: booking.status,
    totalPrice: formatCents(toCents(booking.totalPrice)),
    externalRef: booking.externalRef,
    createdAt: booking.createdAt,
    updatedAt: booking.updatedAt,
  }
}

/** A booking by id or external reference (exactly: refs/resolver.ts). */
export async function findBooking(ctx: ServiceContext, ref: string | number, transaction?: Transaction): Promise<Booking> {
  return findByRef(ctx, resolveBookings, ctx.db.models.Booking, ref, 'booking', 'bookings', transaction)
}

export interface CreateBookingInput {
  property: string | number
  /** id, username or email; the caller when absent. Only admins book for someone else. */
  guest?: string | number
  startDate: string
  endDate: string
  externalRef?: string
  /** Admin back-filling: allow a stay that starts before today. */
  allowPast?: boolean
}

export async function createBooking(ctx: ServiceContext, input: CreateBookingInput): Promise<BookingView> {
  const guestRef = actingFor(ctx, input.guest, 'guest', 'book a stay')
  if (input.allowPast && !isAdmin(ctx)) throw new ForbiddenError('only admins may back-fill stays in the past')
  const {startDate, endDate, nights} = parseStay(input.startDate, input.endDate)
  const past = pastRefusal(startDate, today(), {allowPast: input.allowPast})
  if (past) throw new ValidationError(past, {details: {field: 'startDate'}})
  const externalRef = checkExternalRef(input.externalRef)
  const propertyId = (await findProperty(ctx, input.property)).id
  return inTransaction(ctx, async (transaction) => {
    // The guard first: every booker of this property writes its row, so check-then-insert holds on a cluster too.
    const loaded = await loadCalendars(ctx, transaction, [{propertyId, start: startDate, end: endDate}])
    const property = await ctx.db.models.Property.findByPk(propertyId, {transaction})
    if (!property) throw new NotFoundError(`no property ${propertyId}`)
    const facts = {id: property.id, ownerId: Number(property.ownerId), isListed: Boolean(property.isListed)}
    const unlisted = listingRefusal(facts)
    if (unlisted) throw new ConflictError(unlisted.reason)
    const guest = await findUser(ctx, guestRef, transaction)
    requireActingAsSelf(ctx, guest.id, 'book a stay')
    const refused = guestRefusal(facts, guest)
    if (refused) throw new ConflictError(refused.reason)
    requireFree(loaded, property.id, startDate, endDate)
    await testPause('booking.checked')
    const totalPrice = formatCents(stayTotal(nights, property.pricePerNight))
    const booking = await createAudited(
      ctx,
      transaction,
      ctx.db.models.Booking,
      {propertyId: property.id, guestId: guest.id, startDate, endDate, status: 'pending', totalPrice, externalRef},
      {
        action: 'booking.create',
        entity: 'booking',
        changes: {propertyId: property.id, guestId: guest.id, startDate, endDate, totalPrice},
        ifTaken: conflictIfTaken(`external reference "${externalRef}" is already used`),
      },
    )
    await refreshGaps(ctx, transaction, [{propertyId: property.id, start: startDate, end: endDate}])
    return bookingView(rowOf(booking))
  })
}

/** Bookings of a property, of a guest, in a status, and whose stay overlaps [from, to). */
export interface ListBookingsInput extends PageInput, OverlapFilter {
  property?: string | number
  guest?: string | number
  status?: BookingStatus
}

/** What `bookings list` shows (authz.ts: none to anonymous callers) and sorts by. */
export const bookingList: ListRule = {scope: (ctx) => listScopeSql(ctx, 'Booking', 'list bookings'), sortable: ['startDate', 'createdAt']}

/** Bookings, filtered: a user sees only their own stays and the bookings on their properties. */
export async function listBookings(ctx: ServiceContext, input: ListBookingsInput = {}): Promise<Page<BookingView>> {
  return listPage(ctx, bookingList, {model: ctx.db.models.Booking, view: bookingView, input}, async () => [
    await ofProperty(ctx, input.property),
    input.guest !== undefined && {guestId: (await findUser(ctx, input.guest)).id},
    input.status && {status: checkBookingStatus(input.status)},
    overlapping(input),
  ])
}

export interface BookingDetails extends BookingView {
  /** The property's name and the guest's username, for people reading it (ids are in the view). */
  property: {name: string}
  guest: {username: string}
  payments: PaymentView[]
  paid: string
  refunded: string
}

/** Refuses all who may not see the booking (its guest, its property's host, admins: authz.ts visibleRowsSql). */
function requireParty(ctx: ServiceContext, booking: Booking, action: string, transaction?: Transaction): Promise<void> {
  const refusal = () => new ForbiddenError(`booking ${booking.id} is neither yours nor on a property of yours, so you may not ${action} it`)
  return requireVisible(ctx, 'Booking', booking.id, refusal, transaction)
}

/** A booking with its payments: for its guest, its host and admins. */
export async function showBooking(ctx: ServiceContext, ref: string | number): Promise<BookingDetails> {
  requireUser(ctx, 'see bookings')
  const booking = await findBooking(ctx, ref)
  await requireParty(ctx, booking, 'see')
  const {Payment, Property, User} = ctx.db.models
  const [payments, property, guest] = await Promise.all([
    Payment.findAll({where: {bookingId: booking.id}, order: [['id', 'ASC']]}),
    Property.findByPk(booking.propertyId, {attributes: ['name'], raw: true}),
    User.findByPk(booking.guestId, {attributes: ['username'], raw: true}),
  ])
  const sum = (kind: string) =>
    payments.filter((p) => p.kind === kind && p.status !== 'failed' && p.status !== 'pending').reduce((s, p) => s + toCents(p.amount), 0)
  return {
    ...bookingView(rowOf(booking)),
    property: {name: property!.name},
    guest: {username: guest!.username},
    payments: payments.map((payment) => paymentView(rowOf(payment))),
    paid: formatCents(sum('charge')),
    refunded: formatCents(sum('refund')),
  }
}

/** Confirms a pending booking: the host of the property or an admin. */
export async function confirmBooking(ctx: ServiceContext, ref: string | number): Promise<BookingView> {
  requireUser(ctx, 'confirm bookings')
  return inTransaction(ctx, async (transaction) => {
    const id = (await findBooking(ctx, ref, transaction)).id
    const booking = (await lockRow(ctx.db.models.Booking, id, transaction))!
    const role = await bookingRole(ctx, booking, transaction)
    if (!role.host && !role.admin) throw new ForbiddenError(`only the host of booking ${booking.id}'s property or an admin may confirm it`)
    if (booking.status !== 'pending') {
      throw new ConflictError(`booking ${booking.id} is ${booking.status}; only pending bookings can be confirmed`)
    }
    // Pending and confirmed stays both hold their nights (rules/calendar.ts isLiveBooking): the calendar's gaps stay as they are.
    await booking.update({status: 'confirmed'}, {transaction})
    await audit(ctx, transaction, {
      action: 'booking.confirm',
      entity: 'booking',
      entityId: booking.id,
      changes: {status: {from: 'pending', to: 'confirmed'}},
    })
    return bookingView(rowOf(booking))
  })
}

export interface CancelBookingResult {
  booking: BookingView
  refundMode: RefundMode
  /** Days between today and check-in when cancelled, and the percentage the policy gave. */
  daysBeforeCheckIn: number
  policyPercent: number | null
  refunds: PaymentView[]
  refunded: string
}

/**
 * The refund a cancellation gives, by who cancels: a guest gets what the policy gives, never
 * more (they may waive it: none); a host who cancels refunds in full; admins choose (default
 * policy).
 */
function refundModeFor(role: BookingRole, requested: RefundMode | undefined): RefundMode {
  if (role.admin) return requested ?? 'policy'
  if (role.host && !role.guest) {
    if (requested !== undefined && requested !== 'full') throw new ForbiddenError('a host who cancels refunds the guest in full (refund: full)')
    return 'full'
  }
  if (requested === 'full') {
    throw new ForbiddenError("a guest who cancels gets the refund of the property's cancellation policy, not a full one", {
      suggestion: 'cancel with refund policy, or ask support',
    })
  }
  return requested ?? 'policy'
}

/**
 * Cancels a pending or confirmed booking whose stay has not begun, refunding its completed
 * charges: by the property's cancellation policy, in full, or not at all (see refundModeFor
 * for who may choose what). Status change and refunds commit together or not at all.
 */
export async function cancelBooking(
  ctx: ServiceContext,
  ref: string | number,
  options: {refund?: RefundMode; reason?: string; dryRun?: boolean} = {},
): Promise<CancelBookingResult> {
  requireUser(ctx, 'cancel bookings')
  if (options.refund !== undefined && !REFUND_MODES.includes(options.refund)) {
    throw new ValidationError(`refund must be policy, full or none; got "${options.refund}"`, {details: {field: 'refund'}})
  }
  return inTransactionOrRehearsal(ctx, options.dryRun, async (transaction) => {
    const found = await findBooking(ctx, ref, transaction)
    // The calendar's guard before the booking's lock (the order of every writer of stays): its nights are freed below.
    await guardCalendars(ctx, transaction, [Number(found.propertyId)])
    const id = found.id
    const booking = (await lockRow(ctx.db.models.Booking, id, transaction))!
    await requireParty(ctx, booking, 'cancel', transaction)
    const mode = refundModeFor(await bookingRole(ctx, booking, transaction), options.refund)
    if (booking.status === 'cancelled') throw new ConflictError(`booking ${booking.id} is already cancelled`)
    const daysBefore = daysBetween(today(), booking.startDate)
    if (hasBegun(booking.startDate, today())) {
      throw new ConflictError(`booking ${booking.id} began on ${booking.startDate}; a stay that has begun cannot be cancelled`)
    }
    const property = (await ctx.db.models.Property.findByPk(booking.propertyId, {transaction}))!
    const charges = await ctx.db.models.Payment.findAll({
      where: {bookingId: booking.id, kind: 'charge', status: 'completed'},
      order: [['id', 'ASC']],
      transaction,
    })
    // What the guest has paid and not yet had back, charge by charge.
    const refundable: {id: number; cents: number}[] = []
    for (const charge of charges) {
      const refunded = (
        await ctx.db.models.Payment.findAll({attributes: ['amount'], where: {refundOfId: charge.id, status: 'completed'}, transaction})
      ).reduce((s, r) => s + toCents(r.amount), 0)
      refundable.push({id: charge.id, cents: toCents(charge.amount) - refunded})
    }
    const paid = refundable.reduce((s, c) => s + c.cents, 0)
    let due = mode === 'full' ? paid : mode === 'policy' ? policyRefundCents(property.cancellationPolicy, daysBefore, paid) : 0
    const refunds: PaymentView[] = []
    for (const charge of refundable) {
      if (due <= 0) break
      const cents = Math.min(due, charge.cents)
      if (cents <= 0) continue
      const result = await refundInTransaction(ctx, transaction, charge.id, cents, {
        reason: options.reason ?? `booking ${booking.id} cancelled (${mode === 'policy' ? `${property.cancellationPolicy} policy` : mode} refund)`,
      })
      refunds.push(result.refund)
      due -= cents
    }
    const previousStatus = booking.status
    await booking.update({status: 'cancelled'}, {transaction})
    await refreshGaps(ctx, transaction, [{propertyId: Number(booking.propertyId), start: booking.startDate, end: booking.endDate}])
    const refundedCents = refunds.reduce((s, r) => s + toCents(r.amount), 0)
    await audit(ctx, transaction, {
      action: 'booking.cancel',
      entity: 'booking',
      entityId: booking.id,
      changes: {status: {from: previousStatus, to: 'cancelled'}, refund: mode, refunded: formatCents(refundedCents)},
    })
    return {
      booking: bookingView(rowOf(booking)),
      refundMode: mode,
      daysBeforeCheckIn: daysBefore,
      policyPercent: mode === 'policy' ? refundPercent(property.cancellationPolicy, daysBefore) : null,
      refunds,
      refunded: formatCents(refundedCents),
    }
  })
}
