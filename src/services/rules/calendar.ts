/**
 * The booking calendar: two live (not cancelled) stays of one property never overlap, where a
 * stay is a booking or a block (blocked nights: services/blocks.ts). One kernel (Calendar: the
 * stays of a property, pure) fed by one loader (loadCalendars) for one stay (`bookings create`,
 * `blocks create|update`) or a batch of N (`import bookings`, a feed's blocks).
 *
 * The guard is a write that every competing transaction also makes: before reading the
 * calendars, the loader raises `calendar_version` of each property it is about to book, in id
 * order. On one node the second of two bookers waits at that row until the first commits and
 * then reads its stay. On a multi-primary cluster (Galera, Group Replication), where a row
 * lock is seen by one node only, two transactions that wrote the same row cannot both commit:
 * certification aborts one (a deadlock error), inTransaction retries it, and it then reads the
 * winner's stay. A SELECT … FOR UPDATE would serialise the bookers of one node only.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import type {BookingStatus, CalendarOverlap} from '../../domain.js'
import {ConflictError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {addDays, dateOnly} from '../dates.js'

/** Whether a booking of `status` holds its nights: every status but cancelled (a block always does). */
export function isLiveBooking(status: BookingStatus): boolean {
  return status !== 'cancelled'
}

/** isLiveBooking as SQL over the bookings table (optionally an alias's: `b.`). */
export function liveBookingSql(prefix = ''): string {
  return `${prefix}status <> 'cancelled'`
}

/** A booking as the calendar rule reads it. */
export interface CalendarBooking {
  id: number
  propertyId: number
  guestId: number
  startDate: string
  endDate: string
  status: BookingStatus
  externalRef: string | null
}

/** A block as the calendar rule reads it; sourceKey: see services/blocks.ts (null: made by hand). */
export interface CalendarBlock {
  id: number
  propertyId: number
  startDate: string
  endDate: string
  reason: string
  sourceKey: string | null
}

/**
 * A stay that holds its dates: a booking or a block, from the database (id) or an earlier row
 * of a batch (line). A booking has its guest.
 */
export interface Stay {
  kind: 'booking' | 'block'
  start: string
  end: string
  id?: number
  line?: number
  guestId?: number
}

/** The live stays of one property, sorted by start; they never overlap one another. */
export class Calendar {
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

  /** The stays overlapping [start, end), in order. */
  overlapping(start: string, end: string): Stay[] {
    const after = this.firstFrom(end)
    let i = after
    while (i > 0 && this.stays[i - 1].end > start) i--
    return this.stays.slice(i, after)
  }

  add(stay: Stay): void {
    this.stays.splice(this.firstFrom(stay.start), 0, stay)
  }

  /** Takes the stay of `kind` and `id` off the calendar (ids of bookings and of blocks are apart). */
  remove(id: number, kind: Stay['kind'] = 'booking'): Stay | undefined {
    const i = this.stays.findIndex((s) => s.id === id && s.kind === kind)
    return i < 0 ? undefined : this.stays.splice(i, 1)[0]
  }
}

/** Why [start, end) cannot be taken on `propertyId`: it overlaps `clash`, a booking or a block of the database. */
export function overlapReason(start: string, end: string, clash: Stay, propertyId: number): string {
  return `${start} → ${end} overlaps ${clash.kind} ${clash.id} (${clash.start} → ${clash.end}) of property ${propertyId}`
}

/** What frees the nights `clash` holds. */
export function overlapHint(clash: Stay): string {
  return clash.kind === 'block' ? `pick other dates or delete block ${clash.id}` : `pick other dates or cancel booking ${clash.id}`
}

/** `clash` as what an event or a stay overlapped. */
export function overlapOf(clash: Stay): CalendarOverlap {
  return {kind: clash.kind, id: clash.id ?? null, startDate: clash.start, endDate: clash.end}
}

