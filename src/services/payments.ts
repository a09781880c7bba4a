/**
 * Payments: charges recorded against bookings, and refunds of them. A refund is a payment of
 * kind 'refund' pointing at its charge. The sum of a charge's refunds never exceeds it, nor
 * the sum of a booking's charges its total, even when refunds and charges run in parallel on
 * several servers and database nodes: the rules and their guard are the ledger's
 * (rules/ledger.ts), shared with `import payments`. An idempotency key (a unique key) replays
 * the first refund made with it instead of refunding twice.
 *
 * Who: admins record charges (they come from the payment processor). Guests and hosts see the
 * payments of their bookings. Refunds are money out, so only an admin (support) or the host of
 * the booking's property (a goodwill refund) may make one; a guest gets money back by
 * cancelling (the policy refund, see bookings.ts) or through support.
 */
import {randomUUID} from 'node:crypto'

import {UniqueConstraintError, type Transaction} from 'sequelize'

import type {Payment} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import type {PaymentKind, PaymentStatus} from '../domain.js'
import {ConflictError, ForbiddenError, NotFoundError, ValidationError} from '../errors.js'
import {createAudited} from './audit.js'
import {bookingRole, isAdmin, listScopeSql, requireAdmin, requireUser, requireVisible, type BookingRole} from './authz.js'
import type {ServiceContext} from './context.js'
import {parseInstant} from './dates.js'
import {formatCents, parseAmount, toCents} from './money.js'
import {listPage, type ListRule, type Page, type PageInput} from './pagination.js'
import {loadLedger, remainingOf, type Ledger} from './rules/ledger.js'
import {findByRef, notFound} from './find.js'
import {resolveBookings} from './refs/bookings.js'
import {resolvePayments} from './refs/payments.js'
import {resolveOne} from './refs/resolver.js'
import {optionalText} from './text.js'
import {conflictIfTaken, inTransaction, inTransactionOrRehearsal} from './transaction.js'
import {testPause} from '../test-pause.js'

export interface PaymentView {
  id: number
  bookingId: number
  kind: PaymentKind
  amount: string
  status: PaymentStatus
  transactionId: string
  paymentDate: string
  refundOfId: number | null
  reason: string | null
  idempotencyKey: string | null
  createdAt: string
}

export function paymentView(payment: RowOf<Payment>): PaymentView {
  return {
    id: payment.id,
    bookingId: Number(payment.bookingId),
    kind: payment.kind,
    amount: formatCents(toCents(payment.amount)),
    status: payment.status,
    transactionId: payment.transactionId,
    paymentDate: payment.paymentDate,
    refundOfId: payment.refundOfId === null || payment.refundOfId === undefined ? null : Number(payment.refundOfId),
    reason: payment.reason,
    idempotencyKey: payment.idempotencyKey,
    createdAt: payment.createdAt,
  }
}

/** A payment by id or transaction id (exactly: refs/resolver.ts). */
export async function findPayment(ctx: ServiceContext, ref: string | number, transaction?: Transaction): Promise<Payment> {
  return findByRef(ctx, resolvePayments, ctx.db.models.Payment, ref, 'payment', 'payments', transaction)
}

/** A payment's amount in cents: positive, at most two decimals. */
export function checkPaymentAmount(value: string | number): number {
  const cents = parseAmount(value, 'amount')
  if (cents <= 0) throw new ValidationError('amount must be above 0', {details: {field: 'amount'}})
  return cents
}

export function checkTransactionId(value: string | null | undefined): string {
  const transactionId = value?.trim()
  if (!transactionId || transactionId.length > 100) {
    throw new ValidationError('transaction id is required (at most 100 characters)', {details: {field: 'transactionId'}})
  }
  return transactionId
}

/** The status a new charge may be recorded with. */
export function checkChargeStatus(value: string): 'pending' | 'completed' | 'failed' {
  if (!['pending', 'completed', 'failed'].includes(value)) {
    throw new ValidationError(`status must be pending, completed or failed; got "${value}"`, {details: {field: 'status'}})
  }
  return value as 'pending' | 'completed' | 'failed'
}

/** When a payment was made: ISO 8601 only (see parseInstant); now when not given. */
export function checkPaymentDate(value: string | undefined): Date {
  return value ? parseInstant(value, 'paymentDate') : new Date()
}

