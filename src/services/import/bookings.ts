/**
 * Importing bookings: the rules of `bookings create` applied to a batch at once. The property
 * is given by id or name (+ propertyOwner when two hosts use the name), the guest by id,
 * username or email. Per batch, inside its transaction: the calendars of the batch's
 * properties are guarded and read (rules/calendar.ts: the same rule and guard as `bookings
 * create`, for N stays at once), and the rows are checked in file order against them and
 * against the rows accepted before them, so two overlapping rows of one file are caught too
 * (the second names the first's line).
 *
 * Imports carry state, not requests: whatever the product can hold, an import takes back (an
 * export of it imports as it is). So past dates are allowed, and so are stays of inactive guests
 * and of unlisted properties, which the product holds once a guest is deactivated or a listing
 * unlisted after the booking; cancelled bookings and ended stays import as they were. What no
 * state may hold is refused: overlapping live stays, a host's stay at their own property.
 *
 * Natural key: externalRef when the row has one, else (property, guest, startDate, endDate).
 * A row matching an existing booking is a duplicate, or updates it with --upsert.
 */
import type {Transaction} from 'sequelize'

import {type Cell} from '../../db/bulk.js'
import type {BookingStatus} from '../../domain.js'
import {ValidationError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {parseDate, parseStay} from '../dates.js'
import {formatCents, parseAmount, toCents} from '../money.js'
import {bookerRefusal, checkBookingStatus, checkExternalRef, stayTotal} from '../rules/bookings.js'
import {guardCalendars, loadCalendars, overlapHint, overlapReason, selectBookings, type CalendarBooking, type LoadedCalendars} from '../rules/calendar.js'
import {refreshGaps, type StayChange} from '../rules/gaps.js'
import {loadLedger, totalRefusal, type Ledger} from '../rules/ledger.js'
import {testPause} from '../../test-pause.js'
import {check, createdAt, propertyFields, required, text} from './fields.js'
import {resolveProperties, type PropertyQuery} from '../refs/properties.js'
import {resolveUsers, type UserRef} from '../refs/users.js'
import {insertImported, type BatchOutcome, type EntityImporter, type ParsedRow, type WriteOptions} from './types.js'

export interface BookingRecord {
  property: string
  propertyOwner?: string
  guest: string
  startDate: string
  endDate: string
  nights: number
  status: BookingStatus
  /** As given; nights × price per night when absent. */
  totalCents?: number
  externalRef: string | null
  createdAt: Date
}

const columns = ['property_id', 'guest_id', 'start_date', 'end_date', 'status', 'total_price', 'external_ref', 'created_at']

export const bookingsImporter: EntityImporter<BookingRecord> = {
  entity: 'bookings',
  // The next batch resolves its references while this one finishes; it guards and reads the calendars once this one committed.
  pipelined: 'reads',
  fields: [
    ...propertyFields(true),
    {name: 'guest', aliases: ['guestId', 'user', 'guestUsername', 'guestEmail'], required: true},
    {name: 'startDate', aliases: ['checkIn', 'start', 'from'], required: true},
    {name: 'endDate', aliases: ['checkOut', 'end', 'to'], required: true},
    {name: 'status'},
    {name: 'totalPrice', aliases: ['total', 'price']},
    {name: 'externalRef', aliases: ['reference', 'ref', 'bookingRef']},
    {name: 'createdAt', aliases: ['created']},
  ],

  parse(values) {
    const start = check('startDate', () => parseDate(required(values, 'startDate', 'check-in, YYYY-MM-DD'), 'startDate'))
    const end = check('endDate', () => parseDate(required(values, 'endDate', 'check-out, YYYY-MM-DD'), 'endDate'))
    const {startDate, endDate, nights} = check('endDate', () => parseStay(start, end))
    const total = text(values, 'totalPrice')
    return {
      property: required(values, 'property', 'an id or a name'),
      propertyOwner: text(values, 'propertyOwner')?.trim(),
      guest: required(values, 'guest', 'a user id, username or email'),
      startDate,
      endDate,
      nights,
      status: check('status', () => checkBookingStatus(text(values, 'status')?.trim() ?? 'pending')),
      totalCents: total === undefined ? undefined : check('totalPrice', () => parseAmount(total, 'totalPrice')),
      externalRef: check('externalRef', () => checkExternalRef(text(values, 'externalRef'))),
      createdAt: createdAt(values),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const reject: Reject = (index, field, reason) => rejected.push({index, field, reason})
    const resolved = await resolveRows(ctx, transaction, rows, options, reject)
    await options.turn
    if (resolved.length === 0) return {inserted: 0, updated: 0, rejected}
    const batch = await loadBatch(ctx, transaction, resolved, options)
    const inserts: {index: number; propertyId: number; cells: Cell[]}[] = []
    const updates: {id: number; values: Record<string, unknown>}[] = []
    // The calendars' gaps change over the nights of every stay written (the calendars hold their
    // stays after the batch), and those a booking matched by externalRef held before (it may move
    // from nights the calendars did not read: refreshGaps reads their stays).
    const written: StayChange[] = []
    const left: StayChange[] = []
    for (const row of resolved) {
      const taken = checkRow(batch, row, rows, options, reject)
      if (!taken) continue
      const r = row.row.record
      if (taken.match) {
        const values = {propertyId: row.propertyId, guestId: row.guest.id, startDate: r.startDate, endDate: r.endDate, status: r.status, totalPrice: taken.totalPrice}
        updates.push({id: taken.match.id, values})
        if (r.externalRef !== null) left.push({propertyId: taken.match.propertyId, start: taken.match.startDate, end: taken.match.endDate})
      } else {
        const cells = [row.propertyId, row.guest.id, r.startDate, r.endDate, r.status, taken.totalPrice, r.externalRef, r.createdAt]
        inserts.push({index: row.index, propertyId: row.propertyId, cells})
      }
      written.push({propertyId: row.propertyId, start: r.startDate, end: r.endDate})
    }

    // A booking moved off another property changes that property's stays and gaps too: its calendar is guarded as well.
    const movedFrom = [...new Set(left.map((c) => c.propertyId))].filter((id) => !batch.properties.has(id))
    if (movedFrom.length > 0) await guardCalendars(ctx, transaction, movedFrom)
    await testPause('import.bookings.checked')
    for (const update of updates) await ctx.db.models.Booking.update(update.values, {where: {id: update.id}, transaction})
    const result = await insertImported(ctx, transaction, {
      table: 'bookings',
      columns,
      rows: inserts.map((i) => i.cells),
      uniqueKeys: [{index: 'bookings_external_ref_unique', columns: ['external_ref']}],
    })
    // A row skipped here is on its property's calendar but not written: that property's stays are read.
    const skipped = new Set<number>()
    for (const duplicate of result.duplicates) {
      const {index, propertyId} = inserts[duplicate.row]
      skipped.add(propertyId)
      reject(index, 'externalRef', `externalRef "${rows[index].record.externalRef}" already exists`)
    }
    const held = written.map((c) => (skipped.has(c.propertyId) ? c : {...c, stays: batch.calendar(c.propertyId).overlapping(c.start, c.end)}))
    await refreshGaps(ctx, transaction, [...held, ...left], {bulk: true})
    return {inserted: result.inserted, updated: updates.length, rejected}
  },
}

type Reject = (index: number, field: string, reason: string) => void

/** A row whose property and guest are known. */
interface ResolvedRow {
  index: number
  row: ParsedRow<BookingRecord>
  propertyId: number
  guest: UserRef
}

const propertyQuery = (r: BookingRecord): PropertyQuery => ({property: r.property, owner: r.propertyOwner})

/** References first: rows whose property or guest is unknown go no further. */
async function resolveRows(
  ctx: ServiceContext,
  transaction: Transaction,
  rows: ParsedRow<BookingRecord>[],
  options: WriteOptions,
  reject: Reject,
): Promise<ResolvedRow[]> {
  const [properties, users] = await Promise.all([
    resolveProperties(ctx, transaction, rows.map((r) => propertyQuery(r.record)), options.cache),
    resolveUsers(ctx, transaction, rows.map((r) => r.record.guest), options.cache),
  ])
  const resolved: ResolvedRow[] = []
  for (const [index, row] of rows.entries()) {
    const property = properties(propertyQuery(row.record))
    if (property.error !== undefined) {
      reject(index, 'property', property.error)
      continue
    }
    const guest = users(row.record.guest)
    if (!guest) {
      reject(index, 'guest', `unknown guest "${row.record.guest}"`)
      continue
    }
    resolved.push({index, row, propertyId: property.property.id, guest})
  }
  return resolved
}

/** What the rows of a batch are checked against, and what the rows taken so far hold. */
interface Batch {
  calendar: LoadedCalendars['calendar']
  properties: Map<number, {id: number; ownerId: number; isListed: boolean; pricePerNight: string | number}>
  /** Existing bookings by external reference, and those without one by (property, guest, dates). */
  byRef: Map<string, CalendarBooking>
  byStay: Map<string, CalendarBooking[]>
  /** What is charged to the bookings an upsert may update (their totals may not go below it). */
  ledger?: Ledger
  /** Existing bookings matched by a row, and the external references of the rows taken. */
  used: Set<number>
  seenRefs: Map<string, number>
}

const stayKey = (propertyId: number, guestId: number, start: string, end: string) => `${propertyId}|${guestId}|${start}|${end}`

/** The calendars of the batch's properties, guarded (see rules/calendar.ts), then the properties as they are now, and the natural keys. */
async function loadBatch(ctx: ServiceContext, transaction: Transaction, resolved: ResolvedRow[], options: WriteOptions): Promise<Batch> {
  const loaded = await loadCalendars(
    ctx,
    transaction,
    resolved.map((r) => ({propertyId: r.propertyId, start: r.row.record.startDate, end: r.row.record.endDate})),
  )
  const found = await ctx.db.models.Property.findAll({
    attributes: ['id', 'ownerId', 'isListed', 'pricePerNight'],
    where: {id: [...new Set(resolved.map((r) => r.propertyId))]},
    transaction,
    // Plain rows: a batch reads thousands of properties and four fields of each.
    raw: true,
  })
  const properties = new Map(found.map((p) => [Number(p.id), {...p, id: Number(p.id), ownerId: Number(p.ownerId), isListed: Boolean(p.isListed)}]))
  const refs = [...new Set(resolved.map((r) => r.row.record.externalRef).filter((r): r is string => r !== null))]
  const byRef = new Map(
    (refs.length > 0 ? await selectBookings(ctx, transaction, 'external_ref IN (:refs)', {refs}) : []).map((b) => [b.externalRef!, b]),
  )
  const ledger = options.upsert ? await loadLedger(ctx, transaction, {bookings: [...byRef.values(), ...loaded.bookings].map((b) => b.id)}) : undefined
  const byStay = new Map<string, CalendarBooking[]>()
  for (const b of loaded.bookings) {
    if (b.externalRef !== null) continue
    const key = stayKey(b.propertyId, b.guestId, b.startDate, b.endDate)
    byStay.set(key, [...(byStay.get(key) ?? []), b])
  }
  return {calendar: loaded.calendar, properties, byRef, byStay, ledger, used: new Set(), seenRefs: new Map()}
}

/**
 * One row, in file order: the booker rule (rules/bookings.ts, in history), the natural key,
 * the total (never below what is charged to an updated booking) and the calendar. Returns
 * the booking it updates (if any) and its total, or undefined when it is rejected.
 */
function checkRow(
  batch: Batch,
  {index, row, propertyId, guest}: ResolvedRow,
  rows: ParsedRow<BookingRecord>[],
  options: WriteOptions,
  reject: Reject,
): {match?: CalendarBooking; totalPrice: string} | undefined {
  const r = row.record
  const property = batch.properties.get(propertyId)
  if (!property) return void reject(index, 'property', `unknown property "${r.property}"`)
  const refused = bookerRefusal(property, guest, {history: true})
  if (refused) return void reject(index, refused.field, refused.reason)
  const key = naturalKey(batch, r, propertyId, guest.id, rows, options, index, reject)
  if (!key) return undefined
  const {match} = key
  // A booking matched by its dates (no externalRef) is used up even by a row refused from here on.
  const useUp = () => {
    if (match && r.externalRef === null) batch.used.add(match.id)
  }
  let totalCents: number
  try {
    totalCents = r.totalCents ?? stayTotal(r.nights, property.pricePerNight)
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return void reject(index, 'totalPrice', error.message)
  }
  const totalPrice = formatCents(totalCents)
  // An updated booking keeps its total at or above what is charged to it (the ledger's rule).
  const lowered = match && batch.ledger ? totalRefusal(batch.ledger.booking(match.id)!, toCents(totalPrice)) : undefined
  if (lowered) {
    useUp()
    return void reject(index, 'totalPrice', lowered)
  }
  const clash = place(batch, row, propertyId, guest.id, match)
  if (clash) return void reject(index, 'startDate', clash)
  if (r.externalRef !== null) batch.seenRefs.set(r.externalRef, index)
  if (match) batch.used.add(match.id)
  return {match, totalPrice}
}

/** The existing booking a row is (externalRef, else property + guest + dates), or undefined when the row is rejected for it. */
function naturalKey(
  batch: Batch,
  r: BookingRecord,
  propertyId: number,
  guestId: number,
  rows: ParsedRow<BookingRecord>[],
  options: WriteOptions,
  index: number,
  reject: Reject,
): {match?: CalendarBooking} | undefined {
  let match: CalendarBooking | undefined
  if (r.externalRef !== null) {
    const earlier = batch.seenRefs.get(r.externalRef)
    if (earlier !== undefined) return void reject(index, 'externalRef', `externalRef "${r.externalRef}" repeats line ${rows[earlier].line}`)
    match = batch.byRef.get(r.externalRef)
  } else {
    // Several bookings may share a stay (cancelled, then booked again): take an unused one, same liveness first.
    const live = r.status !== 'cancelled'
    const candidates = (batch.byStay.get(stayKey(propertyId, guestId, r.startDate, r.endDate)) ?? []).filter((b) => !batch.used.has(b.id))
    match = candidates.find((b) => (b.status !== 'cancelled') === live) ?? candidates[0]
  }
  if (match && !options.upsert) {
    const what = r.externalRef === null ? 'the same property, guest and dates' : `externalRef "${r.externalRef}"`
    reject(index, r.externalRef === null ? 'startDate' : 'externalRef', `booking ${match.id} already has ${what}; use --upsert to update it`)
    if (r.externalRef === null) batch.used.add(match.id)
    return undefined
  }
  return {match}
}

/**
 * Puts a live row's stay on its property's calendar (moving `match`'s, when it updates one),
 * or returns why it overlaps a live booking or a row accepted before it.
 */
function place(batch: Batch, row: ParsedRow<BookingRecord>, propertyId: number, guestId: number, match?: CalendarBooking): string | undefined {
  const r = row.record
  const moved = match && match.status !== 'cancelled' ? batch.calendar(match.propertyId).remove(match.id) : undefined
  if (r.status === 'cancelled') return undefined
  const clash = batch.calendar(propertyId).clash(r.startDate, r.endDate)
  if (!clash) {
    batch.calendar(propertyId).add({kind: 'booking', start: r.startDate, end: r.endDate, line: row.line, id: match?.id, guestId})
    return undefined
  }
  if (moved) batch.calendar(match!.propertyId).add(moved)
  if (clash.line === undefined) return `${overlapReason(r.startDate, r.endDate, clash, propertyId)}; ${overlapHint(clash)}`
  const same = clash.guestId === guestId && clash.start === r.startDate && clash.end === r.endDate
  return same
    ? `repeats line ${clash.line} (same property, guest and dates)`
    : `${r.startDate} → ${r.endDate} overlaps the booking on line ${clash.line} (${clash.start} → ${clash.end}) of property ${propertyId}`
}
