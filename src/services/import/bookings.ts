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
import {bulkInsert, type Cell} from '../../db/bulk.js'
import type {BookingStatus} from '../../domain.js'
import {checkBookingStatus, checkExternalRef, stayTotal} from '../bookings.js'
import {ValidationError} from '../../errors.js'
import {parseDate, parseStay} from '../dates.js'
import {formatCents, parseAmount, toCents} from '../money.js'
import {loadCalendars, overlapReason, selectBookings, type CalendarBooking} from '../rules/calendar.js'
import {loadLedger, totalRefusal} from '../rules/ledger.js'
import {testPause} from '../../test-pause.js'
import {check, required, text} from './fields.js'
import {resolveProperties, resolveUsers, type PropertyQuery, type UserRef} from './refs.js'
import {type BatchOutcome, type EntityImporter, type ParsedRow} from './types.js'
import {parseTimestamp} from './users.js'

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

const columns = ['property_id', 'guest_id', 'start_date', 'end_date', 'status', 'total_price', 'external_ref', 'created_at', 'updated_at']

export const bookingsImporter: EntityImporter<BookingRecord> = {
  entity: 'bookings',
  fields: [
    {name: 'property', aliases: ['propertyId', 'listing', 'propertyName'], required: true},
    {name: 'propertyOwner', aliases: ['owner', 'host']},
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
      createdAt: parseTimestamp(text(values, 'createdAt'), 'createdAt'),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const reject = (index: number, field: string, reason: string) => rejected.push({index, field, reason})
    const query = (r: BookingRecord): PropertyQuery => ({property: r.property, owner: r.propertyOwner})
    const [properties, users] = await Promise.all([
      resolveProperties(ctx, transaction, rows.map((r) => query(r.record)), options.cache),
      resolveUsers(ctx, transaction, rows.map((r) => r.record.guest), options.cache),
    ])

    // References first: rows whose property or guest is unknown go no further.
    const resolved: {index: number; row: ParsedRow<BookingRecord>; propertyId: number; guest: UserRef}[] = []
    for (const [index, row] of rows.entries()) {
      const property = properties(query(row.record))
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
    if (resolved.length === 0) return {inserted: 0, updated: 0, rejected}

    // The calendars of the batch's properties, guarded (see rules/calendar.ts), then the properties as they are now.
    const loaded = await loadCalendars(
      ctx,
      transaction,
      resolved.map((r) => ({propertyId: r.propertyId, start: r.row.record.startDate, end: r.row.record.endDate})),
    )
    const propertyIds = [...new Set(resolved.map((r) => r.propertyId))]
    const facts = new Map(
      (
        await ctx.db.models.Property.findAll({
          attributes: ['id', 'ownerId', 'pricePerNight'],
          where: {id: propertyIds},
          transaction,
          // Plain rows: a batch reads thousands of properties and three fields of each.
          raw: true,
        })
      ).map((p) => [Number(p.id), p]),
    )
    const refs = [...new Set(resolved.map((r) => r.row.record.externalRef).filter((r): r is string => r !== null))]
    const byRef = new Map(
      (refs.length > 0 ? await selectBookings(ctx, transaction, 'external_ref IN (:refs)', {refs}) : []).map((b) => [b.externalRef!, b]),
    )

    const {calendar} = loaded
    // What is charged to the bookings an upsert may update: their totals may not go below it.
    const ledger = options.upsert ? await loadLedger(ctx, transaction, {bookings: [...byRef.values(), ...loaded.bookings].map((b) => b.id)}) : undefined
    // Existing bookings without an external reference, by (property, guest, dates), for the natural key.
    const byStay = new Map<string, CalendarBooking[]>()
    const stayKey = (propertyId: number, guestId: number, start: string, end: string) => `${propertyId}|${guestId}|${start}|${end}`
    for (const b of loaded.bookings) {
      if (b.externalRef === null) {
        const key = stayKey(b.propertyId, b.guestId, b.startDate, b.endDate)
        byStay.set(key, [...(byStay.get(key) ?? []), b])
      }
    }

    const used = new Set<number>()
    const seenRefs = new Map<string, number>()
    const inserts: {index: number; cells: Cell[]}[] = []
    const updates: {id: number; values: Record<string, unknown>}[] = []
    for (const {index, row, propertyId, guest} of resolved) {
      const r = row.record
      const property = facts.get(propertyId)
      if (!property) {
        reject(index, 'property', `unknown property "${r.property}"`)
        continue
      }
      const live = r.status !== 'cancelled'
      if (Number(property.ownerId) === guest.id) {
        reject(index, 'guest', `user ${guest.id} (${guest.username}) owns property ${property.id} and cannot book it`)
        continue
      }

      // Natural key: an existing booking this row is (externalRef, else property + guest + dates).
      let match: CalendarBooking | undefined
      if (r.externalRef !== null) {
        const earlier = seenRefs.get(r.externalRef)
        if (earlier !== undefined) {
          reject(index, 'externalRef', `externalRef "${r.externalRef}" repeats line ${rows[earlier].line}`)
          continue
        }
        match = byRef.get(r.externalRef)
      } else {
        // Several bookings may share a stay (cancelled, then booked again): take an unused one, same liveness first.
        const candidates = (byStay.get(stayKey(propertyId, guest.id, r.startDate, r.endDate)) ?? []).filter((b) => !used.has(b.id))
        match = candidates.find((b) => (b.status !== 'cancelled') === live) ?? candidates[0]
      }
      if (match && !options.upsert) {
        const what = r.externalRef === null ? 'the same property, guest and dates' : `externalRef "${r.externalRef}"`
        reject(index, r.externalRef === null ? 'startDate' : 'externalRef', `booking ${match.id} already has ${what}; use --upsert to update it`)
        if (r.externalRef === null) used.add(match.id)
        continue
      }
      let totalCents: number
      try {
        totalCents = r.totalCents ?? stayTotal(r.nights, property.pricePerNight)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        reject(index, 'totalPrice', error.message)
        continue
      }
      const totalPrice = formatCents(totalCents)
      // An updated booking keeps its total at or above what is charged to it (the ledger's rule).
      const lowered = match && ledger ? totalRefusal(ledger.booking(match.id)!, toCents(totalPrice)) : undefined
      if (lowered) {
        reject(index, 'totalPrice', lowered)
        if (r.externalRef === null) used.add(match!.id)
        continue
      }

      // Overlap with live bookings and with the rows accepted before this one.
      const moved = match && match.status !== 'cancelled' ? calendar(match.propertyId).remove(match.id) : undefined
      if (live) {
        const clash = calendar(propertyId).clash(r.startDate, r.endDate)
        if (clash) {
          if (moved) calendar(match!.propertyId).add(moved)
          const span = `${r.startDate} → ${r.endDate}`
          const theirs = `(${clash.start} → ${clash.end})`
          if (clash.line !== undefined) {
            const same = clash.guestId === guest.id && clash.start === r.startDate && clash.end === r.endDate
            reject(index, 'startDate', same ? `repeats line ${clash.line} (same property, guest and dates)` : `${span} overlaps the booking on line ${clash.line} ${theirs} of property ${propertyId}`)
          } else {
            reject(index, 'startDate', `${overlapReason(r.startDate, r.endDate, clash, propertyId)}; pick other dates or cancel booking ${clash.id}`)
          }
          continue
        }
        calendar(propertyId).add({start: r.startDate, end: r.endDate, line: row.line, id: match?.id, guestId: guest.id})
      }
      if (r.externalRef !== null) seenRefs.set(r.externalRef, index)
      if (match) {
        used.add(match.id)
        updates.push({
          id: match.id,
          values: {propertyId, guestId: guest.id, startDate: r.startDate, endDate: r.endDate, status: r.status, totalPrice},
        })
      } else {
        inserts.push({index, cells: [propertyId, guest.id, r.startDate, r.endDate, r.status, totalPrice, r.externalRef, r.createdAt, r.createdAt]})
      }
    }

    await testPause('import.bookings.checked')
    for (const update of updates) await ctx.db.models.Booking.update(update.values, {where: {id: update.id}, transaction})
    const result = await bulkInsert(ctx.db, transaction, {
      table: 'bookings',
      columns,
      rows: inserts.map((i) => i.cells),
      uniqueKeys: [{index: 'bookings_external_ref_unique', columns: ['external_ref']}],
    })
    for (const duplicate of result.duplicates) {
      const {index} = inserts[duplicate.row]
      reject(index, 'externalRef', `externalRef "${rows[index].record.externalRef}" already exists`)
    }
    return {inserted: result.inserted, updated: updates.length, rejected}
  },
}
