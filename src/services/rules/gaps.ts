/**
 * The free gaps of every calendar (table calendar_gaps), kept so that an availability search
 * reads a few index ranges of answers instead of probing every property for a stay
 * (properties.ts). A gap is a maximal run of nights [start, end) of a property on which no
 * live stay lies, a stay being what the calendar rule counts (rules/calendar.ts: a booking
 * that is not cancelled, or a block). Open ends are the sentinels OPEN_START (no stay before)
 * and OPEN_END (no stay after); a property without stays has one gap of both.
 *
 * span_class says which searches a gap can answer: OPEN_AFTER (open at its end: it holds
 * [S, E) iff start ≤ S), OPEN_BEFORE (iff end ≥ E), OPEN_BOTH (always), and for a finite gap
 * of n nights floor(log2(n)): such a gap is shorter than 2^(class+1) nights, so one holding
 * [S, E) starts in (E − 2^(class+1), S], a short range of the (span_class, start_date) index.
 *
 * One kernel (gapsWithin, pure) and one writer (refreshGaps), which every writer of stays calls
 * in its transaction after its writes. Those writers hold the calendar guard of the properties
 * (guardCalendars: calendar_version raised before reading), so two writers of one property's
 * gaps never interleave: the second reads the first's gaps and stays once it committed.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import {bulkInsert} from '../../db/bulk.js'
import {capabilities} from '../../db/capabilities.js'
import type {ServiceContext} from '../context.js'
import {addDays, dateOnly, daysBetween} from '../dates.js'
import {testPause} from '../../test-pause.js'
import {RANGED_IN_LIST, guardCalendars, liveBookingSql} from './calendar.js'

/**
 * The open ends. 1000-01-01 rather than 0001-01-01: the first day MySQL documents for DATE,
 * and before any stay (parseDate takes the years 1000 to 9999; a stay ends after it starts).
 */
export const OPEN_START = '1000-01-01'
export const OPEN_END = '9999-12-31'
/** The classes of the gaps with an open end. */
export const OPEN_AFTER = 99
export const OPEN_BEFORE = 98
export const OPEN_BOTH = 97
/** The largest class of a finite gap. */
const MAX_CLASS = log2(daysBetween(OPEN_START, OPEN_END))

export interface Span {
  start: string
  end: string
}

export interface Gap extends Span {
  spanClass: number
}

/** A gap row: a gap of a property. */
type GapOf = {propertyId: number; gap: Gap}

function log2(n: number): number {
  return 31 - Math.clz32(n)
}

/** The class of the gap [start, end) (see the top of this file). */
export function spanClass(start: string, end: string): number {
  if (start === OPEN_START) return end === OPEN_END ? OPEN_BOTH : OPEN_BEFORE
  if (end === OPEN_END) return OPEN_AFTER
  return log2(daysBetween(start, end))
}

/** Spans in the order of their first nights (ISO dates compare as text). */
const byStart = (a: Span, b: Span) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)

/**
 * The gaps inside `window` left by `stays` (in any order; overlapping ones are merged), each
 * cut at the window's edges. The caller's window ends where a stay or an open end does.
 */
export function gapsWithin(window: Span, stays: Span[]): Gap[] {
  const sorted = [...stays].sort(byStart)
  const gaps: Gap[] = []
  const add = (start: string, end: string) => gaps.push({start, end, spanClass: spanClass(start, end)})
  let from = window.start
  for (const stay of sorted) {
    if (stay.start >= window.end) break
    if (stay.start > from) add(from, stay.start)
    if (stay.end > from) from = stay.end
  }
  if (from < window.end) add(from, window.end)
  return gaps
}

/** The gaps of whole calendars: of each of `propertyIds`, from its live `stays` (for rows written in bulk: seeders, benches). */
export function calendarGaps(propertyIds: Iterable<number>, stays: (Span & {propertyId: number})[]): GapOf[] {
  const staysOf = byPropertyId(stays)
  const rows: GapOf[] = []
  for (const propertyId of propertyIds) {
    for (const gap of gapsWithin({start: OPEN_START, end: OPEN_END}, staysOf.get(propertyId) ?? [])) rows.push({propertyId, gap})
  }
  return rows
}

/**
 * SQL selecting the property_id of every gap that holds the whole stay [start, end): one OR
 * branch per class that can, each a range of the (span_class, start_date, end_date,
 * property_id) index (an open-start gap starts at OPEN_START, so it is a range too).
 * `quote` escapes a date.
 */
