/**
 * Calendar dates of a stay: 'YYYY-MM-DD' strings, compared as text, counted in UTC days.
 * The check-out date is exclusive: a stay from 12-01 to 12-03 is two nights.
 */
import {ValidationError} from '../errors.js'

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** The number written by the digits of `text` from `from` to `to` (already known to be digits): no substring made. */
function digits(text: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48
  return n
}

/** Whether YYYY-MM-DD (already of that shape) names a day of the (proleptic Gregorian) calendar. */
function isCalendarDate(text: string): boolean {
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 7)
  const day = digits(text, 8, 10)
  if (month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])
}

const isIsoDate = (text: string) => ISO_DATE.test(text) && isCalendarDate(text)

/** Validates a calendar date of the years 1000 to 9999 (what a DATE column holds); `field` names it in errors. */
export function parseDate(input: string, field: string): string {
  const text = input.trim()
  // Arithmetic, not a Date round trip: imports check two dates per row.
  if (isIsoDate(text)) {
    if (text >= '1000') return text
    throw new ValidationError(`${field} must be a date of the years 1000 to 9999, got "${input}"`, {details: {field}})
  }
  throw new ValidationError(`${field} must be a calendar date YYYY-MM-DD, got "${input}"`, {details: {field}})
}

/** YYYY-MM-DD from a DATEONLY value as either driver returns it (a Date from mysql2, text from SQLite). */
export function dateOnly(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10)
}

/** Today in UTC, as YYYY-MM-DD (STAYCTL_TODAY overrides it, for reproducible runs and tests). */
export function today(): string {
  const fixed = process.env.STAYCTL_TODAY
  return fixed ? parseDate(fixed, 'STAYCTL_TODAY') : new Date().toISOString().slice(0, 10)
}

/**
 * Days since 1970-01-01 of a YYYY-MM-DD date (H. Hinnant's days_from_civil): integer
 * arithmetic instead of parsing a Date, as imports count the nights of every row.
 */
function dayNumber(date: string): number {
  let year = digits(date, 0, 4)
  const month = digits(date, 5, 7)
  const day = digits(date, 8, 10)
  if (month <= 2) year -= 1
  const era = Math.floor(year / 400)
  const yearOfEra = year - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  if (isIsoDate(from) && isIsoDate(to)) return dayNumber(to) - dayNumber(from)
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

/** The date of a day number (H. Hinnant's civil_from_days), for years 0 to 9999. */
function dateOfDay(n: number): string | undefined {
  const z = n + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  if (year < 0 || year > 9999) return undefined
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`
}

export function addDays(date: string, days: number): string {
  const fast = isIsoDate(date) && Number.isInteger(days) ? dateOfDay(dayNumber(date) + days) : undefined
  return fast ?? new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

/** Validates a stay: both dates, check-out after check-in; returns the nights. */
export function parseStay(start: string, end: string): {startDate: string; endDate: string; nights: number} {
  const startDate = parseDate(start, 'start date')
  const endDate = parseDate(end, 'end date')
  const nights = daysBetween(startDate, endDate)
  if (nights < 1) {
    throw new ValidationError(`end date ${endDate} must be after start date ${startDate} (check-out is exclusive)`, {
      details: {field: 'endDate'},
    })
  }
  if (nights > 365) throw new ValidationError(`a stay of ${nights} nights is too long (at most 365)`, {details: {field: 'endDate'}})
  return {startDate, endDate, nights}
}

// YYYY-MM-DD, then optionally Thh:mm[:ss[.fff…]] and a zone (Z, ±hh:mm, ±hhmm or ±hh).
const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?)?$/

/** The earliest and latest instants every database stores as a DATETIME(3) (MySQL's documented range). */
const FIRST_INSTANT = Date.UTC(1000, 0, 1)
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/**
 * An instant given as ISO 8601: a calendar date (read as its midnight in UTC) or a date-time
 * with a zone (`Z` or an offset: 2027-06-15T10:30:00Z, 2027-06-15T12:30:00.250+02:00). Nothing
 * else is guessed at: a day that does not exist (2027-02-30), a date-time without a zone
 * (whose meaning would depend on the machine reading it), fractions finer than milliseconds
 * (which would be dropped), and an instant outside the years 1000–9999 are refused with a
 * ValidationError on `field` that says why. Text JavaScript's Date would read ("1", "March 7")
 * is refused too.
 */
export function parseInstant(input: string, field: string): Date {
  const text = input.trim()
  const refuse = (why: string): never => {
    throw new ValidationError(`${field} "${input}" ${why}`, {details: {field}})
  }
  const match = ISO_INSTANT.exec(text)
  if (!match) {
    refuse('is not an ISO 8601 date or date-time: give YYYY-MM-DD, or a date-time with a zone such as 2027-06-15T10:30:00Z or 2027-06-15T12:30:00+02:00')
  }
  const [, date, hours, minutes, seconds, fraction, zulu, sign, offsetHours, offsetMinutes] = match!
  if (!isCalendarDate(date)) refuse(`names no day of the calendar (${date})`)
  if (hours !== undefined && zulu === undefined && sign === undefined) {
    refuse('has no time zone: end it with Z (UTC) or an offset such as +02:00')
  }
  if (hours !== undefined && (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59)) refuse('is not a time of day (00:00:00 to 23:59:59)')
  if (fraction !== undefined && fraction.length > 3) refuse('has fractions of a second finer than milliseconds, which cannot be stored')
  if (sign !== undefined && (Number(offsetHours) > 23 || Number(offsetMinutes ?? 0) > 59)) refuse('has an offset that is not ±hh:mm')
  // (Date.UTC would read the years 0–99 as 1900–1999.)
  if (Number(date.slice(0, 4)) < 1000) refuse('is outside the years 1000 to 9999 (UTC)')
  const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes ?? 0))
  const time =
    Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)), Number(hours ?? 0), Number(minutes ?? 0), Number(seconds ?? 0), Number((fraction ?? '0').padEnd(3, '0'))) -
    offset * 60_000
  if (time < FIRST_INSTANT || time > LAST_INSTANT) refuse('is outside the years 1000 to 9999 (UTC)')
  return new Date(time)
}
