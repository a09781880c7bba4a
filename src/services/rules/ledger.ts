/**
 * The money rules of bookings, as one kernel (Ledger: pure checks over the totals it holds)
 * fed by one loader (loadLedger) for one charge or booking (`payments refund`, `payments
 * record`, `bookings cancel`) or a batch of N (`import payments`):
 *   - a booking's counted charges (pending, completed, refunded) never add up to more than its
 *     total price;
 *   - only completed charges are refunded, never beyond what remains of them; the refund that
 *     completes a charge's refunds marks it 'refunded'; a charge's amount never falls below
 *     what is refunded of it;
 *   - a cancelled booking takes no charges.
 * Option `history` (imports, which carry state rather than requests): a charge listed as
 * 'refunded' takes the refunds that follow it (see refundable), and a booking cancelled since
 * takes the charges it had.
 *
 * The running totals live on the rows they cap: bookings.charged_amount and
 * payments.refunded_amount. The decisive step is a compare-and-set of those rows (save): the
 * new total is written only where the row still holds the total (and status) that was read.
 * Of two transactions that read the same total, one changes the row; the other matches no row
 * on one node, or is aborted by certification on a multi-primary cluster, where row locks are
 * local to a node but conflicting writes are not. Either way it is retried whole (GuardMoved;
 * see inTransaction), reads the new total, and the kernel answers it as it would have on one
 * node. CHECK constraints keep each total within its cap even for writes that bypass stayctl.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import type {BookingStatus, PaymentKind, PaymentStatus} from '../../domain.js'
import type {ServiceContext} from '../context.js'
import {formatCents, toCents} from '../money.js'
import {GuardMoved} from '../transaction.js'

/** Charges in these states count toward a booking's total. */
export const COUNTED: readonly PaymentStatus[] = ['completed', 'refunded', 'pending']

/** What the ledger knows of a booking: cents. */
export interface LedgerBooking {
  id: number
  total: number
  charged: number
  status: BookingStatus
}

/** What the ledger knows of a charge: cents. `id` is absent for a charge not yet inserted (a row of a batch). */
export interface LedgerCharge {
  id?: number
  transactionId: string
  bookingId: number
  kind: PaymentKind
  amount: number
  refunded: number
  status: PaymentStatus
}

/** A refused request: the field to blame and why, in words a user can act on. */
export interface Refusal {
  field: 'amount' | 'refundOf' | 'booking'
  reason: string
  details?: Record<string, unknown>
  /** Bad input rather than a conflict with the ledger (a refund of nothing). */
  invalid?: boolean
}

/** What a charge can still give back, were it refundable. */
export function remainingOf(charge: LedgerCharge): number {
  return charge.amount - charge.refunded
}

/**
 * A charge takes refunds while completed. In history (an import), a charge listed as
 * 'refunded' takes the refunds that follow it, until they add up to it.
 */
function refundable(charge: LedgerCharge, history: boolean): boolean {
  return charge.status === 'completed' || (history && charge.status === 'refunded' && charge.refunded < charge.amount)
}

export class Ledger {
  private readonly bookings = new Map<number, LedgerBooking>()
  private readonly charges = new Map<number, LedgerCharge>()
  /** The totals as read, by row: what save() compares before it writes. */
  private readonly bookingsRead = new Map<number, {charged: number; status: BookingStatus}>()
  private readonly chargesRead = new Map<number, {refunded: number; status: PaymentStatus}>()
  /** Charges this ledger marked 'refunded'. */
  private readonly completed = new Set<LedgerCharge>()
  /** When save() last wrote a charge (its updated_at). */
  savedAt: Date | undefined

  constructor(bookings: LedgerBooking[] = [], charges: LedgerCharge[] = []) {
    for (const b of bookings) {
      this.bookings.set(b.id, b)
      this.bookingsRead.set(b.id, {charged: b.charged, status: b.status})
    }
    for (const c of charges) {
      if (c.id === undefined) continue
      this.charges.set(c.id, c)
      this.chargesRead.set(c.id, {refunded: c.refunded, status: c.status})
    }
  }

  booking(id: number): LedgerBooking | undefined {
    return this.bookings.get(id)
  }

  charge(id: number): LedgerCharge | undefined {
    return this.charges.get(id)
  }