export function propertiesFreeSql(start: string, end: string, quote: (date: string) => string): string {
  const q = quote
  const branches = [
    `span_class = ${OPEN_BOTH}`,
    `(span_class = ${OPEN_BEFORE} AND start_date = ${q(OPEN_START)} AND end_date >= ${q(end)})`,
    `(span_class = ${OPEN_AFTER} AND start_date <= ${q(start)})`,
  ]
  const room = daysBetween(OPEN_START, end)
  for (let c = log2(daysBetween(start, end)); c <= MAX_CLASS; c++) {
    const after = 2 ** (c + 1) < room ? ` AND start_date > ${q(addDays(end, -(2 ** (c + 1))))}` : ''
    branches.push(`(span_class = ${c}${after} AND start_date <= ${q(start)} AND end_date >= ${q(end)})`)
  }
  return `SELECT property_id FROM calendar_gaps WHERE ${branches.join(' OR ')}`
}

/** Nights [start, end) of a property whose stays were added, removed or moved (old and new dates both). */
export interface StayChange {
  propertyId: number
  start: string
  end: string
  /**
   * Every live stay of the property overlapping [start, end) after the writes, when the caller
   * holds them (a calendar loaded over these nights under the guard, with the writes placed on
   * it): refreshGaps then does not read them. Given for some changes of a property but not
   * all, the property's stays are read.
   */
  stays?: Span[]
}

/** Windows whose dates lie within this many days are refreshed together, by property id… */
const GROUP_SPREAD_DAYS = 92
/** …this many properties a statement (an IN list beside a range of dates: see RANGED_IN_LIST). */
const GROUP_PROPERTIES = RANGED_IN_LIST
/** Gaps per INSERT. */
const ROWS_PER_INSERT = 1000

interface GapRow {
  propertyId: number | string
  start: unknown
  end: unknown
}

const typed = (row: GapRow) => ({propertyId: Number(row.propertyId), start: dateOnly(row.start), end: dateOnly(row.end)})

/**
 * Makes calendar_gaps right again after `changes`, in `transaction` (after the stays were
 * written, under their calendars' guard). Per property, each span of its changes is widened to
 * the gaps overlapping or touching it; the nights just outside lie on an unchanged stay (or an
 * open end), and the nights it gained are free, so the live stays overlapping the changes give
 * the gaps of the widened spans: those replace the old. The stays are the changes' own
 * (StayChange.stays) or read over the window of the property's changes. A property without any
 * gap row (made outside stayctl) gets its whole calendar computed. Properties whose windows lie
 * close together are done a group at a time, in a few statements (see refreshGroup). `bulk`:
 * write the new rows as imports write theirs (insertGaps).
 */
export async function refreshGaps(ctx: ServiceContext, transaction: Transaction, changes: StayChange[], options: {bulk?: boolean} = {}): Promise<void> {
  const windows = new Map<number, Span>()
  const given = new Map<number, Given | undefined>()
  for (const change of changes) {
    const start = dateOnly(change.start)
    const end = dateOnly(change.end)
    const w = windows.get(change.propertyId)
    if (!w) windows.set(change.propertyId, {start, end})
    else {
      if (start < w.start) w.start = start
      if (end > w.end) w.end = end
    }
    const known = given.has(change.propertyId) ? given.get(change.propertyId) : {spans: [], stays: []}
    if (known && change.stays) {
      known.spans.push({start, end})
      known.stays.push(...change.stays)
    }
    given.set(change.propertyId, known && change.stays ? known : undefined)
  }
  const sorted = [...windows.entries()].sort((a, b) => byStart(a[1], b[1]))
  // The groups' new gaps, inserted together once every group's old ones are deleted.
  const rows: GapOf[] = []
  for (let i = 0; i < sorted.length; ) {
    const limit = addDays(sorted[i][1].start, GROUP_SPREAD_DAYS)
    let end = sorted[i][1].end
    let j = i + 1
    while (j < sorted.length && j - i < GROUP_PROPERTIES && sorted[j][1].end <= limit && end <= limit) {
      if (sorted[j][1].end > end) end = sorted[j][1].end
      j++
    }
    rows.push(...(await refreshGroup(ctx, transaction, sorted.slice(i, j).map(([id]) => id), {start: sorted[i][1].start, end}, given)))
    i = j
  }
  await insertGaps(ctx, transaction, rows, options.bulk)
}

/** The changed spans of a property whose every change came with its stays, and those stays. */
interface Given {
  spans: Span[]
  stays: Span[]
}

/**
 * The gaps of `ids` over the common window `w` (each property's changes lie inside it): reads
 * the gaps touching it and the live stays overlapping it (of the properties without `given`
 * stays), deletes those gaps and returns the new ones (newGaps).
 */
