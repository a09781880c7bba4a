/**
 * Named, typed fixtures ("scenarios") shared by the unit, integration and e2e tiers. Each
 * fixture is a plain service input (users, properties and bookings refer to each other by
 * username and property name, as commands do), so an e2e test can pass the same values as
 * flags. `loadScenario` creates all of them through the services, so every rule applies,
 * and returns the ids by fixture name.
 *
 * Dates are relative to TODAY: run with STAYCTL_TODAY=TODAY (`scenarioEnv`), or past stays
 * would be future ones and the other way round.
 */
import type {Db} from '../../src/db/index.js'
import type {BookingStatus} from '../../src/domain.js'
import {cancelBooking, confirmBooking, createBooking, type CreateBookingInput} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {addDays, today} from '../../src/services/dates.js'
import {recordCharge, type RecordChargeInput} from '../../src/services/payments.js'
import {createProperty, type CreatePropertyInput} from '../../src/services/properties.js'
import {createReview, type CreateReviewInput} from '../../src/services/reviews.js'
import {createUser, type CreateUserInput} from '../../src/services/users.js'

/** The fixed "today" of every scenario. */
export const TODAY = '2027-06-15'

/** Environment for processes (e2e) and tests that run on the scenario's calendar. */
export const scenarioEnv = {STAYCTL_TODAY: TODAY} as const

/** A day relative to TODAY: `day(-10)` is ten days before. */
export const day = (offset: number): string => addDays(TODAY, offset)

const users = {
  host: {
    username: 'hana.host',
    email: 'hana.hostetler@example.com',
    password: 'host-password-1',
    firstName: 'Hana',
    lastName: 'Hostetler',
  },
  /** Has a past stay (reviewed), a future confirmed stay with a charge and a pending one. */
  guest: {
    username: 'Guinevere.Q',
    email: 'Guinevere.Quillfeather@Example.com',
    password: 'guest-password-1',
    firstName: 'Guinevere',
    lastName: 'Quillfeather',
  },
  /** Only a cancelled booking: nothing to review, nothing paid. */
  otherGuest: {
    username: 'otto.other',
    email: 'otto.oberholzer@example.com',
    password: 'other-password-1',
    firstName: 'Otto',
    lastName: 'Oberholzer',
  },
  inactive: {
    username: 'ivy.inactive',
    email: 'ivy.idlewood@example.com',
    password: 'inactive-password-1',
    firstName: 'Ivy',
    lastName: 'Idlewood',
    isActive: false,
  },
  admin: {
    username: 'ada.admin',
    email: 'ada.adminsson@example.com',
    password: 'admin-password-1',
    firstName: 'Ada',
    lastName: 'Adminsson',
    isAdmin: true,
  },
} satisfies Record<string, CreateUserInput>

const properties = {
  /** 120.00 a night, moderate policy. */
  loft: {
    owner: users.host.username,
    name: 'Harbour Loft',
    address: '1 Quay Street, Lisbon',
    description: 'Bright loft over the harbour',
    pricePerNight: '120.00',
    cancellationPolicy: 'moderate',
  },
  /** 333.33 a night, strict policy: awkward cents for flooring. */
  cabin: {
    owner: users.host.username,
    name: 'Pine Cabin',
    address: '7 Forest Road, Bergen',
    description: 'Wood stove, no wifi',
    pricePerNight: '333.33',
    cancellationPolicy: 'strict',
  },
  /** 33.33 a night, flexible policy: 3 nights are 99.99. */
  flat: {
    owner: users.host.username,
    name: 'City Flat',
    address: '12 Market Square, Porto',
    description: null,
    pricePerNight: '33.33',
    cancellationPolicy: 'flexible',
  },
} satisfies Record<string, CreatePropertyInput>

export type BookingFixture = CreateBookingInput & {status: BookingStatus}