  /**
   * Refunds `cents` of `charge` (named `name` in messages) when the rules allow it, and then
   * counts it (a refund that is not completed holds nothing). Returns why not otherwise.
   * `history`: the refund is imported (see refundable); `replacing`: it replaces a refund of
   * that many cents, given back first (an imported refund updated).
   */
  refund(
    charge: LedgerCharge,
    cents: number,
    name: string,
    options: {status?: PaymentStatus; history?: boolean; replacing?: number} = {},
  ): Refusal | undefined {
    const refunded = charge.refunded - (options.replacing ?? 0)
    if (!refundable({...charge, refunded}, Boolean(options.history))) {
      return {
        field: 'refundOf',
        reason: charge.status === 'refunded' ? `${name} is already fully refunded` : `${name} is ${charge.status}; only completed charges can be refunded`,
      }
    }
    if (cents <= 0) return {field: 'amount', reason: 'refund amount must be above 0', invalid: true}
    const remaining = charge.amount - refunded
    if (cents > remaining) {
      return {
        field: 'amount',
        reason: `refund of ${formatCents(cents)} exceeds what remains refundable of ${name}: ${formatCents(remaining)} of ${formatCents(charge.amount)}`,
        details: {remaining: formatCents(remaining)},
      }
    }
    charge.refunded = refunded + ((options.status ?? 'completed') === 'completed' ? cents : 0)
    if (charge.status === 'completed' && charge.refunded === charge.amount) {
      charge.status = 'refunded'
      this.completed.add(charge)
    }
    return undefined
  }

  /** Gives back a refund counted before (its row was refused by the database): a charge it completed is completed no more. */
  unrefund(charge: LedgerCharge, cents: number): void {
    charge.refunded -= cents
    if (this.completed.has(charge) && charge.refunded < charge.amount) {
      charge.status = 'completed'
      this.completed.delete(charge)
    }
  }

  /** Why `booking` takes no charges: it is cancelled (unless in history). */
  closed(booking: LedgerBooking, options: {history?: boolean} = {}): Refusal | undefined {
    return booking.status === 'cancelled' && !options.history ? {field: 'booking', reason: `booking ${booking.id} is cancelled; it takes no charges`} : undefined
  }

  /**
   * Charges `cents` with `status` to `booking`, replacing `previous` (an updated charge:
   * what it counted is given back first) when the booking takes charges (see closed) and its
   * total allows it. Returns why not otherwise.
   */
  recordCharge(
    booking: LedgerBooking,
    cents: number,
    status: PaymentStatus,
    previous?: {amount: number; status: PaymentStatus},
    options: {history?: boolean} = {},
  ): Refusal | undefined {
    const closed = this.closed(booking, options)
    if (closed) return closed
    const base = booking.charged - (previous && COUNTED.includes(previous.status) ? previous.amount : 0)
    const after = base + (COUNTED.includes(status) ? cents : 0)
    if (after > booking.total) {
      return {
        field: 'amount',
        reason: `charging ${formatCents(cents)} would bring booking ${booking.id} to ${formatCents(after)}, above its total ${formatCents(booking.total)}`,
        details: {charged: formatCents(booking.charged), total: formatCents(booking.total)},
      }
    }
    booking.charged = after
    return undefined
  }

  /** Gives back a charge counted before (its row was refused by the database). */
  uncharge(booking: LedgerBooking, cents: number, status: PaymentStatus): void {
    if (COUNTED.includes(status)) booking.charged -= cents
  }

  /** The compare-and-set of every total that changed (see the file comment); throws GuardMoved when one had moved. */
  async save(ctx: ServiceContext, transaction: Transaction): Promise<void> {
    const bookings = [...this.bookings.values()].filter((b) => b.charged !== this.bookingsRead.get(b.id)!.charged)
    const charges = [...this.charges.values()].filter((c) => {
      const read = this.chargesRead.get(c.id!)!
      return c.refunded !== read.refunded || c.status !== read.status
    })
    for (let i = 0; i < bookings.length; i += CAS_CHUNK) {
      const part = bookings.slice(i, i + CAS_CHUNK)
      await compareAndSet(ctx, transaction, {
        table: 'bookings',
        set: {charged_amount: part.map((b) => formatCents(b.charged))},
        ids: part.map((b) => b.id),
        expect: part.map((b) => {
          const read = this.bookingsRead.get(b.id)!
          return [formatCents(read.charged), read.status]
        }),
        expectColumns: ['charged_amount', 'status'],
      })
      for (const b of part) this.bookingsRead.set(b.id, {charged: b.charged, status: b.status})
    }
    const now = new Date()
    for (let i = 0; i < charges.length; i += CAS_CHUNK) {
      const part = charges.slice(i, i + CAS_CHUNK)
      await compareAndSet(ctx, transaction, {
        table: 'payments',
        set: {refunded_amount: part.map((c) => formatCents(c.refunded)), status: part.map((c) => c.status)},
        also: {updated_at: now},
        ids: part.map((c) => c.id!),
        expect: part.map((c) => {
          const read = this.chargesRead.get(c.id!)!
          return [formatCents(read.refunded), read.status]
        }),
        expectColumns: ['refunded_amount', 'status'],
      })
      for (const c of part) this.chargesRead.set(c.id!, {refunded: c.refunded, status: c.status})
      this.savedAt = now
    }
  }
}

