/**
 * Calendars in and out of a listing: the export feed of its live bookings and blocks, the
 * import of another channel's feed into blocks (a file's text or a URL fetched here), and the
 * sync of every registered feed (for cron). The parsing is parse.ts's, the writing of blocks
 * the blocks' sync (blocks-seam.ts): an event overlapping one of our bookings or blocks is a
 * conflict, reported and not written, and the rest is applied.
 *
 * Outcomes (the commands' exit codes): conflicts → 5 (CONFLICT) after the rest is applied;
 * otherwise problems (malformed lines or events, left out) → 8 (IMPORT_REJECTED); a text that
 * is no calendar at all → 3, nothing written (an error page must not empty the blocks).
 */
import {Op} from 'sequelize'

import {ValidationError} from '../../errors.js'
import {requireUser, actorUserId, isAdmin} from '../authz.js'
import type {ServiceContext} from '../context.js'
import {addDays, dateOnly, daysBetween, today} from '../dates.js'
import {MAX_BLOCK_NIGHTS, blockRanges, keptEvents, syncBlocks, type SourceEvent, type SyncConflict, type SyncResult} from './blocks-seam.js'
import {fetchFeed, showUrl, type FetchOptions} from './fetch.js'
import {hostedProperty, feedView, type CalendarFeedView} from './manage.js'
import type {FeedProblem, ParsedFeed} from './parse.js'
import {renderFeed, type FeedRange} from './render.js'

/** Bookings and blocks that ended more than this many days ago are left out of the export. */
export const EXPORT_PAST_DAYS = 30
/** What a block's reason keeps of an event's SUMMARY. */
const MAX_REASON = 200
/** The longest UID a block keeps (blocks.source_uid). */
const MAX_UID = 255

export interface CalendarExport {
  propertyId: number
  /** Events in the feed. */
  events: number
  /** The VCALENDAR text. */
  ics: string
}

/** The ranges of the export feed: live bookings and blocks ending on or after `from`. */
export async function feedRanges(ctx: ServiceContext, propertyId: number, from: string): Promise<FeedRange[]> {
  const bookings = await ctx.db.models.Booking.findAll({
    attributes: ['id', 'startDate', 'endDate', 'updatedAt'],
    where: {propertyId, status: {[Op.ne]: 'cancelled'}, endDate: {[Op.gte]: from}},
  })
  const booked: FeedRange[] = bookings.map((b) => ({kind: 'booking', id: b.id, start: dateOnly(b.startDate), end: dateOnly(b.endDate), updatedAt: b.updatedAt}))
  return [...booked, ...(await blockRanges(ctx, propertyId, from))]
}

/** The listing's feed as text (what `stayctl serve` publishes at its secret URLs). */
export async function exportCalendar(ctx: ServiceContext, input: {property: string | number}): Promise<CalendarExport> {
  const property = await hostedProperty(ctx, input.property, 'export its calendar')
  const ranges = await feedRanges(ctx, property.id, addDays(today(), -EXPORT_PAST_DAYS))
  return {propertyId: property.id, events: ranges.length, ics: renderFeed({id: property.id, name: property.name}, ranges)}
}

/** A server fetches only public addresses for callers through the API who are not admins (local runs are operators). */
const publicOnly = (ctx: ServiceContext) => ctx.via === 'graphql' && !isAdmin(ctx)

export interface ImportCalendarInput {
  property: string | number
  /** The feed's URL, fetched here (by the server, in remote mode). */
  url?: string
  /** Or the feed's text (a file the CLI read), with the file's name: the source is `file:<name>`. */
  ics?: string
  fileName?: string
  dryRun?: boolean
  timeoutMs?: number
  maxBytes?: number
}

export interface ImportCalendarResult {
  propertyId: number
  /** The blocks' source: the URL, or file:<name>. */
  source: string
  dryRun: boolean
  /** Ranges the feed gave (occurrences of recurring events counted one by one). */
  events: number
  added: number
  moved: number
  removed: number
  unchanged: number
  conflicts: SyncConflict[]
  problems: FeedProblem[]
}

function sourceOf(input: ImportCalendarInput): string {
  if ((input.url === undefined) === (input.ics === undefined)) throw new ValidationError('give the feed as a URL or as the text of a file, one of them', {details: {field: 'ics'}})
  if (input.url !== undefined) return input.url
  const name = String(input.fileName ?? '').trim().split(/[\\/]/).pop() || 'calendar.ics'
  return `file:${name}`
}

/**
 * Applies a feed's text to a listing's blocks of `source`. Events the feed could not say
 * clearly (problems) keep the blocks they had: a bad line must not free nights.
 */
export async function applyFeed(ctx: ServiceContext, propertyId: number, source: string, text: string, dryRun = false): Promise<ImportCalendarResult> {
  // ical.js loads only for the commands that read feeds, not at every start-up.
  const {parseFeed} = await import('./parse.js')
  const parsed = parseFeed(text)
  if (!parsed.isCalendar) {
    throw new ValidationError(`${source.startsWith('file:') ? source.slice(5) : showUrl(source)} is no iCalendar feed (no BEGIN:VCALENDAR); nothing changed`, {
      details: {field: 'ics'},
    })
  }
  const {events, problems, troubled} = blockable(parsed)
  const given = new Set(events.map((e) => e.uid))
  const kept = (await keptEvents(ctx, propertyId, source, troubled)).filter((e) => !given.has(e.uid))
  const result: SyncResult = await syncBlocks(ctx, {property: propertyId, source, events: [...events, ...kept], dryRun})
  return {
    propertyId,
    source,
    dryRun,
    events: parsed.events.length,
    added: result.added.length,
    moved: result.moved.length,
    removed: result.removed.length,
    unchanged: result.unchanged.length - kept.length,
    conflicts: result.conflicts,
    problems,
  }
}

