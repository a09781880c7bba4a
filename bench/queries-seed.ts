/**
 * The database of bench/queries.ts, built the same on every run for a given size: per 50
 * bookings one property and ten users. The first tenth of the users own one property each (in
 * turn); the others are the guests. Each property has 50 stays of 1–7 nights, 0–9 days apart
 * from 2026-01-05 on (back to back with gaps, never overlapping: about 45 % of its nights are
 * booked), about 10 % cancelled and 20 % pending. Rows go in as multi-row INSERTs written here
 * (the values are ours: numbers, dates and fixed words), 5,000 a statement, in one transaction,
 * without foreign key checks on MySQL (the rows are made consistent). The calendars' gaps
 * (calendar_gaps, which availability searches read) are computed by the kernel of
 * src/services/rules/gaps.ts from the live bookings, as the services keep them.
 */
import type {Transaction} from 'sequelize'

import type {Db} from '../src/db/index.js'
import {addDays} from '../src/services/dates.js'
import {isLiveBooking} from '../src/services/rules/calendar.js'
import {calendarGaps, type Span} from '../src/services/rules/gaps.js'
import {random} from './support.js'

export const BOOKINGS_PER_PROPERTY = 50
export const USERS_PER_PROPERTY = 10
export const FIRST_DAY = '2026-01-05'
const ROWS_PER_INSERT = 5_000
const POLICIES = ['flexible', 'moderate', 'strict']

export interface SeedSize {
  bookings: number
  properties: number
  users: number
  owners: number
}

/** The size of the database holding `bookings` bookings (a multiple of 50). */
export function seedSize(bookings: number): SeedSize {
  if (!Number.isInteger(bookings) || bookings < BOOKINGS_PER_PROPERTY || bookings % BOOKINGS_PER_PROPERTY !== 0) {
    throw new Error(`--bookings must be a positive multiple of ${BOOKINGS_PER_PROPERTY}, got ${bookings}`)
  }
  const properties = bookings / BOOKINGS_PER_PROPERTY
  return {bookings, properties, users: properties * USERS_PER_PROPERTY, owners: properties}
}

/** Inserts `rows` (value lists) into `table (columns)`, ROWS_PER_INSERT a statement. */
async function insertRows(db: Db, transaction: Transaction, table: string, columns: string[], rows: Iterable<string>): Promise<void> {
  let batch: string[] = []
  const flush = async () => {
    if (batch.length === 0) return
    await db.sequelize.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${batch.join(',\n')}`, {transaction})
    batch = []
  }
  for (const row of rows) {
    batch.push(row)
    if (batch.length === ROWS_PER_INSERT) await flush()
  }
  await flush()
}

function* userRows(size: SeedSize, now: string): Generator<string> {
  for (let id = 1; id <= size.users; id++) {
    const name = `bench${String(id).padStart(7, '0')}`
    yield `(${id}, '${name}', '${name}@bench.invalid', '!bench', 1, 0, ${now}, ${now})`
  }
}

function* propertyRows(size: SeedSize, next: () => number, prices: number[], now: string): Generator<string> {
  for (let id = 1; id <= size.properties; id++) {
    const price = 40 + Math.floor(next() * 260)
    prices.push(price)
    yield `(${id}, ${((id - 1) % size.owners) + 1}, 'Bench property ${id}', '${id} Bench Street', '${price}.00', '${POLICIES[(id - 1) % 3]}', 1, ${now}, ${now})`
  }
}

/** The bookings; `gaps` gets the rows of calendar_gaps their live stays leave (rules/gaps.ts), property by property. */
function* bookingRows(size: SeedSize, next: () => number, prices: number[], now: string, gaps: string[]): Generator<string> {
  const guests = size.users - size.owners
  let id = 0
  for (let property = 1; property <= size.properties; property++) {
    const stays: (Span & {propertyId: number})[] = []
    let day = addDays(FIRST_DAY, Math.floor(next() * 10))
    for (let n = 0; n < BOOKINGS_PER_PROPERTY; n++) {
      const nights = 1 + Math.floor(next() * 7)
      const end = addDays(day, nights)
      const roll = next()
      const status = roll < 0.1 ? 'cancelled' : roll < 0.3 ? 'pending' : 'confirmed'
      const guest = size.owners + 1 + Math.floor(next() * guests)
      yield `(${++id}, ${property}, ${guest}, '${day}', '${end}', '${status}', '${nights * prices[property - 1]}.00', ${now}, ${now})`
      if (isLiveBooking(status)) stays.push({propertyId: property, start: day, end})
      day = addDays(end, Math.floor(next() * 10))
    }
    for (const {gap} of calendarGaps([property], stays)) gaps.push(`(${property}, '${gap.start}', '${gap.end}', ${gap.spanClass})`)
  }
}

/** Seeds an empty, migrated database with the users, properties and bookings of `size`. */
export async function seedQueries(db: Db, size: SeedSize): Promise<void> {
  const next = random(20261121)
  const now = db.sequelize.escape(new Date())
  const prices: number[] = []
  const gaps: string[] = []
  const timestamps = ['created_at', 'updated_at']
  const seed = async (transaction: Transaction) => {
    await insertRows(db, transaction, 'users', ['id', 'username', 'email', 'password_hash', 'is_active', 'is_admin', ...timestamps], userRows(size, now))
    await insertRows(
      db,
      transaction,
      'properties',
      ['id', 'owner_id', 'name', 'address', 'price_per_night', 'cancellation_policy', 'is_listed', ...timestamps],
      propertyRows(size, next, prices, now),
    )
    await insertRows(
      db,
      transaction,
      'bookings',
      ['id', 'property_id', 'guest_id', 'start_date', 'end_date', 'status', 'total_price', ...timestamps],
      bookingRows(size, next, prices, now, gaps),
    )
    await insertRows(db, transaction, 'calendar_gaps', ['property_id', 'start_date', 'end_date', 'span_class'], gaps)
  }
  if (db.dialect === 'sqlite') {
    await db.sequelize.transaction(seed)
    return
  }
  await db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query('SET SESSION foreign_key_checks = 0', {transaction})
    try {
      await seed(transaction)
    } finally {
      await db.sequelize.query('SET SESSION foreign_key_checks = 1', {transaction})
    }
  })
}
