/**
 * Importing bookings: the rules of `bookings create` applied to a batch at once. The property
 * is given by id or name (+ propertyOwner when two hosts use the name), the guest by id,
 * username or email. Per batch, inside its transaction: the batch's property rows are locked
 * (FOR UPDATE on MySQL; SQLite's IMMEDIATE transaction already excludes other writers), the
 * bookings of those properties over the batch's date spans are read (per property, the
 * batch's stays merged, gaps under a month bridged: a shuffled file then reads only what its
 * rows could overlap, not every booking of the span), and the rows are checked in file order
 * against them and against the rows accepted before them, so two overlapping rows of one file
 * are caught too (the second names the first's line).
 *
 * Imports carry history: past dates are allowed, and the rules about who may book now (an
 * inactive guest, an unlisted property) apply to live stays that have not ended yet;
 * cancelled bookings and ended stays import as they were.
 *
 * Natural key: externalRef when the row has one, else (property, guest, startDate, endDate).
 * A row matching an existing booking is a duplicate, or updates it with --upsert.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import {bulkInsert, type Cell} from '../../db/bulk.js'
import type {BookingStatus} from '../../db/models.js'
import {checkBookingStatus, checkExternalRef} from '../bookings.js'
import type {ServiceContext} from '../context.js'
import {addDays, parseDate, parseStay, today} from '../dates.js'
import {formatCents, parseAmount, toCents} from '../money.js'
import {check, required, text} from './fields.js'
import {dateOnly, resolveProperties, resolveUsers, type PropertyQuery, type UserRef} from './refs.js'
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

interface Existing {
  id: number
  propertyId: number
  guestId: number
  startDate: string
  endDate: string
  status: BookingStatus
  externalRef: string | null
}

/** A stay that holds its dates: from the database (id) or an earlier row of the batch (line). */
interface Stay {
  start: string
  end: string
  id?: number
  line?: number
  guestId: number
}

/** The stays of one property, sorted by start; they never overlap one another. */
class Calendar {
  private readonly stays: Stay[] = []

  /** Index of the first stay that starts at or after `date`. */
  private firstFrom(date: string): number {
    let lo = 0
    let hi = this.stays.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.stays[mid].start < date) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The stay overlapping [start, end), if any. */
  clash(start: string, end: string): Stay | undefined {
    const i = this.firstFrom(end)
    // Stays are disjoint and sorted, so their ends are sorted too: only the one before can reach in.
    const before = this.stays[i - 1]
    return before && before.end > start ? before : undefined
  }

  add(stay: Stay): void {
    this.stays.splice(this.firstFrom(stay.start), 0, stay)
  }