async function refreshGroup(ctx: ServiceContext, transaction: Transaction, ids: number[], w: Span, given: Map<number, Given | undefined>): Promise<GapOf[]> {
  const sql = ctx.db.sequelize
  const select = <T extends object>(query: string, replacements: Record<string, unknown>) =>
    sql.query<T>(query, {replacements, transaction, type: QueryTypes.SELECT})
  const touching = 'property_id IN (:ids) AND end_date >= :start AND start_date <= :end'
  const columns = 'property_id AS propertyId, start_date AS start, end_date AS end'
  // Where the engine can, the gaps touching W are deleted as they are read (one statement, not two).
  const returning = (await capabilities(ctx.db, transaction)).deleteReturning
  const query = returning ? `DELETE FROM calendar_gaps WHERE ${touching} RETURNING ${columns}` : `SELECT ${columns} FROM calendar_gaps WHERE ${touching}`
  const touched = byPropertyId((await select<GapRow>(query, {ids, ...w})).map(typed))
  // No gap touches W: its nights are all taken, or the property has no gap row yet (then all of it is computed).
  const untouched = ids.filter((id) => !touched.has(id))
  const known = new Set(
    untouched.length === 0
      ? []
      : (await select<{id: number}>('SELECT p.id FROM properties p WHERE p.id IN (:untouched) AND EXISTS (SELECT 1 FROM calendar_gaps g WHERE g.property_id = p.id)', {untouched})).map((r) => Number(r.id)),
  )
  const fresh = new Set(untouched.filter((id) => !known.has(id)))
  const read = ids.filter((id) => !given.get(id) && !fresh.has(id))
  const stays = read.length === 0 ? [] : await liveStays(ctx, transaction, 'property_id IN (:read) AND end_date > :start AND start_date < :end', {read, ...w})
  if (fresh.size > 0) stays.push(...(await liveStays(ctx, transaction, 'property_id IN (:fresh)', {fresh: [...fresh]})))
  // Between reading the gaps and stays and writing the new gaps: what the calendar guard keeps other writers out of.
  await testPause('gaps.refresh.read')
  if (touched.size > 0 && !returning) await sql.query(`DELETE FROM calendar_gaps WHERE ${touching}`, {replacements: {ids, ...w}, transaction})
  const staysOf = byPropertyId(stays)
  const rows: GapOf[] = []
  for (const id of ids) {
    const whole = fresh.has(id) ? [{start: OPEN_START, end: OPEN_END}] : undefined
    const own = given.get(id)
    const gaps = own && !whole ? newGaps(own.spans, touched.get(id) ?? [], own.stays) : newGaps(whole ?? [w], touched.get(id) ?? [], staysOf.get(id) ?? [])
    for (const gap of gaps) rows.push({propertyId: id, gap})
  }
  return rows
}

/**
 * The gaps that replace `old` (a property's gaps touching some of the window of `covered`),
 * from `stays`: every live stay overlapping `covered`, spans that hold the property's changes.
 * Each span and the old gaps touching it make one stretch; stretches that overlap or touch are
 * one, whose edges lie on unchanged stays (or open ends), so its gaps are those of the stays
 * overlapping it, which all overlap `covered` (its other nights were free and stayed so). An
 * old gap touching no span is unchanged: it comes back as it was.
 */
function newGaps(covered: Span[], old: Span[], stays: Span[]): Gap[] {
  const touches = (gap: Span) => covered.some((c) => gap.end >= c.start && gap.start <= c.end)
  const stretches = [...covered, ...old.filter(touches)].sort(byStart)
  const gaps = old.filter((gap) => !touches(gap)).map((gap) => ({...gap, spanClass: spanClass(gap.start, gap.end)}))
  let from = 0
  while (from < stretches.length) {
    const stretch = {...stretches[from]}
    let next = from + 1
    for (; next < stretches.length && stretches[next].start <= stretch.end; next++) if (stretches[next].end > stretch.end) stretch.end = stretches[next].end
    gaps.push(...gapsWithin(stretch, stays))
    from = next
  }
  return gaps
}

function byPropertyId<T extends {propertyId: number}>(rows: T[]): Map<number, T[]> {
  const map = new Map<number, T[]>()
  for (const row of rows) {
    const list = map.get(row.propertyId)
    if (list) list.push(row)
    else map.set(row.propertyId, [row])
  }
  return map
}

/** The live stays (bookings and blocks: rules/calendar.ts) matching `where`. */
async function liveStays(ctx: ServiceContext, transaction: Transaction, where: string, replacements: Record<string, unknown>) {
  const columns = 'property_id AS propertyId, start_date AS start, end_date AS end'
  const rows = await ctx.db.sequelize.query<GapRow>(
    `SELECT ${columns} FROM bookings WHERE ${where} AND ${liveBookingSql()} UNION ALL SELECT ${columns} FROM blocks WHERE ${where}`,
    {replacements, transaction, type: QueryTypes.SELECT},
  )
  return rows.map(typed)
}

