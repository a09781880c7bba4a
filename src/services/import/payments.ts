/**
 * Importing payments: charges and refunds, with the rules of `payments record` and
 * `payments refund` applied to a batch at once. A payment names its booking by id or
 * externalRef (`booking`), or by property, guest and dates; a refund names its charge by
 * transaction id (`refundOf`), and the charge must come first (earlier in the file, or in
 * the database). Per batch, inside its transaction, the rows are checked in file order by the
 * ledger of `payments record` and `payments refund` (rules/ledger.ts: the same kernel and the
 * same guard, for N rows at once), fed with the totals of the bookings and charges involved
 * and the rows accepted before them:
 *   - a booking's charges (pending, completed, refunded) never exceed its total price;
 *   - only completed charges are refunded, and never beyond what remains of them; a refund
 *     that completes the charge's refunds marks it 'refunded';
 *   - transaction ids and idempotency keys are unique.
 * A charge listed as 'refunded' (an export of history) takes the refunds that follow it.
 * Charges of bookings cancelled since are history too: unlike `payments record`, an import
 * takes them. Natural key: transactionId; --upsert updates amount, status, date, reason and
 * idempotency key, never the booking or the charge a payment belongs to.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import {type Cell} from '../../db/bulk.js'
import {PAYMENT_KINDS, type PaymentKind, type PaymentStatus} from '../../domain.js'
import type {ServiceContext} from '../context.js'
import {parseDate} from '../dates.js'
import {formatCents, toCents} from '../money.js'
import {selectBookings, type CalendarBooking} from '../rules/calendar.js'
import {amountRefusal, loadLedger, type Ledger, type LedgerBooking, type LedgerCharge} from '../rules/ledger.js'
import {testPause} from '../../test-pause.js'
import {checkChargeStatus, checkIdempotencyKey, checkPaymentAmount, checkPaymentDate, checkReason, checkTransactionId} from '../payments.js'
import {check, createdAt, propertyFields, required, text} from './fields.js'
import {resolveBookingsOrStays, sameStay, type BookingRefs, type StayRef} from '../refs/bookings.js'
import {RowError, insertImported, type BatchOutcome, type EntityImporter, type ParsedRow, type WriteOptions} from './types.js'

export interface PaymentRecord {
  transactionId: string
  kind: PaymentKind
  /** Booking id or external reference. */
  booking?: string
  stay?: StayRef
  /** Refunds: the transaction id of the charge. */
  refundOf?: string
  amountCents: number
  status: PaymentStatus
  paymentDate: Date
  reason: string | null
  idempotencyKey: string | null
  createdAt: Date
}

const columns = [
  'booking_id',
  'amount',
  'payment_date',
  'status',
  'transaction_id',
  'kind',
  'refund_of_id',
  'reason',
  'idempotency_key',
  'refunded_amount',
  'created_at',
]

interface PaymentRow {
  id: number
  bookingId: number
  kind: PaymentKind
  status: PaymentStatus
  amount: number
  transactionId: string
  refundOfId: number | null
  idempotencyKey: string | null
}

/** A charge as the batch sees it: the ledger's, with the file line of a charge the batch adds. */
interface BatchCharge extends LedgerCharge {
  line?: number
  /** Inserted by this batch but refused by the database (a concurrent writer took its key). */
  lost?: boolean
}

function stayOf(values: Record<string, string | undefined>): StayRef | undefined {
  const given = ['property', 'guest', 'startDate', 'endDate'].filter((f) => text(values, f) !== undefined)
  if (given.length === 0) return undefined
  const what = {property: 'an id or a name', guest: 'a user id, username or email', startDate: 'YYYY-MM-DD', endDate: 'YYYY-MM-DD'}
  const value = (field: keyof typeof what) => required(values, field, `${what[field]}; a booking by its stay needs property, guest, startDate and endDate`)
  return {
    property: value('property'),
    propertyOwner: text(values, 'propertyOwner')?.trim(),
    guest: value('guest'),
    startDate: check('startDate', () => parseDate(value('startDate'), 'startDate')),
    endDate: check('endDate', () => parseDate(value('endDate'), 'endDate')),
  }
}