/** The events a block can hold (UID ≤ 255 characters, ≤ MAX_BLOCK_NIGHTS nights); the others are problems. */
function blockable(parsed: ParsedFeed) {
  const problems = [...parsed.problems]
  const troubled = [...parsed.troubledUids]
  const events: SourceEvent[] = []
  for (const e of parsed.events) {
    const nights = daysBetween(e.start, e.end)
    const why = e.uid.length > MAX_UID ? `its UID is over ${MAX_UID} characters` : nights > MAX_BLOCK_NIGHTS ? `${nights} nights are more than a block holds (${MAX_BLOCK_NIGHTS})` : undefined
    if (why) {
      problems.push({line: e.line, message: `event ${e.uid.slice(0, 80)} left out: ${why}`})
      troubled.push(e.uid.split('#')[0])
    } else events.push({uid: e.uid, start: e.start, end: e.end, reason: e.summary.slice(0, MAX_REASON)})
  }
  return {events, problems: problems.sort((a, b) => a.line - b.line), troubled}
}

/** Imports a feed (a URL or a file's text) into the listing's blocks: see the top of this file. */
export async function importCalendar(ctx: ServiceContext, input: ImportCalendarInput): Promise<ImportCalendarResult> {
  const source = sourceOf(input)
  const property = await hostedProperty(ctx, input.property, 'import into its calendar')
  let text = input.ics
  if (input.url !== undefined) {
    const fetched = await fetchFeed(input.url, {timeoutMs: input.timeoutMs, maxBytes: input.maxBytes, publicOnly: publicOnly(ctx)})
    if (fetched.notModified) throw new ValidationError('the feed answered 304 to a GET without conditions')
    text = fetched.text
  } else if (Buffer.byteLength(text ?? '') > (input.maxBytes ?? 5 * 1024 * 1024)) {
    throw new ValidationError(`the feed is over ${input.maxBytes ?? 5 * 1024 * 1024} bytes`, {details: {field: 'maxBytes'}})
  }
  return applyFeed(ctx, property.id, input.url ?? source, text!, input.dryRun)
}

export interface SyncedFeed extends CalendarFeedView {
  status: 'synced' | 'not-modified' | 'failed'
  error: string | null
  result: ImportCalendarResult | null
}

export interface SyncCalendarsResult {
  feeds: SyncedFeed[]
}

/** One registered feed: fetched with its stored validators, applied, its validators kept. */
async function syncOne(ctx: ServiceContext, feed: Awaited<ReturnType<typeof registeredFeeds>>[number], options: FetchOptions): Promise<SyncedFeed> {
  try {
    const fetched = await fetchFeed(feed.url, {...options, etag: feed.etag, lastModified: feed.lastModified, publicOnly: publicOnly(ctx)})
    if (fetched.notModified) {
      await feed.update({lastSyncedAt: new Date()})
      return {...feedView(feed), status: 'not-modified', error: null, result: null}
    }
    const result = await applyFeed(ctx, Number(feed.propertyId), feed.url, fetched.text)
    // A feed that left events out (conflicts, problems) is fetched in full next time, and reported again: never a 304 that hides them.
    const clean = result.conflicts.length === 0 && result.problems.length === 0
    await feed.update({lastSyncedAt: new Date(), etag: clean ? (fetched.etag?.slice(0, 255) ?? null) : null, lastModified: clean ? (fetched.lastModified?.slice(0, 64) ?? null) : null})
    return {...feedView(feed), status: 'synced', error: null, result}
  } catch (error) {
    return {...feedView(feed), status: 'failed', error: error instanceof Error ? error.message : String(error), result: null}
  }
}

/** The feeds a sync runs: of one listing, or (admins) of all, or those of the caller's listings. */
async function registeredFeeds(ctx: ServiceContext, property: string | number | undefined) {
  const {CalendarFeed, Property} = ctx.db.models
  if (property !== undefined) {
    const found = await hostedProperty(ctx, property, 'sync its calendar')
    return CalendarFeed.findAll({where: {propertyId: found.id}, order: [['id', 'ASC']]})
  }
  requireUser(ctx, 'sync calendars')
  if (isAdmin(ctx)) return CalendarFeed.findAll({order: [['id', 'ASC']]})
  const owned = await Property.findAll({attributes: ['id'], where: {ownerId: actorUserId(ctx)!}})
  return CalendarFeed.findAll({where: {propertyId: owned.map((p) => p.id)}, order: [['id', 'ASC']]})
}

/**
 * Pulls every registered feed once (conditional GET with the stored ETag/Last-Modified) and
 * applies it; one feed failing (unreachable, no calendar) does not stop the others.
 */
export async function syncCalendars(ctx: ServiceContext, input: {property?: string | number; timeoutMs?: number; maxBytes?: number} = {}): Promise<SyncCalendarsResult> {
  const feeds = await registeredFeeds(ctx, input.property)
  const out: SyncedFeed[] = []
  for (const feed of feeds) out.push(await syncOne(ctx, feed, {timeoutMs: input.timeoutMs, maxBytes: input.maxBytes}))
  return {feeds: out}
}
