/**
 * Importing payments: charges and refunds, with the rules of `payments record` and
 * `payments refund` applied to a batch at once. A payment names its booking by id or
 * externalRef (`booking`), or by property, guest and dates; a refund names its charge by
 * transaction id (`refundOf`), and the charge must come first (earlier in the file, or in
 * the database). Per batch, inside its transaction: the bookings and their payments are
 * locked (FOR UPDATE on MySQL), then the rows are checked in file order against a ledger
 * recomputed from the database and the rows accepted before them:
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
import {PAYMENT_KINDS, type PaymentKind, type PaymentStatus} from '../../db/models.js'
import type {ServiceContext} from '../context.js'
import {parseDate} from '../dates.js'
import {formatCents, toCents} from '../money.js'
import {checkChargeStatus, checkIdempotencyKey, checkPaymentAmount, checkPaymentDate, checkReason, checkTransactionId} from '../payments.js'
import {check, required, text} from './fields.js'
import {bookingsByStay, dateOnly, resolveBookings, resolveProperties, resolveUsers, type BookingRef, type PropertyQuery} from './refs.js'
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
  'created_at',
  'updated_at',
]

/** Charges in these states count toward a booking's total (as in `payments record`). */
const COUNTED: PaymentStatus[] = ['completed', 'refunded', 'pending']

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

interface BookingRow extends BookingRef {
  totalCents: number
}

/** What the ledger knows of a charge: from the database (id) or from an earlier row of the batch. */
interface Charge {
  transactionId: string
  id?: number
  bookingId: number
  amount: number
  status: PaymentStatus
  /** Cents of completed refunds. */
  refunded: number
  line?: number
  /** Completed by this batch's refunds: to be marked 'refunded'. */
  fullyRefunded?: boolean
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

    // Payments the batch names (its own transaction ids, the charges it refunds), locked.
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

    // The bookings involved, locked, and all their payments: the ledger.
    const bookingIds = new Set<number>()
    for (const b of rowBookings) if (b && 'id' in b) bookingIds.add(b.id)
    for (const p of named.values()) bookingIds.add(p.bookingId)
    const bookings = await lockedBookings(ctx, transaction, [...bookingIds])
    const all = await payments(ctx, transaction, 'booking_id IN (:values)', [...bookings.keys()])
    const charges = new Map<string, Charge>()
    const chargeById = new Map<number, Charge>()
    const charged = new Map<number, number>()
    for (const p of all) {
      if (p.kind !== 'charge') continue
      const charge: Charge = {transactionId: p.transactionId, id: p.id, bookingId: p.bookingId, amount: p.amount, status: p.status, refunded: 0}
      charges.set(p.transactionId, charge)
      chargeById.set(p.id, charge)
      if (COUNTED.includes(p.status)) charged.set(p.bookingId, (charged.get(p.bookingId) ?? 0) + p.amount)
    }
    for (const p of all) {
      if (p.kind === 'refund' && p.status === 'completed' && p.refundOfId !== null) chargeById.get(p.refundOfId)!.refunded += p.amount
    }
    const keys = [...new Set(records.flatMap((r) => (r.idempotencyKey ? [r.idempotencyKey] : [])))]
    const keyOwners = new Map((await payments(ctx, transaction, 'idempotency_key IN (:values)', keys)).map((p) => [p.idempotencyKey!, p]))

    const seenTransactions = new Map<string, number>()
    const seenKeys = new Map<string, number>()
    const updates: {id: number; values: Record<string, unknown>}[] = []
    const inserts: {index: number; bookingId: number; charge?: Charge}[] = []
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
      let charge: Charge | undefined
      let bookingId: number
      const given = rowBookings[index]
      if (r.kind === 'refund') {
        charge = charges.get(r.refundOf!)
        if (!charge || charge.lost) {
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
      const booking = bookings.get(bookingId)
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
        const base = (charged.get(bookingId) ?? 0) - (previous && COUNTED.includes(previous.status) ? previous.amount : 0)
        const after = base + (COUNTED.includes(r.status) ? r.amountCents : 0)
        if (after > booking.totalCents) {
          reject(
            index,
            'amount',
            `charging ${formatCents(r.amountCents)} would bring booking ${bookingId} to ${formatCents(after)}, above its total ${formatCents(booking.totalCents)}`,
          )
          continue
        }
        if (previous && previous.refunded > r.amountCents) {
          reject(index, 'amount', `payment ${previous.id} has ${formatCents(previous.refunded)} refunded; its amount cannot be less`)
          continue
        }
        charged.set(bookingId, after)
        if (previous) Object.assign(previous, {amount: r.amountCents, status: r.status})
        else charges.set(r.transactionId, {transactionId: r.transactionId, bookingId, amount: r.amountCents, status: r.status, refunded: 0, line: rows[index].line})
      } else {
        const c = charge!
        if (existing && existing.refundOfId !== c.id) {
          reject(index, 'refundOf', `payment ${existing.id} ("${r.transactionId}") refunds another charge; an import does not move refunds`)
          continue
        }
        // An updated refund gives back what it held before it is checked again.
        const held = existing && existing.status === 'completed' ? existing.amount : 0
        const refunded = c.refunded - held
        const refundable = c.status === 'completed' || (c.status === 'refunded' && refunded < c.amount)
        const which = c.id === undefined ? `charge "${c.transactionId}" (line ${c.line})` : `payment ${c.id} ("${c.transactionId}")`
        if (!refundable) {
          reject(
            index,
            'refundOf',
            c.status === 'refunded' ? `${which} is already fully refunded` : `${which} is ${c.status}; only completed charges can be refunded`,
          )
          continue
        }
        const remaining = c.amount - refunded
        if (r.amountCents > remaining) {
          reject(
            index,
            'amount',
            `refund of ${formatCents(r.amountCents)} exceeds what remains refundable of ${which}: ${formatCents(remaining)} of ${formatCents(c.amount)}`,
          )
          continue
        }
        c.refunded = refunded + (r.status === 'completed' ? r.amountCents : 0)
        if (c.status === 'completed' && c.refunded === c.amount) {
          c.status = 'refunded'
          c.fullyRefunded = true
        }
      }

      seenTransactions.set(r.transactionId, index)
      if (r.idempotencyKey) seenKeys.set(r.idempotencyKey, index)
      if (existing) {
        updates.push({
          id: existing.id,
          values: {
            amount: formatCents(r.amountCents),
            status: r.kind === 'charge' ? charges.get(r.transactionId)!.status : r.status,
            paymentDate: r.paymentDate,
            reason: r.reason,
            idempotencyKey: r.idempotencyKey,
          },
        })
      } else {
        inserts.push({index, bookingId, charge})
      }
    }