export const paymentsImporter: EntityImporter<PaymentRecord> = {
  entity: 'payments',
  fields: [
    {name: 'transactionId', aliases: ['transaction', 'txn', 'txnId'], required: true},
    {name: 'kind', aliases: ['type']},
    {name: 'booking', aliases: ['bookingId', 'bookingRef', 'externalRef']},
    ...propertyFields(false),
    {name: 'guest', aliases: ['guestId', 'user']},
    {name: 'startDate', aliases: ['checkIn']},
    {name: 'endDate', aliases: ['checkOut']},
    {name: 'refundOf', aliases: ['refundOfTransactionId', 'charge', 'chargeTransactionId']},
    {name: 'amount', required: true},
    {name: 'status'},
    {name: 'paymentDate', aliases: ['date', 'paidAt']},
    {name: 'reason'},
    {name: 'idempotencyKey', aliases: ['idempotency']},
    {name: 'createdAt', aliases: ['created']},
  ],

  parse(values) {
    const transactionId = check('transactionId', () => checkTransactionId(text(values, 'transactionId')))
    const kind = (text(values, 'kind')?.trim().toLowerCase() ?? 'charge') as PaymentKind
    if (!PAYMENT_KINDS.includes(kind)) throw new RowError('kind', `kind must be charge or refund; got "${values.kind}"`)
    const statusText = text(values, 'status')?.trim().toLowerCase() ?? 'completed'
    // A charge exported after its refunds is 'refunded'; anything else as `payments record` takes it.
    const status: PaymentStatus = kind === 'charge' && statusText === 'refunded' ? 'refunded' : check('status', () => checkChargeStatus(statusText))
    const refundOf = text(values, 'refundOf')?.trim()
    if (kind === 'refund' && !refundOf) throw new RowError('refundOf', 'a refund needs refundOf: the transaction id of the charge it refunds')
    if (kind === 'charge' && refundOf) throw new RowError('refundOf', 'a charge refunds nothing; set kind to refund, or leave refundOf empty')
    const booking = text(values, 'booking')?.trim()
    const stay = stayOf(values)
    if (kind === 'charge' && !booking && !stay) {
      throw new RowError('booking', 'give booking (an id or externalRef), or property, guest, startDate and endDate')
    }
    return {
      transactionId,
      kind,
      booking,
      stay,
      refundOf,
      amountCents: check('amount', () => checkPaymentAmount(required(values, 'amount', 'like 120.00'))),
      status,
      paymentDate: check('paymentDate', () => checkPaymentDate(text(values, 'paymentDate')?.trim())),
      reason: check('reason', () => checkReason(text(values, 'reason'))),
      idempotencyKey: check('idempotencyKey', () => checkIdempotencyKey(text(values, 'idempotencyKey'))) ?? null,
      createdAt: createdAt(values),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const reject: Reject = (index, field, reason) => rejected.push({index, field, reason})
    const records = rows.map((r) => r.record)
    const refs = await resolveBookingsOrStays(ctx, transaction, records, options.cache)
    const batch = await loadBatch(ctx, transaction, records, refs)
    const updates: {id: number; values: Record<string, unknown>}[] = []
    const inserts: {index: number; bookingId: number; charge?: BatchCharge}[] = []
    for (const [index, r] of records.entries()) {
      const existing = checkKeys(batch, r, index, rows, options, reject)
      if (existing === false) continue
      const target = targetOf(batch, refs, r, index, reject)
      if (!target) continue
      if (existing && existing.bookingId !== target.booking.id) {
        reject(index, 'booking', `payment ${existing.id} ("${r.transactionId}") belongs to booking ${existing.bookingId}; an import does not move payments`)
        continue
      }
      if (!count(batch, r, target, existing, rows[index].line, index, reject)) continue
      batch.seenTransactions.set(r.transactionId, index)
      if (r.idempotencyKey) batch.seenKeys.set(r.idempotencyKey, index)
      if (existing) {
        // A charge's status is the ledger's to write (with its total, in save()); a refund's is its own.
        const status = r.kind === 'refund' ? {status: r.status} : {}
        const {paymentDate, reason, idempotencyKey} = r
        updates.push({id: existing.id, values: {amount: formatCents(r.amountCents), ...status, paymentDate, reason, idempotencyKey}})
      } else {
        inserts.push({index, bookingId: target.booking.id, charge: target.charge})
      }
    }

    await testPause('import.payments.checked')
    const inserted = await insertInOrder(ctx, transaction, records, inserts, batch.charges, batch.ledger, reject)
    // Amounts before totals, so that every statement leaves each total within its amount.
    for (const update of updates) await ctx.db.models.Payment.update(update.values, {where: {id: update.id}, transaction})
    // The totals last, once what the database refused is given back: the guard (see rules/ledger.ts).
    await batch.ledger.save(ctx, transaction)
    return {inserted, updated: updates.length, rejected}
  },
}

type Reject = (index: number, field: string, reason: string) => void

/** What the rows of a batch are checked against, and what the rows taken so far hold. */
interface Batch {
  /** Payments the batch names: its own transaction ids, and the charges it refunds. */
  named: Map<string, PaymentRow>
  bookings: Map<number, CalendarBooking>
  ledger: Ledger
  /** Charges by transaction id: the database's (the ledger's entries) and the batch's own. */
  charges: Map<string, BatchCharge>
  keyOwners: Map<string, PaymentRow>
  seenTransactions: Map<string, number>
  seenKeys: Map<string, number>
}

/** The payments named, and the ledger of the bookings and charges involved (guarded when saved, see rules/ledger.ts). */
async function loadBatch(ctx: ServiceContext, transaction: Transaction, records: PaymentRecord[], refs: BookingRefs): Promise<Batch> {
  const transactionIds = [...new Set(records.flatMap((r) => [r.transactionId, ...(r.refundOf ? [r.refundOf] : [])]))]
  const named = new Map((await payments(ctx, transaction, 'transaction_id IN (:values)', transactionIds)).map((p) => [p.transactionId, p]))
  const bookingIds = new Set<number>()
  for (const b of refs.given) if (b && 'id' in b) bookingIds.add(b.id)
  for (const p of named.values()) bookingIds.add(p.bookingId)
  const bookings = new Map(
    (bookingIds.size > 0 ? await selectBookings(ctx, transaction, 'id IN (:ids)', {ids: [...bookingIds]}) : []).map((b) => [b.id, b]),
  )
  const namedCharges = [...named.values()].filter((p) => p.kind === 'charge')
  const ledger = await loadLedger(ctx, transaction, {bookings: [...bookings.keys()], charges: namedCharges.map((p) => p.id)})
  const charges = new Map<string, BatchCharge>(namedCharges.map((p) => [p.transactionId, ledger.charge(p.id)!]))
  const keys = [...new Set(records.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : [])))]
  const keyOwners = new Map((await payments(ctx, transaction, 'idempotency_key IN (:values)', keys)).map((p) => [p.idempotencyKey!, p]))
  return {named, bookings, ledger, charges, keyOwners, seenTransactions: new Map(), seenKeys: new Map()}
}