/** Rows per compare-and-set statement. */
const CAS_CHUNK = 500

/**
 * One UPDATE that sets `set` on the rows `ids` where each row still holds `expect` in
 * `expectColumns`; every row must match (a value that did not change is never written, so
 * the rows changed are the rows matched), or the guard has moved.
 */
async function compareAndSet(
  ctx: ServiceContext,
  transaction: Transaction,
  update: {
    table: string
    /** Per column, the value of each row. */
    set: Record<string, (string | number)[]>
    /** Per column, one value for every row. */
    also?: Record<string, unknown>
    ids: number[]
    expect: (string | number)[][]
    expectColumns: string[]
  },
): Promise<void> {
  const {ids} = update
  const replacements: unknown[] = []
  const assignments = Object.entries(update.set).map(([column, values]) => {
    if (ids.length === 1) {
      replacements.push(values[0])
      return `${column} = ?`
    }
    const cases = ids.map((id, k) => {
      replacements.push(id, values[k])
      return 'WHEN ? THEN ?'
    })
    return `${column} = CASE id ${cases.join(' ')} END`
  })
  for (const [column, value] of Object.entries(update.also ?? {})) {
    replacements.push(value)
    assignments.push(`${column} = ?`)
  }
  const tuple = `(${['id', ...update.expectColumns].map(() => '?').join(', ')})`
  replacements.push(...ids)
  for (const [k, id] of ids.entries()) replacements.push(id, ...update.expect[k])
  const changed = Number(
    await ctx.db.sequelize.query(
      `UPDATE ${update.table} SET ${assignments.join(', ')} WHERE id IN (${ids.map(() => '?').join(', ')})` +
        ` AND (id, ${update.expectColumns.join(', ')}) IN (${ids.map(() => tuple).join(', ')})`,
      {replacements, transaction, type: QueryTypes.BULKUPDATE},
    ),
  )
  if (changed !== ids.length) {
    throw new GuardMoved(`${update.table} ${ids.length === 1 ? ids[0] : `(${ids.length} rows)`} changed since it was read`)
  }
}

/** Why a booking's total cannot become `total`: its counted charges add up to more. */
export function totalRefusal(booking: Pick<LedgerBooking, 'id' | 'charged'>, total: number): string | undefined {
  return total < booking.charged
    ? `booking ${booking.id} has ${formatCents(booking.charged)} charged; its total cannot be less`
    : undefined
}

/** Why a charge's amount cannot become `cents`: more than that is refunded of it. */
export function amountRefusal(charge: Pick<LedgerCharge, 'id' | 'refunded'>, cents: number): string | undefined {
  return charge.refunded > cents ? `payment ${charge.id} has ${formatCents(charge.refunded)} refunded; its amount cannot be less` : undefined
}

interface LedgerRow {
  id: number
  bookingId: number
  kind: PaymentKind
  status: PaymentStatus
  amount: string | number
  refunded: string | number
  transactionId: string
}

/**
 * The loader: the bookings and charges named, as the ledger reads them. Nothing is locked:
 * the compare-and-set of save() is the guard.
 */
export async function loadLedger(
  ctx: ServiceContext,
  transaction: Transaction | undefined,
  keys: {bookings?: number[]; charges?: number[]},
): Promise<Ledger> {
  const select = async <R extends object>(sql: string, ids: number[] = []) => {
    const rows: R[] = []
    const unique = [...new Set(ids)]
    for (let i = 0; i < unique.length; i += LOAD_CHUNK) {
      rows.push(...(await ctx.db.sequelize.query<R>(sql, {replacements: {ids: unique.slice(i, i + LOAD_CHUNK)}, transaction, type: QueryTypes.SELECT})))
    }
    return rows
  }
  const bookings = await select<{id: number; total: string | number; charged: string | number; status: BookingStatus}>(
    'SELECT id, total_price AS total, charged_amount AS charged, status FROM bookings WHERE id IN (:ids)',
    keys.bookings,
  )
  const charges = await select<LedgerRow>(
    'SELECT id, booking_id AS bookingId, kind, status, amount, refunded_amount AS refunded, transaction_id AS transactionId FROM payments WHERE id IN (:ids)',
    keys.charges,
  )
  return new Ledger(
    bookings.map((b) => ({id: Number(b.id), total: toCents(b.total), charged: toCents(b.charged), status: b.status})),
    charges.map((c) => ({
      id: Number(c.id),
      transactionId: c.transactionId,
      bookingId: Number(c.bookingId),
      kind: c.kind,
      amount: toCents(c.amount),
      refunded: toCents(c.refunded),
      status: c.status,
    })),
  )
}

/** Ids per loader query. */
const LOAD_CHUNK = 5000
