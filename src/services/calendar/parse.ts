/**
 * The import feed: another channel's calendar turned into ranges of nights (YYYY-MM-DD, end
 * exclusive, as our stays). Pure: no database, no network. Parsed with ical.js (Mozilla's
 * iCalendar library: no dependencies, RRULE/EXDATE/RDATE and RECURRENCE-ID handling), after
 * scan.ts has unfolded the lines and put malformed ones aside, so that one bad line or event
 * costs only itself and is reported with its line number.
 *
 * Nights of an event:
 * - all-day (VALUE=DATE): DTSTART to DTEND as written (DTEND is exclusive, like a check-out);
 *   no DTEND: one night (or DURATION's days);
 * - timed: from the local date of DTSTART to the local date of DTEND, at least one night. The
 *   local date is the wall-clock date the event is written in: its TZID (with or without a
 *   VTIMEZONE; an IANA name or not, the date written is the date meant) or floating; a UTC time
 *   (…Z) is taken to the calendar's X-WR-TIMEZONE when it names an IANA zone (Intl), else UTC.
 * - RRULE/RDATE: every occurrence from HORIZON_PAST_DAYS before today to HORIZON_FUTURE_DAYS
 *   after (EXDATEs left out, RECURRENCE-ID overrides applied), each its own event with the UID
 *   `<UID>#<date of the occurrence>`; at most MAX_OCCURRENCES per event.
 * - STATUS:CANCELLED (the event, or one occurrence's override): no nights.
 */
import ICAL from 'ical.js'

import {addDays, today} from '../dates.js'
import {scanFeed, type FeedProblem, type ScannedComponent} from './scan.js'

export type {FeedProblem} from './scan.js'

/** One range of nights of the feed. */
export interface FeedEvent {
  /** The event's UID; `UID#YYYY-MM-DD` for one occurrence of a recurring event. */
  uid: string
  start: string
  end: string
  summary: string
  /** The line of the event's BEGIN:VEVENT. */
  line: number
}

export interface ParsedFeed {
  /** Whether the text is an iCalendar feed at all (a BEGIN:VCALENDAR). */
  isCalendar: boolean
  events: FeedEvent[]
  problems: FeedProblem[]
  /** UIDs of events that had a problem: what a sync must not take as removed from the feed. */
  troubledUids: string[]
}

export interface Horizon {
  from: string
  to: string
}

export const HORIZON_PAST_DAYS = 365
export const HORIZON_FUTURE_DAYS = 730
export const MAX_OCCURRENCES = 1000
/** Steps of a recurrence walked at most (a daily rule since 1990 takes ~13,000 to reach today). */
const MAX_STEPS = 50_000

/** From HORIZON_PAST_DAYS before today to HORIZON_FUTURE_DAYS after. */
export function defaultHorizon(on = today()): Horizon {
  return {from: addDays(on, -HORIZON_PAST_DAYS), to: addDays(on, HORIZON_FUTURE_DAYS)}
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** An IANA zone Intl knows, or undefined. */
function knownZone(name: string | undefined): string | undefined {
  if (!name) return undefined
  try {
    new Intl.DateTimeFormat('en-CA', {timeZone: name})
    return name
  } catch {
    return undefined
  }
}

interface Context {
  /** The calendar's X-WR-TIMEZONE, when Intl knows it: where UTC times are taken. */
  zone?: string
  horizon: Horizon
  problems: FeedProblem[]
}

/** The local date (see the top of this file) of a DTSTART, DTEND or occurrence. */
function localDate(time: ICAL.Time, utcValues: boolean, ctx: Context): string {
  if (!time.isDate && utcValues && ctx.zone) {
    const instant = new Date(Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second))
    return new Intl.DateTimeFormat('en-CA', {timeZone: ctx.zone, year: 'numeric', month: '2-digit', day: '2-digit'}).format(instant)
  }
  return `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}`
}

/** The nights of an event from its start and end times. */
function nights(start: ICAL.Time, end: ICAL.Time | null, utcValues: boolean, ctx: Context): {start: string; end: string} {
  const from = localDate(start, utcValues, ctx)
  const to = end ? localDate(end, utcValues, ctx) : from
  return {start: from, end: to > from ? to : addDays(from, 1)}
}