export function checkReason(value: string | null | undefined): string | null {
  return optionalText(value, 500, 'reason', 'reason')
}

export function checkIdempotencyKey(value: string | null | undefined): string | undefined {
  return optionalText(value, 100, 'idempotency key', 'idempotencyKey') ?? undefined
}

export interface RecordChargeInput {
  /** The booking: its id or external reference (as `bookings confirm` takes it). */
  booking?: string | number
  /** The booking by id: `booking` as callers from before it give it (GraphQL: bookingId). Give one of the two. */
  bookingId?: number
  amount: string
  transactionId: string
  /** Default: completed. */
  status?: 'pending' | 'completed' | 'failed'
  paymentDate?: string
}

/** The booking a charge (or a list of payments) names: `booking` or `bookingId`, one of them. */
function chargedBooking(input: Pick<RecordChargeInput, 'booking' | 'bookingId'>): string | number {
  const ref = input.booking ?? input.bookingId
  if (ref === undefined || (input.booking !== undefined && input.bookingId !== undefined)) {
    throw new ValidationError('give the booking (its id or external reference) once: booking or bookingId', {details: {field: 'booking'}})
  }
  return ref
}

/** Records a charge for a booking. Charges never exceed the booking's total price. */
export async function recordCharge(ctx: ServiceContext, input: RecordChargeInput): Promise<PaymentView> {
  requireAdmin(ctx, 'record charges')
  const bookingRef = chargedBooking(input)
  const cents = checkPaymentAmount(input.amount)
  const transactionId = checkTransactionId(input.transactionId)
  const status = checkChargeStatus(input.status ?? 'completed')
  const paymentDate = checkPaymentDate(input.paymentDate)
  return inTransaction(ctx, async (transaction) => {
    const {Payment} = ctx.db.models
    const named = await resolveOne(resolveBookings, ctx, transaction, bookingRef)
    const ledger = await loadLedger(ctx, transaction, {bookings: named ? [named.id] : []})
    const booking = named && ledger.booking(named.id)
    if (!booking) throw notFound(bookingRef, 'booking', 'bookings')
    const closed = ledger.closed(booking)
    if (closed) throw new ConflictError(closed.reason)
    const existing = await Payment.findOne({where: {transactionId}, transaction})
    if (existing) {
      throw new ConflictError(`transaction id "${transactionId}" is already recorded as payment ${existing.id}`, {
        details: {field: 'transactionId', paymentId: existing.id},
      })
    }
    const refusal = ledger.recordCharge(booking, cents, status)
    if (refusal) throw new ConflictError(refusal.reason, {details: {field: refusal.field, ...refusal.details}})
    await testPause('charge.checked')
    await ledger.save(ctx, transaction)
    const amount = formatCents(cents)
    const payment = await createAudited(
      ctx,
      transaction,
      Payment,
      {bookingId: booking.id, amount, paymentDate, status, transactionId, kind: 'charge', refundOfId: null, reason: null, idempotencyKey: null},
      {
        action: 'payment.record',
        entity: 'payment',
        changes: {bookingId: booking.id, amount, status, transactionId},
        ifTaken: conflictIfTaken(`transaction id "${transactionId}" is already recorded`),
      },
    )
    return paymentView(rowOf(payment))
  })
}

export interface RefundInput {
  /** Decimal string; the whole refundable remainder when absent. */
  amount?: string
  reason?: string
  idempotencyKey?: string
  /** Check and compute the refund, write nothing: what a confirmation shows. */
  dryRun?: boolean
}

export interface RefundResult {
  refund: PaymentView
  charge: PaymentView
  /** What can still be refunded of the charge. */
  remaining: string
  /** True when an earlier refund with the same idempotency key was returned. */
  replayed: boolean
}

/**
 * The refund an idempotency key already made, if any. As with Stripe, a key belongs to one
 * request: reusing it for another charge or another amount is a conflict, not a replay.
 */
