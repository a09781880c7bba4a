/**
 * The demo-data generator: users, properties, bookings, reviews and payments as plain rows,
 * computed from a random seed and a reference date only (no database, no clock), so the same
 * inputs always give the same rows. The rules of ARCHITECTURE.md hold on its output.
 * The row shapes are seed-rows.ts; the generators, seed-accounts.ts and seed-stays.ts.
 */
import type {IdRange} from '../db/seeder-kit.js'
import {ValidationError} from '../errors.js'
import {chooseHosts, generateProperties, generateUsers} from './seed-accounts.js'
import {seedDraws} from './seed-draws.js'
import {SEED_SIZES, type GenerateOptions, type SeedData, type SeedPlan, type SeedSize, type SeedTable} from './seed-rows.js'
import {bookingRows, draftBookings, generatePayments, generateReviews} from './seed-stays.js'

export {
  ADMIN_USERNAME,
  DEMO_PASSWORD,
  SEED_SIZES,
  SEED_TABLES,
  centsToDecimal,
  decimalToCents,
  type BookingRow,
  type GenerateOptions,
  type PaymentRow,
  type PropertyRow,
  type ReviewRow,
  type SeedData,
  type SeedPlan,
  type SeedSize,
  type SeedTable,
  type UserRow,
} from './seed-rows.js'

export const DEFAULT_RANDOM_SEED = 1
const MAX_ROWS = 1_000_000

export interface SeedPlanInput {
  size?: SeedSize
  users?: number
  properties?: number
  bookings?: number
  randomSeed?: number
  referenceDate?: string
}

/**
 * Fills in defaults (size small, random seed 1, reference date = `today` in UTC) and checks
 * the plan can be generated; throws a ValidationError naming the flag otherwise.
 */
export function resolveSeedPlan(input: SeedPlanInput, today = new Date()): SeedPlan {
  const size = input.size ?? 'small'
  if (!(size in SEED_SIZES)) {
    throw new ValidationError(`unknown size "${size}"`, {suggestion: 'use --size small, medium or large'})
  }
  const counts: Record<'users' | 'properties' | 'bookings', number> = {...SEED_SIZES[size]}
  for (const key of ['users', 'properties', 'bookings'] as const) {
    const value = input[key]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < 0 || value > MAX_ROWS) {
      throw new ValidationError(`--${key} must be an integer from 0 to ${MAX_ROWS}, got ${value}`)
    }
    counts[key] = value
  }
  if (counts.users < 1) throw new ValidationError('--users must be at least 1 (the admin)')
  if (counts.properties > 0 && counts.users < 2) {
    throw new ValidationError(`${counts.properties} properties need at least 2 users (the admin and a host)`, {
      suggestion: 'raise --users or lower --properties',
    })
  }
  if (counts.bookings > 0 && (counts.properties < 1 || counts.users < 3)) {
    throw new ValidationError(`${counts.bookings} bookings need at least 1 property and 3 users (admin, host, guest)`, {
      suggestion: 'raise --users / --properties, or pass --bookings 0',
    })
  }
  const randomSeed = input.randomSeed ?? DEFAULT_RANDOM_SEED
  if (!Number.isInteger(randomSeed) || randomSeed < 0 || randomSeed > 0xffff_ffff) {
    throw new ValidationError(`--random-seed must be an integer from 0 to ${0xffff_ffff}, got ${randomSeed}`)
  }
  const referenceDate = input.referenceDate ?? today.toISOString().slice(0, 10)
  const parsed = Date.parse(`${referenceDate}T00:00:00Z`)
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(referenceDate) ||
    Number.isNaN(parsed) ||
    new Date(parsed).toISOString().slice(0, 10) !== referenceDate ||
    referenceDate < '1990-01-01' ||
    referenceDate > '9000-01-01'
  ) {
    throw new ValidationError(`--reference-date must be a calendar date YYYY-MM-DD, got "${referenceDate}"`)
  }
  return {size, ...counts, randomSeed, referenceDate}
}

/** What `db seed` hands the demo-data seeder in `context.seed`. */
export interface DemoSeedOptions extends SeedPlan {
  /** The admin to create, or null when a user of that name exists already. */
  admin: {username: string; passwordHash: string} | null
  /** Who runs the seed, for the audit trail. */
  actor: string
  /** Rows of a table inserted so far. */
  onProgress?: (table: SeedTable, inserted: number, total: number) => void
}

/** What the demo-data seeder records in SequelizeData.details: its plan, and the ids it used. */
export type DemoSeedDetails = SeedPlan & {
  rows: Record<SeedTable, number>
  /** Inclusive id range per table, null when none were inserted; undo deletes exactly these. */
  ids: Record<SeedTable, IdRange | null>
  admin: {username: string; id: number} | null
  /** Set by `down`: how many rows it deleted per table (not stored). */
  removed?: Record<SeedTable, number>
}

/** The plan part of stored seeder details, when they hold one. */
export function planOf(details: Record<string, unknown> | null | undefined): SeedPlan | null {
  if (!details || typeof details.randomSeed !== 'number' || typeof details.referenceDate !== 'string') return null
  const {size, users, properties, bookings, randomSeed, referenceDate} = details as unknown as SeedPlan
  return {size, users, properties, bookings, randomSeed, referenceDate}
}

/**
 * Generates the demo data. Sketch of the algorithm:
 * - users (the admin first), then hosts among them; each host owns at least one property;
 * - each property gets a share of the bookings on its own timeline, starting before the
 *   reference date: a booking starts at or after the end of the previous non-cancelled one,
 *   so non-cancelled bookings never overlap; a cancelled one frees its dates again;
 * - past stays are confirmed or cancelled, future ones may still be pending;
 * - reviews come from guests of confirmed stays that ended before the reference date;
 * - confirmed and some cancelled bookings were charged; cancellations are refunded by the
 *   property's policy, and a few past stays got goodwill refunds, always below the charge.
 * Rows are numbered by creation time, so ids grow with created_at like in a live database.
 * The generators draw from one seeded Faker in this order, so the order is part of the output.
 */
export function generateSeedData(plan: SeedPlan, options: GenerateOptions = {}): SeedData {
  const draws = seedDraws(plan, options)
  const {users, demoUsers} = generateUsers(draws, plan, options)
  const {hosts, guests} = chooseHosts(draws, plan, demoUsers)
  const properties = generateProperties(draws, plan, hosts)
  const bookings = draftBookings(draws, plan, properties, guests)
  return {
    users,
    properties: properties.map((p) => p.row),
    bookings: bookingRows(draws, bookings, properties),
    reviews: generateReviews(draws, bookings, properties),
    payments: generatePayments(draws, bookings, properties),
  }
}
