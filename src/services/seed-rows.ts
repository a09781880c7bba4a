/**
 * The shapes of the demo data: sizes, tables, the plan, the rows the generator makes, and
 * money as DECIMAL strings. seed-data.ts re-exports all of it.
 */
export const SEED_SIZES = {
  small: {users: 25, properties: 10, bookings: 150},
  medium: {users: 2_000, properties: 500, bookings: 20_000},
  large: {users: 20_000, properties: 5_000, bookings: 200_000},
} as const
export type SeedSize = keyof typeof SEED_SIZES

/** The tables the seed fills, in foreign-key order (parents first). */
export const SEED_TABLES = ['users', 'properties', 'bookings', 'reviews', 'payments'] as const
export type SeedTable = (typeof SEED_TABLES)[number]

/** Every demo user but the admin signs in with this password. */
export const DEMO_PASSWORD = 'stayctl-demo'
export const ADMIN_USERNAME = 'admin'

/** What to generate: sizes, random seed and the day the data is "as of". */
export type SeedPlan = {
  size: SeedSize
  users: number
  properties: number
  bookings: number
  randomSeed: number
  /** YYYY-MM-DD; every date is relative to it, and every timestamp lies before it. */
  referenceDate: string
}

export interface UserRow {
  id: number
  username: string
  email: string
  first_name: string
  last_name: string
  password_hash: string
  is_active: boolean
  is_admin: boolean
  created_at: Date
  updated_at: Date
}

export interface PropertyRow {
  id: number
  owner_id: number
  name: string
  description: string
  address: string
  /** DECIMAL as a string, e.g. '123.40'. */
  price_per_night: string
  cancellation_policy: 'flexible' | 'moderate' | 'strict'
  is_listed: boolean
  created_at: Date
  updated_at: Date
}

export interface BookingRow {
  id: number
  property_id: number
  guest_id: number
  start_date: string
  /** Check-out day, exclusive. */
  end_date: string
  status: 'pending' | 'confirmed' | 'cancelled'
  total_price: string
  /** What its counted charges add up to (the ledger's total, see rules/ledger.ts). */
  charged_amount: string
  external_ref: null
  created_at: Date
  updated_at: Date
}

export interface ReviewRow {
  id: number
  property_id: number
  reviewer_id: number
  rating: number
  comment: string | null
  created_at: Date
  updated_at: Date
}

export interface PaymentRow {
  id: number
  booking_id: number
  amount: string
  payment_date: Date
  status: 'completed' | 'refunded'
  transaction_id: string
  kind: 'charge' | 'refund'
  refund_of_id: number | null
  reason: string | null
  idempotency_key: null
  /** Charges: what their completed refunds add up to (the ledger's total); 0 for refunds. */
  refunded_amount: string
  created_at: Date
  updated_at: Date
}

export interface SeedData {
  users: UserRow[]
  properties: PropertyRow[]
  bookings: BookingRow[]
  reviews: ReviewRow[]
  payments: PaymentRow[]
}

export interface GenerateOptions {
  /** The first id of each table (MAX(id)+1 of the database); 1 when absent. */
  firstIds?: Partial<Record<SeedTable, number>>
  /** The admin to create as the first user; null when one exists already. */
  admin?: {username: string; passwordHash: string} | null
  /** Lower-cased usernames and emails already taken, which generated users must avoid. */
  taken?: ReadonlySet<string>
}

/** 1234 → '12.34'. Money is counted in integer cents and written as DECIMAL strings. */
export function centsToDecimal(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`)
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** '12.3', '12.34' or 12.3 (SQLite returns DECIMALs as numbers) → 1234, without float arithmetic. */
export function decimalToCents(value: string | number): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,2})\d*)?$/.exec(String(value).trim())
  if (!match) throw new RangeError(`not a decimal amount: ${value}`)
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'))
  return match[1] ? -cents : cents
}