async function replay(
  ctx: ServiceContext,
  chargeId: number,
  key: string,
  cents: number | undefined,
  transaction?: Transaction,
): Promise<RefundResult | undefined> {
  const {Payment} = ctx.db.models
  const earlier = await Payment.findOne({where: {idempotencyKey: key}, transaction})
  if (!earlier) return undefined
  if (earlier.kind !== 'refund' || Number(earlier.refundOfId) !== chargeId) {
    // Only admins learn which payment: to a host it may be someone else's.
    const which = isAdmin(ctx) ? `payment ${earlier.id}` : 'another payment'
    throw new ConflictError(`idempotency key "${key}" was already used for ${which}, not a refund of payment ${chargeId}`, {
      suggestion: 'use a new key for a different refund',
      details: {field: 'idempotencyKey'},
    })
  }
  if (cents !== undefined && cents !== toCents(earlier.amount)) {
    throw new ConflictError(
      `idempotency key "${key}" was already used for a refund of ${formatCents(toCents(earlier.amount))} (payment ${earlier.id}), not ${formatCents(cents)}`,
      {suggestion: 'use a new key for a different refund', details: {field: 'idempotencyKey', refundId: earlier.id}},
    )
  }
  const charge = (await Payment.findByPk(chargeId, {transaction}))!
  const [, refunded] = await chargeTotals(ctx, charge, transaction)
  return {refund: paymentView(rowOf(earlier)), charge: paymentView(rowOf(charge)), remaining: formatCents(toCents(charge.amount) - refunded), replayed: true}
}

/** What a charge's refunds hold (the ledger's total on its row). */
async function chargeTotals(ctx: ServiceContext, charge: Payment, transaction?: Transaction): Promise<[Ledger, number]> {
  const ledger = await loadLedger(ctx, transaction, {charges: [charge.id]})
  return [ledger, ledger.charge(charge.id)!.refunded]
}

/**
 * Refunds `cents` of a charge (all that remains when undefined) inside the caller's
 * transaction, by the ledger's rules and guard (rules/ledger.ts): of refunds running at once,
 * on any server and database node, each either sees the ones committed before it or is
 * retried until it does.
 */
export async function refundInTransaction(
  ctx: ServiceContext,
  transaction: Transaction,
  chargeId: number,
  cents: number | undefined,
  options: {reason?: string; idempotencyKey?: string} = {},
): Promise<RefundResult> {
  const {Payment} = ctx.db.models
  const charge = await Payment.findByPk(chargeId, {transaction})
  if (!charge) throw new NotFoundError(`no payment ${chargeId}`)
  if (options.idempotencyKey) {
    const replayed = await replay(ctx, chargeId, options.idempotencyKey, cents, transaction)
    if (replayed) return replayed
  }
  if (charge.kind !== 'charge') {
    throw new ConflictError(`payment ${charge.id} is a refund; only charges can be refunded`, {
      suggestion: charge.refundOfId ? `refund its charge, payment ${charge.refundOfId}` : undefined,
    })
  }
  const [ledger] = await chargeTotals(ctx, charge, transaction)
  const entry = ledger.charge(charge.id)!
  const remaining = remainingOf(entry)
  const amount = cents ?? remaining
  const refusal = ledger.refund(entry, amount, `payment ${charge.id}`)
  if (refusal?.invalid) throw new ValidationError(refusal.reason, {details: {field: refusal.field}})
  if (refusal) throw new ConflictError(refusal.reason, {details: {field: refusal.field, ...refusal.details}})
  const reason = checkReason(options.reason)
  await testPause('refund.checked')
  await ledger.save(ctx, transaction)
  const refund = await createAudited(
    ctx,
    transaction,
    Payment,
    {
      bookingId: charge.bookingId,
      amount: formatCents(amount),
      paymentDate: new Date(),
      status: 'completed',
      transactionId: `re_${randomUUID()}`,
      kind: 'refund',
      refundOfId: charge.id,
      reason,
      idempotencyKey: options.idempotencyKey ?? null,
    },
    {action: 'payment.refund', entity: 'payment', changes: {chargeId: charge.id, amount: formatCents(amount), reason, remaining: formatCents(remaining - amount)}},
  )
  // The ledger wrote the charge's new status (refunded, once nothing remains): shown as it now is.
  if (entry.status !== charge.status) charge.set({status: entry.status, updatedAt: ledger.savedAt ?? charge.updatedAt})
  return {refund: paymentView(rowOf(refund)), charge: paymentView(rowOf(charge)), remaining: formatCents(remaining - amount), replayed: false}
}

