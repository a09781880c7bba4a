/**
 * Who may book what, as one kernel for `bookings create` and `import bookings` (the calendar,
 * no two live stays overlapping, is rules/calendar.ts):
 *   - a stay starts today or later;
 *   - only listed properties are booked, and only by active users;
 *   - a host never books their own property;
 *   - a booking's status is pending, confirmed or cancelled; its total is nights × the nightly
 *     price unless given, and never more than its column holds;
 *   - a stay has begun once today is past its check-in day; nights before today are history:
 *     a change of dates (`bookings update`) neither adds nor removes one (moveRefusal).
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

/** Whether a stay checking in on `startDate` has begun `today`: on the check-in day it has not yet (it may still be cancelled or moved). */
export function hasBegun(startDate: string, today: string): boolean {
  return startDate < today
}

/** A refused change of a booking's dates: the field to blame, why, and whether the input is at fault (a date in the past) or the booking's state (a stay begun or ended). */
export interface MoveRefusal {
  field: 'startDate' | 'endDate'
  reason: string
  invalid?: boolean
}

/**
 * Why booking `id`, staying [before.startDate, before.endDate), cannot move to [after.startDate,
 * after.endDate) `today`: nights before today never change. Its start moves only while the stay
 * has not begun, and never into the past; its end moves (a stay under way lengthened or
 * shortened) while the stay has not ended, and never to before today.
 */
export function moveRefusal(
  id: number,
  before: {startDate: string; endDate: string},
  after: {startDate: string; endDate: string},
  today: string,
): MoveRefusal | undefined {
  if (after.startDate !== before.startDate) {
    if (hasBegun(before.startDate, today)) {
      return {field: 'startDate', reason: `booking ${id} began on ${before.startDate}; the start of a stay that has begun cannot move`}
    }
    const past = pastRefusal(after.startDate, today)
    if (past) return {field: 'startDate', reason: past, invalid: true}
  }
  if (after.endDate !== before.endDate) {
    if (before.endDate < today) return {field: 'endDate', reason: `booking ${id} ended on ${before.endDate}; a stay that has ended cannot move`}
    if (after.endDate < today) return {field: 'endDate', reason: `end date ${after.endDate} is in the past`, invalid: true}
  }
  return undefined
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
