/**
 * The export feed: a listing's busy nights (live bookings and blocks) as an RFC 5545 calendar.
 * Pure: no database. What another channel needs and nothing more: all-day events whose DTEND
 * is the check-out day (exclusive, as ours), stable UIDs, "Reserved" or "Blocked" — never a
 * guest's name, email or anything else about them, nor a block's reason (it may name people).
 *
 * The body depends only on the rows (DTSTAMP and LAST-MODIFIED are the rows' update times, not
 * the time of the request), so the same calendar gives the same bytes and the same ETag.
 */

/** One busy range of the listing: nights from start to end (exclusive), YYYY-MM-DD. */
export interface FeedRange {
  kind: 'booking' | 'block'
  id: number
  start: string
  end: string
  /** When the row last changed (DTSTAMP and LAST-MODIFIED); default the Unix epoch. */
  updatedAt?: Date | string | null
}

export interface FeedProperty {
  id: number
  name: string
}

export interface RenderOptions {
  /** The right-hand side of the UIDs (`booking-42@HOST`); default "stayctl". */
  host?: string
}

export const PRODID = '-//stayctl//Calendar Export 1.0//EN'

const SUMMARY: Record<FeedRange['kind'], string> = {booking: 'Reserved', block: 'Blocked'}

/** A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks. */
export function escapeText(text: string): string {
  return text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, '\\n')
}

/**
 * A content line folded at 75 octets (RFC 5545 §3.1): each continuation starts with a space,
 * which counts in its 75; never inside a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= 75) return line
  const parts: string[] = []
  let current = ''
  let size = 0
  for (const char of line) {
    const bytes = Buffer.byteLength(char, 'utf8')
    if (size + bytes > 75) {
      parts.push(current)
      current = ' '
      size = 1
    }
    current += char
    size += bytes
  }
  parts.push(current)
  return parts.join('\r\n')
}

const compactDate = (date: string) => date.replaceAll('-', '')

/** A UTC date-time as iCalendar writes it: 20261201T101500Z. */
export function utcStamp(value: Date | string | null | undefined): string {
  const date = value instanceof Date ? value : new Date(value ?? 0)
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date
  return valid.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

/** The UID of a range: stable for as long as the row lives. */
export function rangeUid(range: Pick<FeedRange, 'kind' | 'id'>, host = 'stayctl'): string {
  return `${range.kind}-${range.id}@${host}`
}

/** The VCALENDAR text (CRLF line ends, folded) of a listing's ranges, in start order. */
export function renderFeed(property: FeedProperty, ranges: readonly FeedRange[], options: RenderOptions = {}): string {
  const host = options.host ?? 'stayctl'
  const lines = [
    'BEGIN:VCALENDAR',
    `PRODID:${PRODID}`,
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(`${property.name} (stayctl listing ${property.id})`)}`,
  ]
  const sorted = [...ranges].sort((a, b) => a.start.localeCompare(b.start) || a.kind.localeCompare(b.kind) || a.id - b.id)
  for (const range of sorted) {
    const stamp = utcStamp(range.updatedAt)
    lines.push(
      'BEGIN:VEVENT',
      `UID:${rangeUid(range, host)}`,
      `DTSTAMP:${stamp}`,
      `LAST-MODIFIED:${stamp}`,
      `DTSTART;VALUE=DATE:${compactDate(range.start)}`,
      `DTEND;VALUE=DATE:${compactDate(range.end)}`,
      `SUMMARY:${SUMMARY[range.kind]}`,
      'TRANSP:OPAQUE',
      'END:VEVENT',
    )
  }
  lines.push('END:VCALENDAR')
  return lines.map(foldLine).join('\r\n') + '\r\n'
}