  remove(id: number): Stay | undefined {
    const i = this.stays.findIndex((s) => s.id === id)
    return i < 0 ? undefined : this.stays.splice(i, 1)[0]
  }
}

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

    // The lock: concurrent bookings of these properties wait for this batch (ids in order: no deadlock between imports).
    const propertyIds = [...new Set(resolved.map((r) => r.propertyId))].sort((a, b) => a - b)
    const locked = new Map(
      (
        await ctx.db.models.Property.findAll({
          attributes: ['id', 'ownerId', 'pricePerNight', 'isListed'],
          where: {id: propertyIds},
          order: [['id', 'ASC']],
          lock: transaction.LOCK.UPDATE,
          transaction,
          // Plain rows: a batch locks thousands of properties and reads four fields of each.
          raw: true,
        })
      ).map((p) => [Number(p.id), p]),
    )
    const inSpan = await bookingsInSpans(ctx, transaction, spans(resolved.map((r) => ({propertyId: r.propertyId, start: r.row.record.startDate, end: r.row.record.endDate}))))
    const refs = [...new Set(resolved.map((r) => r.row.record.externalRef).filter((r): r is string => r !== null))]
    const byRef = new Map(
      (refs.length > 0 ? await existingBookings(ctx, transaction, 'external_ref IN (:refs)', {refs}) : []).map((b) => [b.externalRef!, b]),
    )

    const calendars = new Map<number, Calendar>()
    const calendar = (propertyId: number) => {
      let c = calendars.get(propertyId)
      if (!c) calendars.set(propertyId, (c = new Calendar()))
      return c
    }
    // Existing bookings without an external reference, by (property, guest, dates), for the natural key.
    const byStay = new Map<string, Existing[]>()
    const stayKey = (propertyId: number, guestId: number, start: string, end: string) => `${propertyId}|${guestId}|${start}|${end}`
    for (const b of inSpan) {
      if (b.status !== 'cancelled') calendar(b.propertyId).add({start: b.startDate, end: b.endDate, id: b.id, guestId: b.guestId})
      if (b.externalRef === null) {
        const key = stayKey(b.propertyId, b.guestId, b.startDate, b.endDate)
        byStay.set(key, [...(byStay.get(key) ?? []), b])
      }
    }

    const now = today()
    const used = new Set<number>()
    const seenRefs = new Map<string, number>()
    const inserts: {index: number; cells: Cell[]}[] = []
    const updates: {id: number; values: Record<string, unknown>}[] = []
    for (const {index, row, propertyId, guest} of resolved) {
      const r = row.record
      const property = locked.get(propertyId)
      if (!property) {
        reject(index, 'property', `unknown property "${r.property}"`)
        continue
      }
      const live = r.status !== 'cancelled'
      const current = live && r.endDate > now
      if (Number(property.ownerId) === guest.id) {
        reject(index, 'guest', `user ${guest.id} (${guest.username}) owns property ${property.id} and cannot book it`)
        continue
      }
      if (current && !guest.isActive) {
        reject(index, 'guest', `user ${guest.id} (${guest.username}) is inactive and cannot book`)
        continue
      }
      if (current && !property.isListed) {
        reject(index, 'property', `property ${property.id} is unlisted and cannot be booked`)
        continue
      }

      // Natural key: an existing booking this row is (externalRef, else property + guest + dates).
      let match: Existing | undefined
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

      // Overlap with live bookings and with the rows accepted before this one.
      const moved = match && match.status !== 'cancelled' ? calendars.get(match.propertyId)?.remove(match.id) : undefined
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
            reject(index, 'startDate', `${span} overlaps booking ${clash.id} ${theirs} of property ${propertyId}; pick other dates or cancel booking ${clash.id}`)
          }
          continue
        }
        calendar(propertyId).add({start: r.startDate, end: r.endDate, line: row.line, id: match?.id, guestId: guest.id})
      }
      if (r.externalRef !== null) seenRefs.set(r.externalRef, index)
      const totalPrice = formatCents(r.totalCents ?? r.nights * toCents(property.pricePerNight))
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

/** Days between two stays of one property under which the overlap query reads them as one span. */
const BRIDGED_GAP_DAYS = 31
/** Spans per query: SQLite allows expressions 1,000 deep, and each OR adds one level. */
const SPANS_PER_QUERY = 200
/** Spans whose dates (with the days before them) fit in this many days are read together… */
const GROUPED_WINDOW_DAYS = 92
/** …when there are at least this many of them, */
const MIN_GROUPED_SPANS = 50
/** by this many properties per query. */
const GROUPED_PROPERTIES_PER_QUERY = 1000

