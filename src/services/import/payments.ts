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

import {bulkInsert, type Cell} from '../../db/bulk.js'
import {PAYMENT_KINDS, type PaymentKind, type PaymentStatus} from '../../domain.js'
import type {ServiceContext} from '../context.js'
import {parseDate} from '../dates.js'
import {formatCents, toCents} from '../money.js'
import {selectBookings} from '../rules/calendar.js'
import {loadLedger, type Ledger, type LedgerCharge} from '../rules/ledger.js'
import {testPause} from '../../test-pause.js'
import {checkChargeStatus, checkIdempotencyKey, checkPaymentAmount, checkPaymentDate, checkReason, checkTransactionId} from '../payments.js'
import {check, required, text} from './fields.js'
import {bookingsByStay, resolveBookings, resolveProperties, resolveUsers, type BookingRef, type PropertyQuery} from './refs.js'
import {RowError, type BatchOutcome, type EntityImporter} from './types.js'
import {parseTimestamp} from './users.js'

export interface StayRef {
  property: string
  propertyOwner?: string
  guest: string
  startDate: string
  endDate: string
}

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
  'updated_at',
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
    {name: 'property', aliases: ['propertyId', 'listing', 'propertyName']},
    {name: 'propertyOwner', aliases: ['owner', 'host']},
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
      createdAt: parseTimestamp(text(values, 'createdAt'), 'createdAt'),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const reject = (index: number, field: string, reason: string) => rejected.push({index, field, reason})
    const records = rows.map((r) => r.record)

    // Payments the batch names: its own transaction ids, and the charges it refunds.
    const named = new Map(
      (await payments(ctx, transaction, 'transaction_id IN (:values)', [...new Set(records.flatMap((r) => [r.transactionId, ...(r.refundOf ? [r.refundOf] : [])]))])).map(
        (p) => [p.transactionId, p],
      ),
    )

    // Bookings: by id or externalRef, or by stay.
    const stayQuery = (s: StayRef): PropertyQuery => ({property: s.property, owner: s.propertyOwner})
    const withStay = records.filter((r) => r.stay).map((r) => r.stay!)
    const [direct, properties, guests] = await Promise.all([
      resolveBookings(ctx, transaction, records.map((r) => r.booking), options.cache),
      resolveProperties(ctx, transaction, withStay.map(stayQuery), options.cache),
      resolveUsers(ctx, transaction, withStay.map((s) => s.guest), options.cache),
    ])
    const stayIds = (s: StayRef) => {
      const property = properties(stayQuery(s))
      if (property.error !== undefined) return {field: 'property', error: property.error}
      const guest = guests(s.guest)
      if (!guest) return {field: 'guest', error: `unknown guest "${s.guest}"`}
      return {propertyId: property.property.id, guestId: guest.id, guest: guest.username}
    }
    const stayKey = (propertyId: number, guestId: number, start: string, end: string) => `${propertyId}|${guestId}|${start}|${end}`
    const byStay = new Map<string, BookingRef[]>()
    const stays = withStay.flatMap((s) => {
      const ids = stayIds(s)
      return ids.propertyId === undefined ? [] : [{propertyId: ids.propertyId, guestId: ids.guestId, startDate: s.startDate}]
    })
    for (const b of await bookingsByStay(ctx, transaction, stays)) {
      const key = stayKey(b.propertyId, b.guestId, b.startDate, b.endDate)
      byStay.set(key, [...(byStay.get(key) ?? []), b])
    }
    /** The booking a row names, or why none. */
    const bookingOf = (r: PaymentRecord): {id: number} | {field: string; error: string} => {
      if (r.booking) {
        const b = direct(r.booking)
        if (!b) return {field: 'booking', error: `unknown booking "${r.booking}"`}
        if (r.stay) {
          const ids = stayIds(r.stay)
          if (ids.propertyId === undefined) return ids
          if (ids.propertyId !== b.propertyId || ids.guestId !== b.guestId || r.stay.startDate !== b.startDate || r.stay.endDate !== b.endDate) {
            return {field: 'booking', error: `booking "${r.booking}" is not the stay given (property, guest and dates)`}
          }
        }
        return {id: b.id}
      }
      const s = r.stay!
      const ids = stayIds(s)
      if (ids.propertyId === undefined) return ids
      const found = byStay.get(stayKey(ids.propertyId, ids.guestId, s.startDate, s.endDate)) ?? []
      const stay = `property ${ids.propertyId} by ${ids.guest} from ${s.startDate} to ${s.endDate}`
      if (found.length === 0) return {field: 'booking', error: `no booking of ${stay}`}
      if (found.length > 1) {
        return {field: 'booking', error: `${found.length} bookings of ${stay} (${found.map((b) => b.id).join(', ')}); name one by booking id or externalRef`}
      }
      return {id: found[0].id}
    }
    // A refund's booking is its charge's: what the row says of it is only checked against that.
    const rowBookings = records.map((r) => (r.kind === 'charge' || r.booking ? bookingOf(r) : undefined))

    // The ledger of the bookings and charges involved (guarded when saved, see rules/ledger.ts).
    const bookingIds = new Set<number>()
    for (const b of rowBookings) if (b && 'id' in b) bookingIds.add(b.id)
    for (const p of named.values()) bookingIds.add(p.bookingId)
    const bookings = new Map(
      (bookingIds.size > 0 ? await selectBookings(ctx, transaction, 'id IN (:ids)', {ids: [...bookingIds]}) : []).map((b) => [b.id, b]),
    )
    const ledger = await loadLedger(ctx, transaction, {
      bookings: [...bookings.keys()],
      charges: [...named.values()].filter((p) => p.kind === 'charge').map((p) => p.id),
    })
    /** Charges by transaction id: the database's (the ledger's entries) and the batch's own. */
    const charges = new Map<string, BatchCharge>()
    for (const p of named.values()) if (p.kind === 'charge') charges.set(p.transactionId, ledger.charge(p.id)!)
    const keys = [...new Set(records.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : [])))]
    const keyOwners = new Map((await payments(ctx, transaction, 'idempotency_key IN (:values)', keys)).map((p) => [p.idempotencyKey!, p]))

    const seenTransactions = new Map<string, number>()
    const seenKeys = new Map<string, number>()
    const updates: {id: number; values: Record<string, unknown>}[] = []
    const inserts: {index: number; bookingId: number; charge?: BatchCharge}[] = []
    for (const [index, r] of records.entries()) {
      const line = (i: number) => rows[i].line
      const earlier = seenTransactions.get(r.transactionId)
      if (earlier !== undefined) {
        reject(index, 'transactionId', `transaction id "${r.transactionId}" repeats line ${line(earlier)}`)
        continue
      }
      const existing = named.get(r.transactionId)
      if (existing && !options.upsert) {
        reject(index, 'transactionId', `transaction id "${r.transactionId}" is already recorded as payment ${existing.id}; use --upsert to update it`)
        continue
      }
      if (existing && existing.kind !== r.kind) {
        reject(index, 'kind', `payment ${existing.id} ("${r.transactionId}") is a ${existing.kind}; it cannot become a ${r.kind}`)
        continue
      }
      if (r.idempotencyKey) {
        const before = seenKeys.get(r.idempotencyKey)
        if (before !== undefined) {
          reject(index, 'idempotencyKey', `idempotency key "${r.idempotencyKey}" repeats line ${line(before)}`)
          continue
        }
        const owner = keyOwners.get(r.idempotencyKey)
        if (owner && owner.transactionId !== r.transactionId) {
          reject(index, 'idempotencyKey', `idempotency key "${r.idempotencyKey}" was already used for payment ${owner.id}`)
          continue
        }
      }

      // The booking, and for refunds the charge.
      let charge: BatchCharge | undefined
      let bookingId: number
      const given = rowBookings[index]
      if (r.kind === 'refund') {
        charge = charges.get(r.refundOf!)
        if (!charge) {
          const other = named.get(r.refundOf!)
          reject(
            index,
            'refundOf',
            other?.kind === 'refund'
              ? `payment ${other.id} ("${r.refundOf}") is a refund; only charges can be refunded`
              : `unknown charge "${r.refundOf}" (a charge comes before its refunds)`,
          )
          continue
        }
        bookingId = charge.bookingId
        if (given && 'error' in given) {
          reject(index, given.field, given.error)
          continue
        }
        if (given && given.id !== bookingId) {
          reject(index, 'booking', `charge "${r.refundOf}" belongs to booking ${bookingId}, not booking ${given.id}`)
          continue
        }
        if (!given && r.stay) {
          const ids = stayIds(r.stay)
          const b = bookings.get(bookingId)
          if (ids.propertyId === undefined) {
            reject(index, ids.field, ids.error)
            continue
          }
          if (b && (ids.propertyId !== b.propertyId || ids.guestId !== b.guestId || r.stay.startDate !== b.startDate || r.stay.endDate !== b.endDate)) {
            reject(index, 'booking', `charge "${r.refundOf}" belongs to booking ${bookingId}, which is not the stay given (property, guest and dates)`)
            continue
          }
        }
      } else {
        if (!given || 'error' in given) {
          reject(index, given?.field ?? 'booking', given?.error ?? 'no booking given')
          continue
        }
        bookingId = given.id
      }
      const booking = ledger.booking(bookingId)
      if (!booking) {
        reject(index, 'booking', `unknown booking ${bookingId}`)
        continue
      }
      if (existing && existing.bookingId !== bookingId) {
        reject(index, 'booking', `payment ${existing.id} ("${r.transactionId}") belongs to booking ${existing.bookingId}; an import does not move payments`)
        continue
      }

      if (r.kind === 'charge') {
        const previous = existing ? charges.get(r.transactionId) : undefined
        if (previous && previous.refunded > r.amountCents) {
          reject(index, 'amount', `payment ${previous.id} has ${formatCents(previous.refunded)} refunded; its amount cannot be less`)
          continue
        }
        const refusal = ledger.recordCharge(booking, r.amountCents, r.status, previous)
        if (refusal) {
          reject(index, refusal.field, refusal.reason)
          continue
        }
        if (previous) Object.assign(previous, {amount: r.amountCents, status: r.status})
        else {
          charges.set(r.transactionId, {
            transactionId: r.transactionId,
            bookingId,
            kind: 'charge',
            amount: r.amountCents,
            status: r.status,
            refunded: 0,
            line: rows[index].line,
          })
        }
      } else {
        const c = charge!
        if (existing && existing.refundOfId !== c.id) {
          reject(index, 'refundOf', `payment ${existing.id} ("${r.transactionId}") refunds another charge; an import does not move refunds`)
          continue
        }
        // An updated refund gives back what it held before it is checked again.
        const held = existing && existing.status === 'completed' ? existing.amount : 0
        const which = c.id === undefined ? `charge "${c.transactionId}" (line ${c.line})` : `payment ${c.id} ("${c.transactionId}")`
        const refusal = ledger.refund(c, r.amountCents, which, {status: r.status, history: true, replacing: held})
        if (refusal) {
          reject(index, refusal.field, refusal.reason)
          continue
        }
      }

      seenTransactions.set(r.transactionId, index)
      if (r.idempotencyKey) seenKeys.set(r.idempotencyKey, index)
      if (existing) {
        // A charge's status is the ledger's to write (with its total, in save()); a refund's is its own.
        updates.push({
          id: existing.id,
          values: {
            amount: formatCents(r.amountCents),
            ...(r.kind === 'refund' ? {status: r.status} : {}),
            paymentDate: r.paymentDate,
            reason: r.reason,
            idempotencyKey: r.idempotencyKey,
          },
        })
      } else {
        inserts.push({index, bookingId, charge})
      }
    }

    await testPause('import.payments.checked')
    const inserted = await insertInOrder(ctx, transaction, records, inserts, charges, ledger, reject)
    // Amounts before totals, so that every statement leaves each total within its amount.
    for (const update of updates) await ctx.db.models.Payment.update(update.values, {where: {id: update.id}, transaction})
    // The totals last, once what the database refused is given back: the guard (see rules/ledger.ts).
    await ledger.save(ctx, transaction)
    return {inserted, updated: updates.length, rejected}
  },
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
    const result = await bulkInsert(ctx.db, transaction, {
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