/** How the actor stands to a payment's booking. */
async function paymentRole(ctx: ServiceContext, payment: Payment, transaction?: Transaction): Promise<BookingRole> {
  const booking = await ctx.db.models.Booking.findByPk(payment.bookingId, {attributes: ['id', 'guestId', 'propertyId'], transaction})
  if (!booking) return {guest: false, host: false, admin: false}
  return bookingRole(ctx, booking, transaction)
}

/** Refunds a completed charge, fully or in part (admins and the property's host); see refundInTransaction. */
export async function refundPayment(ctx: ServiceContext, ref: string | number, input: RefundInput = {}): Promise<RefundResult> {
  requireUser(ctx, 'refund payments')
  const cents = input.amount === undefined ? undefined : parseAmount(input.amount, 'amount')
  const key = checkIdempotencyKey(input.idempotencyKey)
  const payment = await findPayment(ctx, ref)
  const role = await paymentRole(ctx, payment)
  if (!role.admin && !role.host) {
    throw new ForbiddenError(`only an admin or the host of the booking's property may refund payment ${payment.id}`, {
      suggestion: role.guest ? 'cancel the booking for the refund its cancellation policy gives, or ask support' : undefined,
    })
  }
  const chargeId = payment.id
  try {
    return await inTransactionOrRehearsal(ctx, input.dryRun, (transaction) =>
      refundInTransaction(ctx, transaction, chargeId, cents, {reason: input.reason, idempotencyKey: key}),
    )
  } catch (error) {
    // Two runs with one key at once: the loser hits the unique key; answer as a replay.
    if (key && !input.dryRun && error instanceof UniqueConstraintError) {
      const replayed = await replay(ctx, chargeId, key, cents)
      if (replayed) return replayed
    }
    throw error
  }
}

export interface PaymentDetails extends PaymentView {
  refunds: PaymentView[]
  /** Charges: what can still be refunded. */
  refundable: string | null
}

/** A payment with its refunds: for the booking's guest and host, and admins. */
export async function showPayment(ctx: ServiceContext, ref: string | number): Promise<PaymentDetails> {
  requireUser(ctx, 'see payments')
  const payment = await findPayment(ctx, ref)
  await requireVisible(ctx, 'Payment', payment.id, () => new ForbiddenError(`payment ${payment.id} is not of a booking of yours`))
  if (payment.kind !== 'charge') return {...paymentView(rowOf(payment)), refunds: [], refundable: null}
  const refunds = await ctx.db.models.Payment.findAll({where: {refundOfId: payment.id}, order: [['id', 'ASC']]})
  const refunded = refunds.filter((r) => r.status === 'completed').reduce((sum, r) => sum + toCents(r.amount), 0)
  const refundable = payment.status === 'completed' || payment.status === 'refunded' ? toCents(payment.amount) - refunded : 0
  return {...paymentView(rowOf(payment)), refunds: refunds.map((refund) => paymentView(rowOf(refund))), refundable: formatCents(refundable)}
}

export interface ListPaymentsInput extends PageInput {
  /** The booking: its id or external reference (as `bookings confirm` takes it). */
  booking?: string | number
  /** The booking by id: `booking` as callers from before it give it (GraphQL: bookingId). Give one of the two. */
  bookingId?: number
  kind?: PaymentKind
  status?: PaymentStatus
}

/** The id of the booking `ref` names (its id or external reference), or a NotFoundError. */
async function bookingIdOf(ctx: ServiceContext, ref: string | number): Promise<number> {
  const named = await resolveOne(resolveBookings, ctx, undefined, ref)
  if (!named) throw notFound(ref, 'booking', 'bookings')
  return named.id
}

/** Payments, filtered: a user sees those of their own bookings and of the bookings on their properties. */
/** What `payments list` shows (authz.ts: none to anonymous callers) and sorts by. */
export const paymentList: ListRule = {scope: (ctx) => listScopeSql(ctx, 'Payment', 'list payments'), sortable: ['paymentDate', 'createdAt']}

export async function listPayments(ctx: ServiceContext, input: ListPaymentsInput = {}): Promise<Page<PaymentView>> {
  return listPage(ctx, paymentList, {model: ctx.db.models.Payment, view: paymentView, input}, async () => [
    (input.booking ?? input.bookingId) !== undefined && {bookingId: await bookingIdOf(ctx, chargedBooking(input))},
    input.kind && {kind: input.kind},
    input.status && {status: input.status},
  ])
}