/**
 * The unique keys of a row: its transaction id (the natural key: a payment that has it is a
 * duplicate, or is updated with --upsert, keeping its kind) and its idempotency key. Returns
 * the payment the row updates (undefined for a new one), or false when the row is rejected.
 */
function checkKeys(
  batch: Batch,
  r: PaymentRecord,
  index: number,
  rows: ParsedRow<PaymentRecord>[],
  options: WriteOptions,
  reject: Reject,
): PaymentRow | undefined | false {
  const no = (field: string, reason: string) => (reject(index, field, reason), false as const)
  const earlier = batch.seenTransactions.get(r.transactionId)
  if (earlier !== undefined) return no('transactionId', `transaction id "${r.transactionId}" repeats line ${rows[earlier].line}`)
  const existing = batch.named.get(r.transactionId)
  if (existing && !options.upsert) {
    return no('transactionId', `transaction id "${r.transactionId}" is already recorded as payment ${existing.id}; use --upsert to update it`)
  }
  if (existing && existing.kind !== r.kind) {
    return no('kind', `payment ${existing.id} ("${r.transactionId}") is a ${existing.kind}; it cannot become a ${r.kind}`)
  }
  if (r.idempotencyKey) {
    const before = batch.seenKeys.get(r.idempotencyKey)
    if (before !== undefined) {
      return no('idempotencyKey', `idempotency key "${r.idempotencyKey}" repeats line ${rows[before].line}`)
    }
    const owner = batch.keyOwners.get(r.idempotencyKey)
    if (owner && owner.transactionId !== r.transactionId) {
      return no('idempotencyKey', `idempotency key "${r.idempotencyKey}" was already used for payment ${owner.id}`)
    }
  }
  return existing
}