    for (const update of updates) await ctx.db.models.Payment.update(update.values, {where: {id: update.id}, transaction})
    const inserted = await insertInOrder(ctx, transaction, records, inserts, charges, reject)

    // Charges whose refunds this batch completed.
    const completed = [...charges.values()].filter((c) => c.fullyRefunded && c.id !== undefined && !c.lost && c.refunded >= c.amount).map((c) => c.id!)
    if (completed.length > 0) {
      await ctx.db.models.Payment.update({status: 'refunded'}, {where: {id: completed, status: 'completed'}, transaction})
    }
    return {inserted, updated: updates.length, rejected}
  },
}

/**
 * Inserts in file order (so ids follow the file, and an export of the result lists the rows
 * as the file did). A refund of a charge inserted by this batch needs that charge's id: the
 * rows before it are written first and the new charges' ids read back.
 */
async function insertInOrder(
  ctx: ServiceContext,
  transaction: Transaction,
  records: PaymentRecord[],
  inserts: {index: number; bookingId: number; charge?: Charge}[],
  charges: Map<string, Charge>,
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
      if (r.kind === 'charge') charges.get(r.transactionId)!.lost = true
      else if (r.status === 'completed') charges.get(r.refundOf!)!.refunded -= r.amountCents
    }
    const needed = segment.map((s) => records[s.index]).filter((r) => r.kind === 'charge' && refunded.has(r.transactionId) && !charges.get(r.transactionId)!.lost)
    if (needed.length > 0) {
      const ids = await payments(ctx, transaction, 'transaction_id IN (:values)', needed.map((r) => r.transactionId), false)
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
      continue
    }
    if (r.kind === 'charge') waiting.add(r.transactionId)
    segment.push({
      index,
      cells: [
        bookingId,
        formatCents(r.amountCents),
        r.paymentDate,
        r.status,
        r.transactionId,
        r.kind,
        charge?.id ?? null,
        r.reason,
        r.idempotencyKey,
        r.createdAt,
        r.createdAt,
      ],
    })
  }
  await flush()
  return inserted
}

async function payments(ctx: ServiceContext, transaction: Transaction, where: string, values: (string | number)[], lock = true): Promise<PaymentRow[]> {
  if (values.length === 0) return []
  const rows = await ctx.db.sequelize.query<PaymentRow>(
    'SELECT id, booking_id AS bookingId, kind, status, amount, transaction_id AS transactionId, refund_of_id AS refundOfId,' +
      ` idempotency_key AS idempotencyKey FROM payments WHERE ${where} ORDER BY id${lock && ctx.db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
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

/** The bookings, locked in id order (FOR UPDATE on MySQL), as charges and refunds of them are checked. */
async function lockedBookings(ctx: ServiceContext, transaction: Transaction, ids: number[]): Promise<Map<number, BookingRow>> {
  if (ids.length === 0) return new Map()
  const rows = await ctx.db.sequelize.query<BookingRow & {totalPrice: string | number}>(
    'SELECT id, property_id AS propertyId, guest_id AS guestId, start_date AS startDate, end_date AS endDate, external_ref AS externalRef,' +
      ` total_price AS totalPrice FROM bookings WHERE id IN (:ids) ORDER BY id${ctx.db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
    {replacements: {ids: ids.sort((a, b) => a - b)}, transaction, type: QueryTypes.SELECT},
  )
  return new Map(
    rows.map((b) => [
      Number(b.id),
      {
        id: Number(b.id),
        propertyId: Number(b.propertyId),
        guestId: Number(b.guestId),
        startDate: dateOnly(b.startDate),
        endDate: dateOnly(b.endDate),
        externalRef: b.externalRef ?? null,
        totalCents: toCents(b.totalPrice),
      },
    ]),
  )
}
