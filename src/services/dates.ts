/**
 * Calendar dates of a stay: 'YYYY-MM-DD' strings, compared as text, counted in UTC days.
 * The check-out date is exclusive: a stay from 12-01 to 12-03 is two nights.
 */
import {ValidationError} from '../errors.js'

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/** Validates a calendar date; `field` names it in errors. */
export function parseDate(input: string, field: string): string {
  const text = input.trim()
  if (ISO_DATE.test(text)) {
    const date = new Date(`${text}T00:00:00Z`)
    if (!Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text) return text
  }
  throw new ValidationError(`${field} must be a calendar date YYYY-MM-DD, got "${input}"`, {details: {field}})
}

/** Today in UTC, as YYYY-MM-DD (STAYCTL_TODAY overrides it, for reproducible runs and tests). */
export function today(): string {
  const fixed = process.env.STAYCTL_TODAY
  return fixed ? parseDate(fixed, 'STAYCTL_TODAY') : new Date().toISOString().slice(0, 10)
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
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

/**
 * A date-time as ISO-8601 with milliseconds in UTC ('2027-06-15T10:30:00.123Z'), from a Date,
 * a driver's text or epoch milliseconds. Text already in that form (the batched reads of
 * relations.ts select it so) is returned as it is: parsing and formatting it again is what
 * thousands of rows per request would otherwise cost.
 */
export function isoDateTime(value: Date | string | number): string {
  if (typeof value === 'string' && value.length === 24 && value.charCodeAt(10) === 84 /* T */ && value.charCodeAt(23) === 90 /* Z */) return value
  return new Date(value).toISOString()
}