/**
 * Writes gap rows: multi-row INSERTs, or with `bulk` (imports, which need it anyway) the bulk
 * writer of imports (db/bulk.ts: LOAD DATA LOCAL INFILE on MySQL, faster for thousands of rows).
 */
async function insertGaps(ctx: ServiceContext, transaction: Transaction, rows: GapOf[], bulk = false): Promise<void> {
  const cells = (r: GapOf) => [r.propertyId, r.gap.start, r.gap.end, r.gap.spanClass]
  if (bulk && rows.length > 0) {
    const columns = ['property_id', 'start_date', 'end_date', 'span_class']
    await bulkInsert(ctx.db, transaction, {table: 'calendar_gaps', columns, rows: {length: rows.length, at: (i) => (i < rows.length ? cells(rows[i]) : undefined)}, uniqueKeys: []})
    return
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const part = rows.slice(i, i + ROWS_PER_INSERT)
    await ctx.db.sequelize.query(`INSERT INTO calendar_gaps (property_id, start_date, end_date, span_class) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`, {
      replacements: part.flatMap(cells),
      transaction,
    })
  }
}

/** The one gap of new properties (no stays yet): every night is free. */
export async function openCalendars(ctx: ServiceContext, transaction: Transaction, propertyIds: number[]): Promise<void> {
  await insertGaps(ctx, transaction, propertyIds.map((propertyId) => ({propertyId, gap: {start: OPEN_START, end: OPEN_END, spanClass: OPEN_BOTH}})))
}

/** A property whose gap rows differ from what its stays give. */
export interface GapDisagreement {
  propertyId: number
  expected: Gap[]
  found: Gap[]
}

/**
 * Every property whose calendar_gaps rows are not the gaps of its live stays, computed from
 * scratch (reads every stay: for tests and `db doctor`).
 */
export async function gapDisagreements(ctx: ServiceContext, transaction?: Transaction): Promise<GapDisagreement[]> {
  const select = <T extends object>(query: string) => ctx.db.sequelize.query<T>(query, {transaction, type: QueryTypes.SELECT})
  const ids = (await select<{id: number}>('SELECT id FROM properties ORDER BY id')).map((r) => Number(r.id))
  const stays = await liveStays(ctx, transaction!, '1 = 1', {})
  const gaps = await select<GapRow & {spanClass: number}>('SELECT property_id AS propertyId, start_date AS start, end_date AS end, span_class AS spanClass FROM calendar_gaps')
  const staysOf = byPropertyId(stays)
  const gapsOf = byPropertyId(gaps.map((g) => ({...typed(g), spanClass: Number(g.spanClass)})))
  const out: GapDisagreement[] = []
  const known = new Set(ids)
  for (const id of new Set([...ids, ...gapsOf.keys()])) {
    const expected = known.has(id) ? gapsWithin({start: OPEN_START, end: OPEN_END}, staysOf.get(id) ?? []) : []
    const found = (gapsOf.get(id) ?? []).map(({start, end, spanClass}) => ({start, end, spanClass})).sort(byStart)
    if (JSON.stringify(expected) !== JSON.stringify(found)) out.push({propertyId: id, expected, found})
  }
  return out
}

/**
 * The properties that have no gap row at all, by id: made outside stayctl (raw SQL, a restore
 * of properties without their gaps), an availability search misses them until a stay of theirs
 * is written (refreshGaps then computes the whole calendar). One anti-join on the primary keys.
 */
export async function calendarsWithoutGaps(ctx: ServiceContext, transaction?: Transaction): Promise<number[]> {
  const rows = await ctx.db.sequelize.query<{id: number}>(
    'SELECT p.id FROM properties p WHERE NOT EXISTS (SELECT 1 FROM calendar_gaps g WHERE g.property_id = p.id) ORDER BY p.id',
    {transaction, type: QueryTypes.SELECT},
  )
  return rows.map((r) => Number(r.id))
}

/** Properties a repair does per transaction (an IN list of the guard, then refreshGaps' group). */
export const REPAIR_CHUNK = GROUP_PROPERTIES

/**
 * Gives `propertyIds` (at most REPAIR_CHUNK) their gap rows again, in `transaction`, under
 * their calendars' guard like every writer of gaps: a change of one night at OPEN_START makes
 * refreshGaps compute the whole calendar of a property without gap rows, and leaves right the
 * gaps of one that got them meanwhile.
 */
export async function repairCalendars(ctx: ServiceContext, transaction: Transaction, propertyIds: number[]): Promise<void> {
  await guardCalendars(ctx, transaction, propertyIds)
  await refreshGaps(
    ctx,
    transaction,
    propertyIds.map((propertyId) => ({propertyId, start: OPEN_START, end: addDays(OPEN_START, 1)})),
  )
}