const bookings = {
  /** An ended stay (for reviews): loft, guest, 10 → 7 days ago. */
  confirmedPast: {
    property: properties.loft.name,
    guest: users.guest.username,
    startDate: day(-10),
    endDate: day(-7),
    allowPast: true,
    status: 'confirmed',
  },
  /** Cabin, guest, in 30 days, not yet confirmed. */
  pendingFuture: {
    property: properties.cabin.name,
    guest: users.guest.username,
    startDate: day(30),
    endDate: day(33),
    status: 'pending',
  },
  /** Loft, guest, in 14 days: 3 × 120.00 = 360.00, charged 100.00 (charge100). */
  confirmedFuture: {
    property: properties.loft.name,
    guest: users.guest.username,
    startDate: day(14),
    endDate: day(17),
    status: 'confirmed',
  },
  /** Flat, otherGuest, in 5 days, cancelled: it blocks nobody. */
  cancelledFuture: {
    property: properties.flat.name,
    guest: users.otherGuest.username,
    startDate: day(5),
    endDate: day(8),
    status: 'cancelled',
  },
} satisfies Record<string, BookingFixture>

export type PaymentFixture = Omit<RecordChargeInput, 'bookingId'> & {booking: keyof typeof bookings}

const payments = {
  /** A completed charge of 100.00 on confirmedFuture (total 360.00). */
  charge100: {booking: 'confirmedFuture', amount: '100.00', transactionId: 'txn_charge100'},
  /** The past stay, paid in full. */
  pastStayPaid: {booking: 'confirmedPast', amount: '360.00', transactionId: 'txn_past_stay'},
} satisfies Record<string, PaymentFixture>

const reviews = {
  loftByGuest: {
    property: properties.loft.name,
    reviewer: users.guest.username,
    rating: 5,
    comment: 'Lovely loft. Regards, Guinevere Quillfeather',
  },
} satisfies Record<string, CreateReviewInput>

export const fixtures = {users, properties, bookings, payments, reviews}

export type UserName = keyof typeof users
export type PropertyName = keyof typeof properties
export type BookingName = keyof typeof bookings
export type PaymentName = keyof typeof payments
export type ReviewName = keyof typeof reviews

export interface ScenarioIds {
  users: Record<UserName, number>
  properties: Record<PropertyName, number>
  bookings: Record<BookingName, number>
  payments: Record<PaymentName, number>
  reviews: Record<ReviewName, number>
}

/** A context for tests: an admin actor "test" at the CLI, bcrypt cost 4 (fast). */
export function testContext(db: Db, overrides: Partial<ServiceContext> = {}): ServiceContext {
  return {db, actor: {name: 'test', isAdmin: true}, via: 'cli', bcryptCost: 4, ...overrides}
}

function entries<K extends string, V>(record: Record<K, V>): [K, V][] {
  return Object.entries(record) as [K, V][]
}

/**
 * Creates every fixture through the services (so the rules apply, and audit events are
 * written like in real use) and returns their ids by name. Needs today() = TODAY.
 */
export async function loadScenario(ctx: ServiceContext): Promise<ScenarioIds> {
  if (today() !== TODAY) {
    throw new Error(`loadScenario needs STAYCTL_TODAY=${TODAY} (today is ${today()})`)
  }
  const ids = {users: {}, properties: {}, bookings: {}, payments: {}, reviews: {}} as ScenarioIds
  for (const [name, input] of entries(users)) ids.users[name] = (await createUser(ctx, input)).id
  for (const [name, input] of entries(properties)) ids.properties[name] = (await createProperty(ctx, input)).id
  for (const [name, {status, ...input}] of entries<BookingName, BookingFixture>(bookings)) {
    const id = (await createBooking(ctx, input)).id
    if (status === 'confirmed') await confirmBooking(ctx, id)
    if (status === 'cancelled') await cancelBooking(ctx, id, {refund: 'none'})
    ids.bookings[name] = id
  }
  for (const [name, {booking, ...input}] of entries<PaymentName, PaymentFixture>(payments)) {
    ids.payments[name] = (await recordCharge(ctx, {...input, bookingId: ids.bookings[booking]})).id
  }
  for (const [name, input] of entries(reviews)) ids.reviews[name] = (await createReview(ctx, input)).id
  return ids
}