/** Per property, the stays merged into spans, bridging short gaps. */
function spans(stays: {propertyId: number; start: string; end: string}[]): {propertyId: number; from: string; to: string}[] {
  const sorted = [...stays].sort((a, b) => a.propertyId - b.propertyId || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const out: {propertyId: number; from: string; to: string}[] = []
  for (const stay of sorted) {
    const last = out.at(-1)
    if (last && last.propertyId === stay.propertyId && stay.start <= addDays(last.to, BRIDGED_GAP_DAYS)) {
      if (stay.end > last.to) last.to = stay.end
    } else {
      out.push({propertyId: stay.propertyId, from: stay.start, to: stay.end})
    }
  }
  return out
}

/**
 * The bookings the rows of the spans must be checked against: every booking (any status) that
 * starts inside a span (the natural key of a row, and its overlaps), and the live booking that
 * starts before a span and reaches into it, if any. Live bookings of a property never overlap
 * one another (every writer checks under the property's lock, and the calendar relies on it),
 * so only the last live booking that starts before a span can reach into it. The first query
 * reads each span and the BRIDGED_GAP_DAYS before it (a range of the (property_id, start_date)
 * index, bounded on both sides, so a long history costs nothing); a span with no live booking
 * starting in those days gets a second, indexed lookup of the last live booking before it.
 * (Reading every booking that starts before a span's end made each batch read the whole
 * history of its properties.)
 */
async function bookingsInSpans(ctx: ServiceContext, transaction: Transaction, wanted: {propertyId: number; from: string; to: string}[]) {
  const found = new Map<number, Existing>()
  const windows = wanted.map((span) => ({...span, before: addDays(span.from, -BRIDGED_GAP_DAYS), settled: false}))
  const byProperty = new Map<number, typeof windows>()
  for (const span of windows) byProperty.set(span.propertyId, [...(byProperty.get(span.propertyId) ?? []), span])
  const take = (bookings: Existing[]) => {
    for (const b of bookings) {
      const span = byProperty.get(b.propertyId)?.find((s) => b.startDate >= s.before && b.startDate < s.to)
      if (!span) continue
      if (b.startDate >= span.from || b.endDate > span.from) found.set(b.id, b)
      // A live booking starting in the days before the span: no earlier one can reach into it.
      if (b.startDate < span.from && b.status !== 'cancelled') span.settled = true
    }
  }
  // Spans that lie within a few weeks of one another (a batch of a file in date order) are read
  // together, by property id over their common dates: one range per property, cheaper for the
  // server to plan than as many OR-ed ranges. The rest are read span by span.
  const single: typeof windows = []
  const sorted = [...windows].sort((a, b) => (a.before < b.before ? -1 : a.before > b.before ? 1 : 0))
  for (let i = 0; i < sorted.length; ) {
    let j = i
    let to = sorted[i].to
    const limit = addDays(sorted[i].before, GROUPED_WINDOW_DAYS)
    while (j < sorted.length && sorted[j].before < limit && sorted[j].to <= limit) {
      if (sorted[j].to > to) to = sorted[j].to
      j++
    }
    const group = sorted.slice(i, Math.max(j, i + 1))
    i += group.length
    if (group.length < MIN_GROUPED_SPANS) {
      single.push(...group)
      continue
    }
    const ids = [...new Set(group.map((s) => s.propertyId))].sort((a, b) => a - b)
    for (let k = 0; k < ids.length; k += GROUPED_PROPERTIES_PER_QUERY) {
      take(
        await existingBookings(ctx, transaction, 'property_id IN (:ids) AND start_date >= :from AND start_date < :to', {
          ids: ids.slice(k, k + GROUPED_PROPERTIES_PER_QUERY),
          from: group[0].before,
          to,
        }),
      )
    }
  }
  for (let i = 0; i < single.length; i += SPANS_PER_QUERY) {
    const part = single.slice(i, i + SPANS_PER_QUERY)
    const where = part.map(() => '(property_id = ? AND start_date >= ? AND start_date < ?)').join(' OR ')
    take(await existingBookings(ctx, transaction, where, part.flatMap((s) => [s.propertyId, s.before, s.to])))
  }
  const open = windows.filter((span) => !span.settled)
  for (let i = 0; i < open.length; i += SPANS_PER_QUERY) {
    const part = open.slice(i, i + SPANS_PER_QUERY)
    // One row at most per span, tagged with the span's position in `part`.
    const last = part
      .map(
        (_, k) =>
          `SELECT ${k} AS span, b${k}.* FROM (${EXISTING_SELECT} WHERE property_id = ? AND start_date < ? AND status <> 'cancelled'` +
          ` ORDER BY start_date DESC, end_date DESC LIMIT 1) AS b${k}`,
      )
      .join(' UNION ALL ')
    const rows = await ctx.db.sequelize.query<Existing & {span: number}>(last, {
      replacements: part.flatMap((s) => [s.propertyId, s.before]),
      transaction,
      type: QueryTypes.SELECT,
    })
    for (const row of rows) {
      const b = existing(row)
      if (b.endDate > part[Number(row.span)].from) found.set(b.id, b)
    }
  }
  return [...found.values()].sort((a, b) => a.id - b.id)
}

const EXISTING_SELECT =
  'SELECT id, property_id AS propertyId, guest_id AS guestId, start_date AS startDate, end_date AS endDate, status,' +
  ' external_ref AS externalRef FROM bookings'

function existing(b: Existing): Existing {
  return {
    id: Number(b.id),
    propertyId: Number(b.propertyId),
    guestId: Number(b.guestId),
    startDate: dateOnly(b.startDate),
    endDate: dateOnly(b.endDate),
    status: b.status,
    externalRef: b.externalRef ?? null,
  }
}

async function existingBookings(
  ctx: ServiceContext,
  transaction: Transaction,
  where: string,
  replacements: Record<string, unknown> | unknown[],
): Promise<Existing[]> {
  const rows = await ctx.db.sequelize.query<Existing>(`${EXISTING_SELECT} WHERE ${where} ORDER BY id`, {
    replacements,
    transaction,
    type: QueryTypes.SELECT,
  })
  return rows.map(existing)
}
