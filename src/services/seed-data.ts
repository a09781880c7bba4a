/**
 * The demo-data generator: users, properties, bookings, reviews and payments as plain rows,
 * computed from a random seed and a reference date only (no database, no clock), so the same
 * inputs always give the same rows. The rules of ARCHITECTURE.md hold on its output.
 */
import {Faker, base, en} from '@faker-js/faker'
import bcrypt from 'bcrypt'

import type {IdRange} from '../db/seeder-kit.js'
import {ValidationError} from '../errors.js'

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
export const DEFAULT_RANDOM_SEED = 1
const MAX_ROWS = 1_000_000

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

const DAY_MS = 86_400_000
const SECOND_MS = 1000

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** bcrypt salts are 128 bits in 22 characters; the last one carries 2 bits, so its low 4 bits are zero. */
const BCRYPT_LAST_SALT_CHARS = ['.', 'O', 'e', 'u']

const ADJECTIVES = ['Cozy', 'Sunny', 'Charming', 'Modern', 'Rustic', 'Quiet', 'Spacious', 'Bright', 'Historic', 'Secluded']
const KINDS = ['Cottage', 'Loft', 'Apartment', 'Cabin', 'Villa', 'Studio', 'Bungalow', 'Chalet', 'Townhouse', 'Farmhouse']
const FEATURES = [
  'Fast Wi-Fi and a dedicated workspace.',
  'Free parking on the premises.',
  'A short walk to the old town.',
  'Fully equipped kitchen.',
  'Private garden with a barbecue.',
  'Pets welcome.',
  'Balcony with a view over the water.',
  'Washer and dryer in the unit.',
  'Self check-in with a keypad.',
  'Wood stove for cold evenings.',
  'Close to hiking trails.',
  'Rooftop terrace.',
]
const COMMENTS: Record<number, string[]> = {
  5: [
    'Perfect stay, we will be back.',
    'Spotless, quiet and exactly as described.',
    'The host thought of everything.',
    'Wonderful views and a very comfortable bed.',
  ],
  4: [
    'Great location, a few small things to fix.',
    'Very comfortable; the kitchen could use better pans.',
    'Lovely place, check-in was a little slow.',
    'Good value for the area.',
  ],
  3: ['Fine for a night or two.', 'Decent, but noisier than expected.', 'OK overall; the photos flatter it.'],
  2: ['Not very clean when we arrived.', 'The heating did not work properly.', 'Too far from everything.'],
  1: ['Nothing like the listing.', 'We left a day early.', 'The host never answered our messages.'],
}
const NIGHTS = [1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 7, 10, 14]
const GOODWILL_REASONS = [
  'goodwill: the hot tub was out of order',
  'goodwill: late check-in',
  'goodwill: cleaning issue reported by the guest',
  'goodwill: noisy construction next door',
]

interface DraftBooking {
  id: number
  property: number
  guest: number
  start: number
  end: number
  status: BookingRow['status']
  totalCents: number
  created: number
  updated: number
  /** When the charge was taken, if it was. */
  chargedAt: number | null
}

interface DraftPayment {
  booking: DraftBooking
  amountCents: number
  at: number
  updated: number
  status: PaymentRow['status']
  kind: PaymentRow['kind']
  chargeOf: DraftPayment | null
  reason: string | null
  transactionId: string
  /** Charges: cents of their completed refunds. */
  refundedCents: number
  id: number
}