const isCancelled = (component: ICAL.Component) => String(component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED'

const summaryOf = (component: ICAL.Component) => String(component.getFirstPropertyValue('summary') ?? '').trim()

/** The end an event states: DTEND, or DTSTART + DURATION, or none. */
function statedEnd(event: ICAL.Event): ICAL.Time | null {
  const component = event.component
  if (component.hasProperty('dtend') || component.hasProperty('duration')) return event.endDate
  return null
}

/** Whether the event's times are UTC (…Z) rather than in a TZID or floating. */
function writtenInUtc(event: ICAL.Event): boolean {
  const dtstart = event.component.getFirstProperty('dtstart')
  return !dtstart?.getParameter('tzid') && event.startDate.zone === ICAL.Timezone.utcTimezone
}

/** The occurrences of a recurring event within the horizon. */
function occurrences(event: ICAL.Event, uid: string, line: number, ctx: Context): FeedEvent[] {
  const out: FeedEvent[] = []
  const utc = writtenInUtc(event)
  const iterator = event.iterator()
  for (let steps = 0; ; steps++) {
    const next = iterator.next()
    if (!next) break
    if (steps >= MAX_STEPS || out.length >= MAX_OCCURRENCES) {
      ctx.problems.push({line, message: `event ${uid}: recurrence cut after ${out.length} occurrences (at most ${MAX_OCCURRENCES} within the horizon)`})
      break
    }
    const details = event.getOccurrenceDetails(next)
    const range = nights(details.startDate, details.endDate, utc, ctx)
    if (range.start >= ctx.horizon.to) break
    if (range.end <= ctx.horizon.from || isCancelled(details.item.component)) continue
    const occurrence = localDate(details.recurrenceId, utc, ctx)
    out.push({uid: `${uid}#${occurrence}`, ...range, summary: summaryOf(details.item.component) || summaryOf(event.component), line})
  }
  return out
}

/** The ranges of one UID's VEVENTs (the event and its RECURRENCE-ID overrides), parsed together. */
function eventsOfUid(uid: string, parts: ScannedComponent[], timezones: ScannedComponent[], ctx: Context): FeedEvent[] {
  const line = parts[0].line
  const text = ['BEGIN:VCALENDAR', 'VERSION:2.0', ...[...timezones, ...parts].flatMap((c) => c.lines.map((l) => l.text)), 'END:VCALENDAR'].join('\r\n')
  const components = new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent')
  const master = components.find((c) => !c.hasProperty('recurrence-id')) ?? components[0]
  const event = new ICAL.Event(master, {exceptions: components.filter((c) => c !== master && c.hasProperty('recurrence-id'))})
  if (!master.hasProperty('dtstart') || !event.startDate) throw new Error('it has no DTSTART')
  if (isCancelled(master)) return []
  const end = statedEnd(event)
  if (end && end.compare(event.startDate) < 0) throw new Error('it ends (DTEND) before it starts (DTSTART)')
  if (event.isRecurring()) return occurrences(event, uid, line, ctx)
  return [{uid, ...nights(event.startDate, end, writtenInUtc(event), ctx), summary: summaryOf(master), line}]
}

/** Why ical.js refused an event, in a sentence. */
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 200)

const VALUED = new Set(['DTSTART', 'DTEND', 'DURATION', 'RRULE', 'RDATE', 'EXDATE', 'RECURRENCE-ID'])

/** The first date, duration or rule line of `parts` whose value ical.js cannot read (it reads values lazily, without saying where). */
function badValueLine(parts: ScannedComponent[]): number | undefined {
  for (const line of parts.flatMap((p) => p.lines)) {
    if (!VALUED.has(line.name)) continue
    try {
      const component = new ICAL.Component(ICAL.parse(['BEGIN:VEVENT', line.text, 'END:VEVENT'].join('\r\n')))
      for (const value of component.getFirstProperty(line.name.toLowerCase())?.getValues() ?? []) String(value)
    } catch {
      return line.line
    }
  }
  return undefined
}

/**
 * Parses a feed into ranges of nights (see the top of this file). Never throws on bad
 * content: malformed lines and events are in `problems` with their line numbers, and left out.
 */
export function parseFeed(text: string, options: {horizon?: Horizon} = {}): ParsedFeed {
  const scanned = scanFeed(text)
  const xwr = scanned.properties.find((p) => p.name === 'X-WR-TIMEZONE')?.value.trim()
  const ctx: Context = {zone: knownZone(xwr), horizon: options.horizon ?? defaultHorizon(), problems: scanned.problems}
  if (xwr && !ctx.zone) ctx.problems.push({line: scanned.properties.find((p) => p.name === 'X-WR-TIMEZONE')!.line, message: `X-WR-TIMEZONE "${xwr}" is no time zone known here; UTC times are taken as UTC dates`})
  const byUid = new Map<string, ScannedComponent[]>()
  const troubled: string[] = []
  for (const component of scanned.events) {
    const uid = component.lines.find((l) => l.name === 'UID')?.value.trim()
    if (!uid) {
      ctx.problems.push({line: component.line, message: 'event without a UID; left out'})
      continue
    }
    const parts = byUid.get(uid) ?? []
    const isOverride = component.lines.some((l) => l.name === 'RECURRENCE-ID')
    if (!isOverride && parts.some((p) => !p.lines.some((l) => l.name === 'RECURRENCE-ID'))) {
      ctx.problems.push({line: component.line, message: `second event with the UID ${uid} (first at line ${parts[0].line}); left out`})
      continue
    }
    byUid.set(uid, [...parts, component])
  }
  const events: FeedEvent[] = []
  const seen = new Set<string>()
  for (const [uid, parts] of byUid) {
    const malformed = parts.flatMap((p) => p.malformed)
    if (malformed.length > 0) {
      troubled.push(uid)
      ctx.problems.push({line: parts[0].line, message: `event ${uid} left out: its line ${malformed.join(', ')} is malformed`})
      continue
    }
    try {
      for (const event of eventsOfUid(uid, parts, scanned.timezones, ctx)) {
        if (seen.has(event.uid)) continue
        seen.add(event.uid)
        events.push(event)
      }
    } catch (error) {
      troubled.push(uid)
      const at = badValueLine(parts)
      ctx.problems.push({line: at ?? parts[0].line, message: `event ${uid} (line ${parts[0].line}) left out: ${reason(error)}`})
    }
  }
  ctx.problems.sort((a, b) => a.line - b.line)
  return {isCalendar: scanned.isCalendar, events: events.sort((a, b) => a.start.localeCompare(b.start) || a.uid.localeCompare(b.uid)), problems: ctx.problems, troubledUids: troubled}
}