/** The ledger's booking of a row, and for refunds its charge; undefined when the row is rejected. */
function targetOf(batch: Batch, refs: BookingRefs, r: PaymentRecord, index: number, reject: Reject): {booking: LedgerBooking; charge?: BatchCharge} | undefined {
  const given = refs.given[index]
  let bookingId: number
  let charge: BatchCharge | undefined
  if (r.kind === 'refund') {
    charge = batch.charges.get(r.refundOf!)
    if (!charge) {
      const other = batch.named.get(r.refundOf!)
      const reason =
        other?.kind === 'refund'
          ? `payment ${other.id} ("${r.refundOf}") is a refund; only charges can be refunded`
          : `unknown charge "${r.refundOf}" (a charge comes before its refunds)`
      return void reject(index, 'refundOf', reason)
    }
    bookingId = charge.bookingId
    if (given && 'error' in given) return void reject(index, given.field, given.error)
    if (given && given.id !== bookingId) return void reject(index, 'booking', `charge "${r.refundOf}" belongs to booking ${bookingId}, not booking ${given.id}`)
    if (!given && r.stay) {
      const ids = refs.stayIds(r.stay)
      const b = batch.bookings.get(bookingId)
      if (ids.propertyId === undefined) return void reject(index, ids.field, ids.error)
      if (b && !sameStay(ids, r.stay, b)) {
        return void reject(index, 'booking', `charge "${r.refundOf}" belongs to booking ${bookingId}, which is not the stay given (property, guest and dates)`)
      }
    }
  } else {
    if (!given || 'error' in given) return void reject(index, given?.field ?? 'booking', given?.error ?? 'no booking given')
    bookingId = given.id
  }
  const booking = batch.ledger.booking(bookingId)
  if (!booking) return void reject(index, 'booking', `unknown booking ${bookingId}`)
  return {booking, charge}
}

/**
 * Counts a row in the ledger, in history (rules/ledger.ts): a charge against its booking's
 * total (an updated one replacing what it counted, never below what is refunded of it), a
 * refund against what remains of its charge. Returns false when the row is rejected.
 */
function count(
  batch: Batch,
  r: PaymentRecord,
  {booking, charge}: {booking: LedgerBooking; charge?: BatchCharge},
  existing: PaymentRow | undefined,
  line: number,
  index: number,
  reject: Reject,
): boolean {
  const {ledger, charges} = batch
  const no = (field: string, reason: string) => (reject(index, field, reason), false)
  if (r.kind === 'charge') {
    const previous = existing ? charges.get(r.transactionId) : undefined
    const lowered = previous && amountRefusal(previous, r.amountCents)
    if (lowered) return no('amount', lowered)
    const refusal = ledger.recordCharge(booking, r.amountCents, r.status, previous, {history: true})
    if (refusal) return no(refusal.field, refusal.reason)
    if (previous) Object.assign(previous, {amount: r.amountCents, status: r.status})
    else {
      const {transactionId, amountCents: amount, status} = r
      charges.set(transactionId, {transactionId, bookingId: booking.id, kind: 'charge', amount, status, refunded: 0, line})
    }
    return true
  }
  const c = charge!
  if (existing && existing.refundOfId !== c.id) {
    return no('refundOf', `payment ${existing.id} ("${r.transactionId}") refunds another charge; an import does not move refunds`)
  }
  // An updated refund gives back what it held before it is checked again.
  const held = existing && existing.status === 'completed' ? existing.amount : 0
  const which = c.id === undefined ? `charge "${c.transactionId}" (line ${c.line})` : `payment ${c.id} ("${c.transactionId}")`
  const refusal = ledger.refund(c, r.amountCents, which, {status: r.status, history: true, replacing: held})
  if (refusal) return no(refusal.field, refusal.reason)
  return true
}

/**
 * Inserts in file order (so ids follow the file, and an export of the result lists the rows
 * as the file did). A refund of a charge inserted by this batch needs that charge's id: the
 * rows before it are written first and the new charges' ids read back. A new charge goes in
 * with its totals as the batch leaves them (refunded, and 'refunded' once its refunds in the
 * batch add up to it). A row the database refuses (a concurrent writer took its key) gives
 * back to the ledger what it counted.
 */