/** Sorts rows by a timestamp (stable: ties keep generation order) and numbers them from `first`. */
function numberByTime<T extends {id: number}>(rows: T[], at: (row: T) => number, first: number): T[] {
  const sorted = rows
    .map((row, index) => ({row, index}))
    .sort((a, b) => at(a.row) - at(b.row) || a.index - b.index)
    .map((entry) => entry.row)
  sorted.forEach((row, offset) => {
    row.id = first + offset
  })
  return sorted
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
 */
export function generateSeedData(plan: SeedPlan, options: GenerateOptions = {}): SeedData {
  const faker = new Faker({locale: [en, base]})
  faker.seed(plan.randomSeed)
  const int = (min: number, max: number) => faker.number.int({min, max})
  const chance = (probability: number) => faker.number.float() < probability
  const pick = <T>(items: readonly T[]) => faker.helpers.arrayElement(items)
  const firstId = (table: SeedTable) => options.firstIds?.[table] ?? 1

  const refDay = Date.parse(`${plan.referenceDate}T00:00:00Z`) / DAY_MS
  const ref = refDay * DAY_MS
  const days = new Map<number, string>()
  const day = (d: number) => {
    let text = days.get(d)
    if (text === undefined) days.set(d, (text = new Date(d * DAY_MS).toISOString().slice(0, 10)))
    return text
  }
  /** A whole second in [from, to] (ms). */
  const between = (from: number, to: number) => from + int(0, Math.max(0, Math.floor((to - from) / SECOND_MS))) * SECOND_MS

  const salt = faker.string.fromCharacters(BCRYPT_ALPHABET, 21) + pick(BCRYPT_LAST_SALT_CHARS)
  const demoHash = bcrypt.hashSync(DEMO_PASSWORD, `$2b$10$${salt}`)

  // The timeline: about three quarters of each property's bookings lie in the past.
  const perProperty = plan.properties > 0 ? plan.bookings / plan.properties : 0
  const pastDays = Math.min(1095, Math.max(60, Math.round(perProperty * 9 * 0.75)))
  const windowStart = refDay - pastDays

  // Users.
  const used = new Set<string>([ADMIN_USERNAME, ...(options.taken ?? [])])
  const unique = (candidate: string, format: (suffix: string) => string = (s) => candidate + s) => {
    let value = candidate
    for (let n = 2; used.has(value); n++) value = format(String(n))
    used.add(value)
    return value
  }
  const admin = options.admin ?? null
  const demoCount = plan.users - (admin ? 1 : 0)
  const users: UserRow[] = []
  if (admin) {
    const created = (windowStart - 800) * DAY_MS + int(0, 86_399) * SECOND_MS
    users.push({
      id: firstId('users'),
      username: admin.username,
      email: unique(`${admin.username.toLowerCase()}@example.com`, (n) => `${admin.username.toLowerCase()}${n}@example.com`),
      first_name: 'Site',
      last_name: 'Admin',
      password_hash: admin.passwordHash,
      is_active: true,
      is_admin: true,
      created_at: new Date(created),
      updated_at: new Date(created),
    })
  }
  const drafted: UserRow[] = []
  for (let i = 0; i < demoCount; i++) {
    const firstName = faker.person.firstName()
    const lastName = faker.person.lastName()
    const handle = faker.internet
      .username({firstName, lastName})
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9._]/g, '')
      .slice(0, 40)
    const username = unique(handle || 'guest')
    const [local, domain] = faker.internet.exampleEmail({firstName, lastName}).toLowerCase().split('@')
    const safeLocal = local.replace(/[^a-z0-9._+-]/g, '').slice(0, 60) || username
    const email = unique(`${safeLocal}@${domain}`, (n) => `${safeLocal}${n}@${domain}`)
    const created = between((windowStart - 730) * DAY_MS, (windowStart - 120) * DAY_MS)
    drafted.push({
      id: 0,
      username,
      email,
      first_name: firstName,
      last_name: lastName,
      password_hash: demoHash,
      is_active: true,
      is_admin: false,
      created_at: new Date(created),
      updated_at: new Date(chance(0.3) ? between(created, ref - 3600 * SECOND_MS) : created),
    })
  }
  const demoUsers = numberByTime(drafted, (u) => u.created_at.getTime(), firstId('users') + users.length)
  users.push(...demoUsers)

  // Hosts (always active), and a few inactive users among the others, never all of them.
  if (plan.properties > 0 && demoUsers.length < 1) {
    throw new ValidationError('properties need a host: seed at least one user besides the admin')
  }
  const hostCount = Math.min(demoUsers.length, Math.max(1, Math.ceil(plan.properties / 2)))
  const hosts = plan.properties > 0 ? faker.helpers.arrayElements(demoUsers, hostCount) : []
  const hostSet = new Set(hosts)
  let activeOthers = demoUsers.length - hosts.length
  for (const user of demoUsers) {
    if (!hostSet.has(user) && activeOthers > 1 && chance(0.03)) {
      user.is_active = false
      activeOthers -= 1
    }
  }
  const guests = demoUsers.filter((u) => u.is_active)
  if (plan.bookings > 0 && guests.length < 2) {
    throw new ValidationError('bookings need a guest who is not the host: seed at least 2 users besides the admin')
  }

  // Properties.
  const propertyDrafts = Array.from({length: plan.properties}, (_, i) => {
    const owner = i < hosts.length ? hosts[i] : pick(hosts)
    const city = faker.location.city()
    const kind = pick(KINDS)
    const adjective = pick(ADJECTIVES)
    const bedrooms = int(1, 5)
    const created = between(owner.created_at.getTime() + DAY_MS, (windowStart - 91) * DAY_MS)
    const priceCents = int(40, 600) * 100 + pick([0, 0, 0, 0, 50, 99, 40])
    return {
      id: 0,
      owner,
      priceCents,
      row: {
        id: 0,
        owner_id: 0,
        name: `${adjective} ${kind} in ${city}`,
        description: [
          `${adjective} ${kind.toLowerCase()} with ${bedrooms} bedroom${bedrooms === 1 ? '' : 's'}, sleeps ${bedrooms * 2}.`,
          ...faker.helpers.arrayElements(FEATURES, int(2, 3)),
        ].join(' '),
        address: [
          faker.location.streetAddress(),
          city,
          `${faker.location.state({abbreviated: true})} ${faker.location.zipCode('#####')}`,
        ].join(', '),
        price_per_night: centsToDecimal(priceCents),
        cancellation_policy: faker.helpers.weightedArrayElement([
          {weight: 35, value: 'flexible' as const},
          {weight: 45, value: 'moderate' as const},
          {weight: 20, value: 'strict' as const},
        ]),
        is_listed: chance(0.95),
        created_at: new Date(created),
        updated_at: new Date(chance(0.2) ? between(created, ref - 3600 * SECOND_MS) : created),
      } satisfies PropertyRow,
    }
  })
  const properties = numberByTime(propertyDrafts, (p) => p.row.created_at.getTime(), firstId('properties'))
  for (const p of properties) {
    p.row.id = p.id
    p.row.owner_id = p.owner.id
  }

  // Bookings: a share per property (popular ones get more), each on its own timeline.
  const weights = properties.map(() => 0.5 + faker.number.float())
  const totalWeight = weights.reduce((a, b) => a + b, 0)
  const shares = weights.map((w) => Math.floor((plan.bookings * w) / totalWeight))
  for (let left = plan.bookings - shares.reduce((a, b) => a + b, 0); left > 0; left--) {
    shares[int(0, shares.length - 1)] += 1
  }
  const drafts: DraftBooking[] = []
  properties.forEach((property, p) => {
    let cursor = windowStart + int(0, 7)
    for (let k = 0; k < shares[p]; k++) {
      const start = cursor + (chance(0.35) ? 0 : int(1, 12))
      const nights = pick(NIGHTS)
      const end = start + nights
      const r = faker.number.float()
      const status: BookingRow['status'] =
        start <= refDay ? (r < 0.12 ? 'cancelled' : 'confirmed') : r < 0.1 ? 'cancelled' : r < 0.35 ? 'pending' : 'confirmed'
      let guest = pick(guests)
      while (guest === property.owner) guest = pick(guests)
      // Booked between an hour and 90 days ahead, and never after the reference date.
      let created = start * DAY_MS - int(3600, 90 * 86_400) * SECOND_MS
      if (created > ref - 3600 * SECOND_MS) created = ref - int(3600, 30 * 86_400) * SECOND_MS
      const paid = status === 'confirmed' || (status === 'cancelled' && chance(0.6))
      const chargedAt = paid ? created + int(30, 600) * SECOND_MS : null
      let updated = chargedAt ?? created
      if (status === 'cancelled') {
        // Cancelled after it was paid, before the stay began and before the reference date.
        updated = between(updated + 60 * SECOND_MS, Math.min(start * DAY_MS, ref) - SECOND_MS)
      }
      drafts.push({
        id: 0,
        property: p,
        guest: guest.id,
        start,
        end,
        status,
        totalCents: nights * property.priceCents,
        created,
        updated,
        chargedAt,
      })
      if (status !== 'cancelled') cursor = end
    }
  })
  const ordered = numberByTime(drafts, (b) => b.created, firstId('bookings'))
  const bookings: BookingRow[] = ordered.map((b) => ({
      id: b.id,
      property_id: properties[b.property].id,
      guest_id: b.guest,
      start_date: day(b.start),
      end_date: day(b.end),
      status: b.status,
      total_price: centsToDecimal(b.totalCents),
      // Every booking with a charge is charged its total (see the payments below).
      charged_amount: centsToDecimal(b.chargedAt === null ? 0 : b.totalCents),
      external_ref: null,
      created_at: new Date(b.created),
      updated_at: new Date(b.updated),
    }))

  // Reviews: at most one per (property, guest), after a confirmed stay that has ended.
  const reviewed = new Set<string>()
  const reviewDrafts: ReviewRow[] = []
  for (const b of ordered) {
    if (b.status !== 'confirmed' || b.end >= refDay) continue
    const key = `${b.property}:${b.guest}`
    if (reviewed.has(key) || !chance(0.55)) continue
    reviewed.add(key)
    const rating = faker.helpers.weightedArrayElement([
      {weight: 45, value: 5},
      {weight: 32, value: 4},
      {weight: 13, value: 3},
      {weight: 6, value: 2},
      {weight: 4, value: 1},
    ])
    const created = between(b.end * DAY_MS + 3600 * SECOND_MS, Math.min(b.end * DAY_MS + 14 * DAY_MS, ref - 60 * SECOND_MS))
    reviewDrafts.push({
      id: 0,
      property_id: properties[b.property].id,
      reviewer_id: b.guest,
      rating,
      comment: chance(0.85) ? pick(COMMENTS[rating]) : null,
      created_at: new Date(created),
      updated_at: new Date(chance(0.1) ? between(created, ref - SECOND_MS) : created),
    })
  }
  const reviews = numberByTime(reviewDrafts, (r) => r.created_at.getTime(), firstId('reviews'))

  // Payments: a completed charge per paid booking; refunds by policy or goodwill.
  const transactionIds = new Set<string>()
  // 24 base-62 characters from three draws of 8 (faker.string.alphanumeric makes one per character).
  const token = () => {
    let text = ''
    for (let draw = 0; draw < 3; draw++) {
      let n = int(0, 62 ** 8 - 1)
      for (let i = 0; i < 8; i++, n = Math.floor(n / 62)) text += ALPHANUMERIC[n % 62]
    }
    return text
  }
  const transactionId = (prefix: string) => {
    let id: string
    do id = `${prefix}_${token()}`
    while (transactionIds.has(id))
    transactionIds.add(id)
    return id
  }
  const paymentDrafts: DraftPayment[] = []
  for (const b of ordered) {
    if (b.chargedAt === null) continue
    const charge: DraftPayment = {
      id: 0,
      booking: b,
      amountCents: b.totalCents,
      at: b.chargedAt,
      updated: b.chargedAt,
      status: 'completed',
      kind: 'charge',
      chargeOf: null,
      reason: null,
      transactionId: transactionId('ch'),
      refundedCents: 0,
    }
    paymentDrafts.push(charge)
    const refunds: {cents: number; at: number; reason: string}[] = []
    if (b.status === 'cancelled') {
      const policy = properties[b.property].row.cancellation_policy
      const cents = policy === 'flexible' ? b.totalCents : policy === 'moderate' ? Math.floor(b.totalCents / 2) : 0
      if (cents > 0) {
        refunds.push({
          cents,
          at: Math.min(b.updated + int(60, 3600) * SECOND_MS, ref - SECOND_MS),
          reason: `cancelled by the guest (${policy} policy: ${policy === 'flexible' ? 'full' : '50%'} refund)`,
        })
      }
    } else if (b.status === 'confirmed' && b.end < refDay && chance(0.06)) {
      const first = Math.max(1, Math.floor((b.totalCents * int(10, 40)) / 100))
      const firstAt = between(b.end * DAY_MS + 3600 * SECOND_MS, Math.min(b.end * DAY_MS + 7 * DAY_MS, ref - 120 * SECOND_MS))
      refunds.push({cents: first, at: firstAt, reason: pick(GOODWILL_REASONS)})
      const rest = b.totalCents - first
      if (rest > 1 && chance(0.25)) {
        refunds.push({
          cents: Math.max(1, Math.floor((rest * int(5, 30)) / 100)),
          at: between(firstAt + 60 * SECOND_MS, Math.min(firstAt + 3 * DAY_MS, ref - SECOND_MS)),
          reason: pick(GOODWILL_REASONS),
        })
      }
    }
    for (const refund of refunds) {
      charge.refundedCents += refund.cents
      paymentDrafts.push({
        id: 0,
        booking: b,
        amountCents: refund.cents,
        at: refund.at,
        updated: refund.at,
        status: 'completed',
        kind: 'refund',
        chargeOf: charge,
        reason: refund.reason,
        transactionId: transactionId('re'),
        refundedCents: 0,
      })
    }
    if (refunds.length > 0 && refunds.reduce((sum, r) => sum + r.cents, 0) === b.totalCents) {
      charge.status = 'refunded'
      charge.updated = refunds[refunds.length - 1].at
    }
  }
  const payments: PaymentRow[] = numberByTime(paymentDrafts, (p) => p.at, firstId('payments')).map((p) => ({
      id: p.id,
      booking_id: p.booking.id,
      amount: centsToDecimal(p.amountCents),
      payment_date: new Date(p.at),
      status: p.status,
      transaction_id: p.transactionId,
      kind: p.kind,
      refund_of_id: p.chargeOf ? p.chargeOf.id : null,
      reason: p.reason,
      idempotency_key: null,
      refunded_amount: centsToDecimal(p.refundedCents),
      created_at: new Date(p.at),
      updated_at: new Date(p.updated),
    }))

  return {users, properties: properties.map((p) => p.row), bookings, reviews, payments}
}
