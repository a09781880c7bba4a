/**
 * Who may book what, as one kernel for `bookings create` and `import bookings` (the calendar,
 * no two live stays overlapping, is rules/calendar.ts):
 *   - a stay starts today or later;
 *   - only listed properties are booked, and only by active users;
 *   - a host never books their own property;
 *   - a booking's status is pending, confirmed or cancelled; its total is nights × the nightly
 *     price unless given, and never more than its column holds.
 *
 * Option `history` (imports): a booking is state, not a request, so whatever the product can
 * hold is taken back: past stays, stays of unlisted properties and of inactive guests (the
 * product holds them once a listing is unlisted or a guest deactivated after booking). What no
 * state may hold is refused all the same: a host's stay at their own property. `bookings
 * create` has the narrower option `allowPast` (an admin back-filling a stay).
 */
import {BOOKING_STATUSES, type BookingStatus} from '../../domain.js'
import {ValidationError} from '../../errors.js'
import {MAX_TOTAL_CENTS, formatCents, toCents} from '../money.js'
import {optionalText} from '../text.js'

export function checkBookingStatus(value: string): BookingStatus {
  if (!(BOOKING_STATUSES as readonly string[]).includes(value)) {
    throw new ValidationError(`status must be one of ${BOOKING_STATUSES.join(', ')}; got "${value}"`, {details: {field: 'status'}})
  }
  return value as BookingStatus
}

/** An optional external reference (a channel manager's id): at most 64 characters; '' is none. */
export function checkExternalRef(value: string | null | undefined): string | null {
  return optionalText(value, 64, 'external reference', 'externalRef')
}

/**
 * The total of a stay: nights × the nightly price, in cents, refused (as the `totalPrice`
 * field) when it is more than a booking's total can hold.
 */
export function stayTotal(nights: number, pricePerNight: string | number): number {
  const price = toCents(pricePerNight)
  const cents = nights * price
  if (cents > MAX_TOTAL_CENTS) {
    throw new ValidationError(
      `${nights} nights at ${formatCents(price)} come to ${formatCents(cents)}, more than a booking's total can hold (${formatCents(MAX_TOTAL_CENTS)})`,
      {suggestion: 'book fewer nights', details: {field: 'totalPrice'}},
    )
  }
  return cents
}

export interface BookingOptions {
  /** An import: past stays, unlisted properties and inactive guests are taken. */
  history?: boolean
  /** An admin back-filling one stay: a past start is taken. */
  allowPast?: boolean
}

/** Why a stay starting on `startDate` cannot be booked `today`: it lies in the past (unless an option allows it). */
export function pastRefusal(startDate: string, today: string, options: BookingOptions = {}): string | undefined {
  return startDate < today && !options.history && !options.allowPast ? `start date ${startDate} is in the past` : undefined
}

/** A refused booker: the field to blame (the property or the guest) and why. */
export interface BookerRefusal {
  field: 'property' | 'guest'
  reason: string
}

/** Why `property` cannot be booked: it is unlisted (unless in history). */
export function listingRefusal(property: {id: number; isListed: boolean}, options: BookingOptions = {}): BookerRefusal | undefined {
  return !options.history && !property.isListed ? {field: 'property', reason: `property ${property.id} is unlisted and cannot be booked`} : undefined
}

/** Why `guest` cannot book `property`: an inactive guest (unless in history), or its host. */
export function guestRefusal(
  property: {id: number; ownerId: number},
  guest: {id: number; username: string; isActive: boolean},
  options: BookingOptions = {},
): BookerRefusal | undefined {
  const who = `user ${guest.id} (${guest.username})`
  if (!options.history && !guest.isActive) return {field: 'guest', reason: `${who} is inactive and cannot book`}
  if (property.ownerId === guest.id) return {field: 'guest', reason: `${who} owns property ${property.id} and cannot book it`}
  return undefined
}

/** Why `guest` cannot book `property`: listingRefusal, then guestRefusal. */
export function bookerRefusal(
  property: {id: number; ownerId: number; isListed: boolean},
  guest: {id: number; username: string; isActive: boolean},
  options: BookingOptions = {},
): BookerRefusal | undefined {
  return listingRefusal(property, options) ?? guestRefusal(property, guest, options)
}