async function insertInOrder(
  ctx: ServiceContext,
  transaction: Transaction,
  records: PaymentRecord[],
  inserts: {index: number; bookingId: number; charge?: BatchCharge}[],
  charges: Map<string, BatchCharge>,
  ledger: Ledger,
  reject: (index: number, field: string, reason: string) => void,
): Promise<number> {
  const refunded = new Set(records.flatMap((r) => (r.refundOf ? [r.refundOf] : [])))
  let segment: {index: number; cells: Cell[]}[] = []
  const waiting = new Set<string>()
  let inserted = 0
  const flush = async () => {
    if (segment.length === 0) return
    const result = await insertImported(ctx, transaction, {
      table: 'payments',
      columns,
      rows: segment.map((s) => s.cells),
      uniqueKeys: [
        {index: 'payments_transaction_id_unique', columns: ['transaction_id']},
        {index: 'payments_idempotency_key_unique', columns: ['idempotency_key']},
      ],
    })
    inserted += result.inserted
    for (const duplicate of result.duplicates) {
      const {index} = segment[duplicate.row]
      const r = records[index]
      const field = duplicate.key.columns[0] === 'transaction_id' ? 'transactionId' : 'idempotencyKey'
      reject(index, field, `${field === 'transactionId' ? 'transaction id' : 'idempotency key'} "${duplicate.value}" already exists`)
      if (r.kind === 'charge') {
        const lost = charges.get(r.transactionId)!
        lost.lost = true
        ledger.uncharge(ledger.booking(lost.bookingId)!, r.amountCents, r.status)
      } else if (r.status === 'completed') {
        ledger.unrefund(charges.get(r.refundOf!)!, r.amountCents)
      }
    }
    const needed = segment.map((s) => records[s.index]).filter((r) => r.kind === 'charge' && refunded.has(r.transactionId) && !charges.get(r.transactionId)!.lost)
    if (needed.length > 0) {
      const ids = await payments(ctx, transaction, 'transaction_id IN (:values)', needed.map((r) => r.transactionId))
      for (const p of ids) charges.get(p.transactionId)!.id = p.id
    }
    segment = []
    waiting.clear()
  }
  for (const {index, bookingId, charge} of inserts) {
    const r = records[index]
    if (charge && charge.id === undefined && waiting.has(charge.transactionId)) await flush()
    if (charge && (charge.lost || charge.id === undefined)) {
      reject(index, 'refundOf', `its charge "${charge.transactionId}"${charge.line ? ` (line ${charge.line})` : ''} was not imported`)
      if (r.status === 'completed') ledger.unrefund(charge, r.amountCents)
      continue
    }
    const own = r.kind === 'charge' ? charges.get(r.transactionId)! : undefined
    if (own) waiting.add(r.transactionId)
    segment.push({
      index,
      cells: [
        bookingId,
        formatCents(r.amountCents),
        r.paymentDate,
        own ? own.status : r.status,
        r.transactionId,
        r.kind,
        charge?.id ?? null,
        r.reason,
        r.idempotencyKey,
        own ? formatCents(own.refunded) : '0.00',
        r.createdAt,
      ],
    })
  }
  await flush()
  return inserted
}

async function payments(ctx: ServiceContext, transaction: Transaction, where: string, values: (string | number)[]): Promise<PaymentRow[]> {
  if (values.length === 0) return []
  const rows = await ctx.db.sequelize.query<PaymentRow>(
    'SELECT id, booking_id AS bookingId, kind, status, amount, transaction_id AS transactionId, refund_of_id AS refundOfId,' +
      ` idempotency_key AS idempotencyKey FROM payments WHERE ${where} ORDER BY id`,
    {replacements: {values}, transaction, type: QueryTypes.SELECT},
  )
  return rows.map((p) => ({
    id: Number(p.id),
    bookingId: Number(p.bookingId),
    kind: p.kind,
    status: p.status,
    amount: toCents(p.amount),
    transactionId: p.transactionId,
    refundOfId: p.refundOfId === null ? null : Number(p.refundOfId),
    idempotencyKey: p.idempotencyKey ?? null,
  }))
}