/** The ConflictError (exit 5) of a stay or block [start, end) that overlaps `clash` on `propertyId`. */
export function overlapConflict(start: string, end: string, clash: Stay, propertyId: number): ConflictError {
  const details =
    clash.kind === 'block'
      ? {conflictingBlockId: clash.id, startDate: clash.start, endDate: clash.end}
      : {conflictingBookingId: clash.id, startDate: clash.start, endDate: clash.end}
  return new ConflictError(overlapReason(start, end, clash, propertyId), {suggestion: overlapHint(clash), details})
}

/**
 * Refuses [start, end) on `propertyId` (overlapConflict) when it overlaps a live stay of the
 * calendars loaded, `moving` aside: the stay being moved, which does not overlap itself. What
 * every writer of one stay (a booking or a block, made or moved) checks, under the guard.
 */
export function requireFree(
  loaded: Pick<LoadedCalendars, 'calendar'>,
  propertyId: number,
  start: string,
  end: string,
  moving?: {id: number; kind: Stay['kind']},
): void {
  const calendar = loaded.calendar(propertyId)
  if (moving) calendar.remove(moving.id, moving.kind)
  const clash = calendar.clash(start, end)
  if (clash) throw overlapConflict(start, end, clash, propertyId)
}

/** A stay to be booked: the loader reads what it could overlap. */
export interface WantedStay {
  propertyId: number
  start: string
  end: string
}

export interface LoadedCalendars {
  /** The calendar of a property (its live stays near the wanted ones; empty when none). */
  calendar(propertyId: number): Calendar
  /**
   * Every booking (any status) that starts inside a wanted span, and the live ones reaching
   * into one: what the rows must be checked against, natural keys included.
   */
  bookings: CalendarBooking[]
  /** Every block reaching into a wanted span. */
  blocks: CalendarBlock[]
}

/**
 * Raises the guard of each property (calendar_version, in id order so that two batches never
 * wait for each other in a cycle). Every transaction that adds or moves a live stay calls this
 * before it reads the calendar.
 */
export async function guardCalendars(ctx: ServiceContext, transaction: Transaction, propertyIds: number[]): Promise<void> {
  const ids = [...new Set(propertyIds)].sort((a, b) => a - b)
  for (let i = 0; i < ids.length; i += GUARD_CHUNK) {
    await ctx.db.sequelize.query('UPDATE properties SET calendar_version = calendar_version + 1 WHERE id IN (:ids)', {
      replacements: {ids: ids.slice(i, i + GUARD_CHUNK)},
      transaction,
      type: QueryTypes.BULKUPDATE,
    })
  }
}

/** Property ids per guard statement. */
const GUARD_CHUNK = 5000

/**
 * The loader: guards the properties of `wanted` (see guardCalendars), then reads their
 * bookings and blocks over the wanted spans and builds the calendars of their live stays.
 */
export async function loadCalendars(
  ctx: ServiceContext,
  transaction: Transaction,
  wanted: WantedStay[],
  options: {guard?: boolean} = {},
): Promise<LoadedCalendars> {
  // Unguarded (guard: false): a look that decides whether there is anything to write at all; a write that follows loads again, guarded.
  if (options.guard !== false) await guardCalendars(ctx, transaction, wanted.map((w) => w.propertyId))
  const wantedSpans = spans(wanted)
  const bookings = await bookingsInSpans(ctx, transaction, wantedSpans)
  const blocks = await blocksInSpans(ctx, transaction, wantedSpans)
  const calendars = new Map<number, Calendar>()
  const calendar = (propertyId: number) => {
    let c = calendars.get(propertyId)
    if (!c) calendars.set(propertyId, (c = new Calendar()))
    return c
  }
  for (const b of bookings) {
    if (isLiveBooking(b.status)) calendar(b.propertyId).add({kind: 'booking', start: b.startDate, end: b.endDate, id: b.id, guestId: b.guestId})
  }
  for (const b of blocks) calendar(b.propertyId).add({kind: 'block', start: b.startDate, end: b.endDate, id: b.id})
  return {calendar, bookings, blocks}
}

