/**
 * Money as integer cents. The database stores DECIMAL(…,2); MySQL hands it back as a string,
 * SQLite as a number. Nothing here multiplies a float by 100: values are parsed as text.
 */
import {ValidationError} from '../errors.js'

const DECIMAL = /^(\d{1,10})(?:\.(\d{1,2}))?$/

/** The largest amounts the money columns hold: DECIMAL(10,2) nightly prices, DECIMAL(12,2) totals and payments. */
export const MAX_PRICE_CENTS = 99_999_999_99
export const MAX_TOTAL_CENTS = 9_999_999_999_99

/** Parses a user's amount ("12", "12.5", "12.50") into cents; `field` names it in errors. */
export function parseAmount(input: string | number, field = 'amount'): number {
  const text = typeof input === 'number' ? String(input) : input.trim()
  const match = DECIMAL.exec(text)
  if (!match) {
    throw new ValidationError(`${field} must be a positive amount with at most two decimals, like 120.50; got "${input}"`, {
      details: {field},
    })
  }
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
}

/** Cents from a DECIMAL column value as the driver returns it. */
export function toCents(value: string | number | null | undefined): number {
  if (value === null || value === undefined) return 0
  const text = typeof value === 'number' ? value.toFixed(2) : value
  const negative = text.startsWith('-')
  const [whole, fraction = ''] = text.replace(/^-/, '').split('.')
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2))
  return negative ? -cents : cents
}

/** "1234.50" from 123450: what the database and every output format get. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}
