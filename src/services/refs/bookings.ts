/**
 * Booking references: digits are an id, anything else an external reference, compared exactly
 * on every database (see resolver.ts). Import rows may also name a booking by its stay
 * (property, guest and dates): resolveBookingsOrStays.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import type {ServiceContext} from '../context.js'
import {BOOKING_COLUMNS, calendarBooking, type CalendarBooking} from '../rules/calendar.js'
import {resolveProperties, type PropertyQuery} from './properties.js'
import {keyedResolver, type RefCache, type Resolver} from './resolver.js'
import {resolveUsers} from './users.js'

/** A booking as a reference resolves it: the calendar's view of it. */
export type BookingRef = CalendarBooking

const BOOKING_SELECT = `SELECT ${BOOKING_COLUMNS} FROM bookings WHERE`

/** Resolves booking references: digits are an id, anything else an external reference. */
export const resolveBookings: Resolver<BookingRef> = keyedResolver<BookingRef>({
  prefix: 'booking',
  select: BOOKING_SELECT,
  column: 'external_ref',
  keyOf: (b) => b.externalRef,
  typed: calendarBooking,
})

/** Bookings by (property, guest, start, end): one query over the batch's sets of each. */
async function bookingsByStay(
  ctx: ServiceContext,
  transaction: Transaction,
  stays: {propertyId: number; guestId: number; startDate: string}[],
): Promise<BookingRef[]> {
  if (stays.length === 0) return []
  const propertyIds = [...new Set(stays.map((s) => s.propertyId))]
  const guestIds = [...new Set(stays.map((s) => s.guestId))]
  const starts = [...new Set(stays.map((s) => s.startDate))]
  const rows = await ctx.db.sequelize.query<BookingRef>(
    `${BOOKING_SELECT} property_id IN (:propertyIds) AND guest_id IN (:guestIds) AND start_date IN (:starts) ORDER BY id`,
    {replacements: {propertyIds, guestIds, starts}, transaction, type: QueryTypes.SELECT},
  )
  return rows.map(calendarBooking)
}

// ------------------------------------------------------------------- bookings or stays

export interface StayRef {
  property: string
  propertyOwner?: string
  guest: string
  startDate: string
  endDate: string
}

/** The booking a row names, or why none. */
export type BookingResolution = {id: number} | {field: string; error: string}
/** A stay's property and guest, or why one is unknown. */
export type StayIds = {propertyId: number; guestId: number; guest: string} | {propertyId?: undefined; field: string; error: string}

export interface BookingRefs {
  /** Per row: the booking it names (refunds: only when it names one; a refund's booking is its charge's). */
  given: (BookingResolution | undefined)[]
  stayIds: (stay: StayRef) => StayIds
}

const stayKey = (propertyId: number, guestId: number, start: string, end: string) => `${propertyId}|${guestId}|${start}|${end}`
const stayQuery = (s: StayRef): PropertyQuery => ({property: s.property, owner: s.propertyOwner})
export const sameStay = (ids: {propertyId: number; guestId: number}, s: StayRef, b: BookingRef) =>
  ids.propertyId === b.propertyId && ids.guestId === b.guestId && s.startDate === b.startDate && s.endDate === b.endDate

/**
 * The bookings rows name: by id or externalRef (`booking`), or by stay (property, guest,
 * dates), or both (then they must agree). A row of `kind` refund names none unless it has
 * `booking` (a refund's booking is its charge's).
 */
export async function resolveBookingsOrStays(
  ctx: ServiceContext,
  transaction: Transaction,
  records: {kind: 'charge' | 'refund'; booking?: string; stay?: StayRef}[],
  cache?: RefCache,
): Promise<BookingRefs> {
  const withStay = records.filter((r) => r.stay).map((r) => r.stay!)
  const [direct, properties, guests] = await Promise.all([
    resolveBookings(ctx, transaction, records.map((r) => r.booking), cache),
    resolveProperties(ctx, transaction, withStay.map(stayQuery), cache),
    resolveUsers(ctx, transaction, withStay.map((s) => s.guest), cache),
  ])
  const stayIds = (s: StayRef): StayIds => {
    const property = properties(stayQuery(s))
    if (property.error !== undefined) return {field: 'property', error: property.error}
    const guest = guests(s.guest)
    if (!guest) return {field: 'guest', error: `unknown guest "${s.guest}"`}
    return {propertyId: property.property.id, guestId: guest.id, guest: guest.username}
  }
  const byStay = new Map<string, BookingRef[]>()
  const stays = withStay.flatMap((s) => {
    const ids = stayIds(s)
    return ids.propertyId === undefined ? [] : [{propertyId: ids.propertyId, guestId: ids.guestId, startDate: s.startDate}]
  })
  for (const b of await bookingsByStay(ctx, transaction, stays)) {
    const key = stayKey(b.propertyId, b.guestId, b.startDate, b.endDate)
    byStay.set(key, [...(byStay.get(key) ?? []), b])
  }
  const bookingOf = (r: (typeof records)[number]): BookingResolution => {
    if (r.booking) {
      const b = direct(r.booking)
      if (!b) return {field: 'booking', error: `unknown booking "${r.booking}"`}
      const ids = r.stay ? stayIds(r.stay) : undefined
      if (ids?.propertyId === undefined && ids) return ids
      if (ids && !sameStay(ids, r.stay!, b)) return {field: 'booking', error: `booking "${r.booking}" is not the stay given (property, guest and dates)`}
      return {id: b.id}
    }
    const s = r.stay!
    const ids = stayIds(s)
    if (ids.propertyId === undefined) return ids
    const found = byStay.get(stayKey(ids.propertyId, ids.guestId, s.startDate, s.endDate)) ?? []
    const stay = `property ${ids.propertyId} by ${ids.guest} from ${s.startDate} to ${s.endDate}`
    if (found.length === 0) return {field: 'booking', error: `no booking of ${stay}`}
    if (found.length > 1) {
      return {field: 'booking', error: `${found.length} bookings of ${stay} (${found.map((b) => b.id).join(', ')}); name one by booking id or externalRef`}
    }
    return {id: found[0].id}
  }
  return {given: records.map((r) => (r.kind === 'charge' || r.booking ? bookingOf(r) : undefined)), stayIds}
}