/** Days between two stays of one property under which the overlap query reads them as one span. */
const BRIDGED_GAP_DAYS = 31
/** Spans per query: SQLite allows expressions 1,000 deep, and each OR adds one level. */
const SPANS_PER_QUERY = 200
/** Spans whose dates (with the days before them) fit in this many days are read together… */
const GROUPED_WINDOW_DAYS = 92
/** …when there are at least this many of them, */
const MIN_GROUPED_SPANS = 50
/**
 * …by this many properties per query. An IN list of ids beside a range of dates stays below
 * MariaDB's in_predicate_conversion_threshold (1,000), at which it becomes a subquery joined by
 * property_id alone: every row of each property read instead of the range of dates.
 */
export const RANGED_IN_LIST = 999
const GROUPED_PROPERTIES_PER_QUERY = RANGED_IN_LIST

interface Span {
  propertyId: number
  from: string
  to: string
}

/** Per property, the stays merged into spans, bridging short gaps. */
function spans(stays: WantedStay[]): Span[] {
  const sorted = [...stays].sort((a, b) => a.propertyId - b.propertyId || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const out: Span[] = []
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
 * The bookings the stays of the spans must be checked against: every booking (any status) that
 * starts inside a span (the natural key of a row, and its overlaps), and the live booking that
 * starts before a span and reaches into it, if any. Live bookings of a property never overlap
 * one another (the rule this file keeps), so only the last live booking that starts before a
 * span can reach into it. The first query reads each span and the BRIDGED_GAP_DAYS before it (a
 * range of the (property_id, start_date) index, bounded on both sides, so a long history costs
 * nothing); a span with no live booking starting in those days gets a second, indexed lookup
 * of the last live booking before it.
 */
async function bookingsInSpans(ctx: ServiceContext, transaction: Transaction, wanted: Span[]): Promise<CalendarBooking[]> {
  const found = new Map<number, CalendarBooking>()
  const windows = wanted.map((span) => ({...span, before: addDays(span.from, -BRIDGED_GAP_DAYS), settled: false}))
  const byProperty = new Map<number, typeof windows>()
  for (const span of windows) {
    const list = byProperty.get(span.propertyId)
    if (list) list.push(span)
    else byProperty.set(span.propertyId, [span])
  }
  const take = (bookings: CalendarBooking[]) => {
    for (const b of bookings) {
      const span = byProperty.get(b.propertyId)?.find((s) => b.startDate >= s.before && b.startDate < s.to)
      if (!span) continue
      if (b.startDate >= span.from || b.endDate > span.from) found.set(b.id, b)
      // A live booking starting in the days before the span: no earlier one can reach into it.
      if (b.startDate < span.from && isLiveBooking(b.status)) span.settled = true
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
        await selectBookings(ctx, transaction, 'property_id IN (:ids) AND start_date >= :from AND start_date < :to', {
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
    take(await selectBookings(ctx, transaction, where, part.flatMap((s) => [s.propertyId, s.before, s.to])))
  }
  const open = windows.filter((span) => !span.settled)
  for (let i = 0; i < open.length; i += SPANS_PER_QUERY) {
    const part = open.slice(i, i + SPANS_PER_QUERY)
    // One row at most per span, tagged with the span's position in `part`.
    const last = part
      .map(
        (_, k) =>
          `SELECT ${k} AS span, b${k}.* FROM (${BOOKING_SELECT} WHERE property_id = ? AND start_date < ? AND ${liveBookingSql()}` +
          ` ORDER BY start_date DESC, end_date DESC LIMIT 1) AS b${k}`,
      )
      .join(' UNION ALL ')
    const rows = await ctx.db.sequelize.query<CalendarBooking & {span: number}>(last, {
      replacements: part.flatMap((s) => [s.propertyId, s.before]),
      transaction,
      type: QueryTypes.SELECT,
    })
    for (const row of rows) {
      const b = calendarBooking(row)
      if (b.endDate > part[Number(row.span)].from) found.set(b.id, b)
    }
  }
  return [...found.values()].sort((a, b) => a.id - b.id)
}

/** The columns of a CalendarBooking, for SELECTs of bookings elsewhere (import references). */
export const BOOKING_COLUMNS =
  'id, property_id AS propertyId, guest_id AS guestId, start_date AS startDate, end_date AS endDate, status, external_ref AS externalRef'

const BOOKING_SELECT = `SELECT ${BOOKING_COLUMNS} FROM bookings`

/** A row of BOOKING_COLUMNS as either driver returns it, typed. */
export function calendarBooking(b: CalendarBooking): CalendarBooking {
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

/** Bookings matching `where` (SQL over the bookings table), in id order. */
export async function selectBookings(
  ctx: ServiceContext,
  transaction: Transaction,
  where: string,
  replacements: Record<string, unknown> | unknown[],
): Promise<CalendarBooking[]> {
  const rows = await ctx.db.sequelize.query<CalendarBooking>(`${BOOKING_SELECT} WHERE ${where} ORDER BY id`, {
    replacements,
    transaction,
    type: QueryTypes.SELECT,
  })
  return rows.map(calendarBooking)
}

const BLOCK_SELECT =
  'SELECT id, property_id AS propertyId, start_date AS startDate, end_date AS endDate, reason, source_key AS sourceKey FROM blocks'

/**
 * The blocks reaching into the spans. Blocks of a property never overlap one another, so each
 * span is one range of the (property_id, end_date, start_date) index: those ending after its
 * first day, filtered in the index by their start. Many spans within a few weeks of one
 * another are read together by property id over their common dates (blocks outside a
 * property's own spans come along; they are real stays, and harmless on its calendar).
 */
async function blocksInSpans(ctx: ServiceContext, transaction: Transaction, wanted: Span[]): Promise<CalendarBlock[]> {
  const found = new Map<number, CalendarBlock>()
  const take = async (where: string, replacements: Record<string, unknown> | unknown[]) => {
    const rows = await ctx.db.sequelize.query<CalendarBlock>(`${BLOCK_SELECT} WHERE ${where}`, {replacements, transaction, type: QueryTypes.SELECT})
    for (const row of rows) found.set(Number(row.id), calendarBlock(row))
  }
  const sorted = [...wanted].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))
  const single: Span[] = []
  for (let i = 0; i < sorted.length; ) {
    const limit = addDays(sorted[i].from, GROUPED_WINDOW_DAYS)
    let j = i
    while (j < sorted.length && sorted[j].to <= limit) j++
    const group = sorted.slice(i, Math.max(j, i + 1))
    i += group.length
    if (group.length < MIN_GROUPED_SPANS) {
      single.push(...group)
      continue
    }
    const to = group.reduce((max, s) => (s.to > max ? s.to : max), group[0].to)
    const ids = [...new Set(group.map((s) => s.propertyId))].sort((a, b) => a - b)
    for (let k = 0; k < ids.length; k += GROUPED_PROPERTIES_PER_QUERY) {
      await take('property_id IN (:ids) AND end_date > :from AND start_date < :to', {ids: ids.slice(k, k + GROUPED_PROPERTIES_PER_QUERY), from: group[0].from, to})
    }
  }
  for (let i = 0; i < single.length; i += SPANS_PER_QUERY) {
    const part = single.slice(i, i + SPANS_PER_QUERY)
    const where = part.map(() => '(property_id = ? AND end_date > ? AND start_date < ?)').join(' OR ')
    await take(where, part.flatMap((s) => [s.propertyId, s.from, s.to]))
  }
  return [...found.values()].sort((a, b) => a.id - b.id)
}

/** A row of BLOCK_SELECT as either driver returns it, typed. */
function calendarBlock(b: CalendarBlock): CalendarBlock {
  return {
    id: Number(b.id),
    propertyId: Number(b.propertyId),
    startDate: dateOnly(b.startDate),
    endDate: dateOnly(b.endDate),
    reason: b.reason ?? '',
    sourceKey: b.sourceKey ?? null,
  }
}
