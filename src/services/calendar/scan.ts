/**
 * The first pass over a feed, before the iCalendar library sees it: unfolds lines (CRLF, LF
 * or CR; a continuation starts with a space or a tab), checks each content line's shape
 * (NAME[;PARAM=…]:VALUE), and cuts the calendar into its parts: the calendar's own properties,
 * its VTIMEZONEs and its VEVENTs, each with the line number (1-based, of the physical line)
 * where it begins. A malformed line is reported with its number and left out; so is a
 * component that never ends. The rest is parsed as usual: one bad line costs its event at
 * most, never the feed.
 */

export interface FeedProblem {
  /** The physical line (1-based) the problem is on or begins at; 0 for the whole feed. */
  line: number
  message: string
}

export interface ContentLine {
  line: number
  text: string
  /** The property name in upper case (BEGIN, DTSTART…). */
  name: string
  /** The value after the first unquoted colon. */
  value: string
}

export interface ScannedComponent {
  /** The line of its BEGIN. */
  line: number
  lines: ContentLine[]
  /** The malformed lines inside it (left out of `lines`). */
  malformed: number[]
}

export interface ScannedFeed {
  /** Whether a BEGIN:VCALENDAR was found at all (else it is no calendar: an HTML page, an error…). */
  isCalendar: boolean
  properties: ContentLine[]
  timezones: ScannedComponent[]
  events: ScannedComponent[]
  problems: FeedProblem[]
}

/** Physical lines unfolded into content lines, each with the number of its first physical line. */
function unfold(text: string): {line: number; text: string}[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)
  const out: {line: number; text: string}[] = []
  physical.forEach((raw, index) => {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && out.length > 0) out[out.length - 1].text += raw.slice(1)
    else out.push({line: index + 1, text: raw})
  })
  return out.filter((l) => l.text.trim() !== '')
}

const NAME = /^[A-Za-z0-9-]+/

/** NAME, params and value of a content line, or why it is no content line. */
export function splitContentLine(text: string): {name: string; value: string} | {error: string} {
  const name = NAME.exec(text)?.[0]
  if (!name) return {error: 'a content line starts with a property name (letters, digits, "-")'}
  let quoted = false
  for (let i = name.length; i < text.length; i++) {
    const c = text[i]
    if (i === name.length && c !== ';' && c !== ':') break
    if (c === '"') quoted = !quoted
    else if (c === ':' && !quoted) return {name: name.toUpperCase(), value: text.slice(i + 1)}
  }
  return {error: `no ":" after the property name ${name}`}
}

const shorten = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text)

type Collecting = {kind: string; component: ScannedComponent; depth: number}

/** Cuts the feed into the calendar's properties, VTIMEZONEs and VEVENTs (see the top of this file). */
export function scanFeed(text: string): ScannedFeed {
  const feed: ScannedFeed = {isCalendar: false, properties: [], timezones: [], events: [], problems: []}
  let inCalendar = false
  let open: Collecting | undefined
  for (const raw of unfold(text)) {
    const parsed = splitContentLine(raw.text)
    if ('error' in parsed) {
      feed.problems.push({line: raw.line, message: `malformed line "${shorten(raw.text)}": ${parsed.error}`})
      open?.component.malformed.push(raw.line)
      continue
    }
    const line: ContentLine = {line: raw.line, text: raw.text, ...parsed}
    const what = line.value.trim().toUpperCase()
    if (!inCalendar) {
      if (line.name === 'BEGIN' && what === 'VCALENDAR') inCalendar = feed.isCalendar = true
      else if (!feed.isCalendar) feed.problems.push({line: line.line, message: `"${shorten(line.text)}" before BEGIN:VCALENDAR; left out`})
      continue
    }
    if (open) {
      open.component.lines.push(line)
      if (line.name === 'BEGIN') open.depth++
      else if (line.name === 'END' && --open.depth === 0) {
        if (what !== open.kind) feed.problems.push({line: line.line, message: `END:${what} closes BEGIN:${open.kind} of line ${open.component.line}`})
        ;(open.kind === 'VTIMEZONE' ? feed.timezones : feed.events).push(open.component)
        open = undefined
      }
      continue
    }
    // Components other than VEVENT and VTIMEZONE (VTODO, VFREEBUSY…) are collected, then dropped.
    if (line.name === 'BEGIN') open = {kind: what, component: {line: line.line, lines: [line], malformed: []}, depth: 1}
    else if (line.name === 'END' && what === 'VCALENDAR') inCalendar = false
    else feed.properties.push(line)
  }
  if (open) feed.problems.push({line: open.component.line, message: `BEGIN:${open.kind} is never ended; left out`})
  if (!feed.isCalendar) feed.problems.unshift({line: 0, message: 'no BEGIN:VCALENDAR: this is not an iCalendar feed'})
  feed.events = feed.events.filter((event) => event.lines[0].value.trim().toUpperCase() === 'VEVENT')
  feed.timezones = feed.timezones.filter((tz) => tz.lines[0].value.trim().toUpperCase() === 'VTIMEZONE')
  return feed
}
