/**
 * Demo bookings, reviews and payments. Each property gets a share of the bookings on its own
 * timeline, starting before the reference date: a booking starts at or after the end of the
 * previous non-cancelled one, so non-cancelled bookings never overlap; a cancelled one frees
 * its dates again. Past stays are confirmed or cancelled, future ones may still be pending.
 * Reviews come from guests of confirmed stays that ended before the reference date. Confirmed
 * and some cancelled bookings were charged; cancellations are refunded by the property's
 * policy, and a few past stays got goodwill refunds, always below the charge.
 */
import type {PropertyDraft} from './seed-accounts.js'
import {DAY_MS, SECOND_MS, numberByTime, type Draws} from './seed-draws.js'
import {centsToDecimal, type BookingRow, type PaymentRow, type ReviewRow, type SeedPlan, type UserRow} from './seed-rows.js'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

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

/** A booking while the data is drafted: day numbers and ms timestamps, the property by index. */
export interface DraftBooking {
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

/** How many bookings each property gets: popular ones get more. */
function bookingShares(g: Draws, plan: SeedPlan, properties: PropertyDraft[]): number[] {
  const weights = properties.map(() => 0.5 + g.faker.number.float())
  const totalWeight = weights.reduce((a, b) => a + b, 0)
  const shares = weights.map((w) => Math.floor((plan.bookings * w) / totalWeight))
  for (let left = plan.bookings - shares.reduce((a, b) => a + b, 0); left > 0; left--) {
    shares[g.int(0, shares.length - 1)] += 1
  }
  return shares
}

/** The bookings of one property, one after the other on its timeline. */
function draftBookingsOf(g: Draws, property: PropertyDraft, p: number, share: number, guests: UserRow[]): DraftBooking[] {
  const {faker, int, chance, pick, between, refDay, ref} = g
  const drafts: DraftBooking[] = []
  let cursor = g.windowStart + int(0, 7)
  for (let k = 0; k < share; k++) {
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
    drafts.push({id: 0, property: p, guest: guest.id, start, end, status, totalCents: nights * property.priceCents, created, updated, chargedAt})
    if (status !== 'cancelled') cursor = end
  }
  return drafts
}

/** Every booking, numbered by creation time. */
export function draftBookings(g: Draws, plan: SeedPlan, properties: PropertyDraft[], guests: UserRow[]): DraftBooking[] {
  const shares = bookingShares(g, plan, properties)
  const drafts: DraftBooking[] = []
  properties.forEach((property, p) => drafts.push(...draftBookingsOf(g, property, p, shares[p], guests)))
  return numberByTime(drafts, (b) => b.created, g.firstId('bookings'))
}

export function bookingRows(g: Draws, ordered: DraftBooking[], properties: PropertyDraft[]): BookingRow[] {
  return ordered.map((b) => ({
    id: b.id,
    property_id: properties[b.property].id,
    guest_id: b.guest,
    start_date: g.day(b.start),
    end_date: g.day(b.end),
    status: b.status,
    total_price: centsToDecimal(b.totalCents),
    // Every booking with a charge is charged its total (see the payments below).
    charged_amount: centsToDecimal(b.chargedAt === null ? 0 : b.totalCents),
    external_ref: null,
    created_at: new Date(b.created),
    updated_at: new Date(b.updated),
  }))
}

/** Reviews: at most one per (property, guest), after a confirmed stay that has ended. */
export function generateReviews(g: Draws, ordered: DraftBooking[], properties: PropertyDraft[]): ReviewRow[] {
  const {chance, between, ref} = g
  const reviewed = new Set<string>()
  const reviewDrafts: ReviewRow[] = []
  for (const b of ordered) {
    if (b.status !== 'confirmed' || b.end >= g.refDay) continue
    const key = `${b.property}:${b.guest}`
    if (reviewed.has(key) || !chance(0.55)) continue
    reviewed.add(key)
    const rating = g.faker.helpers.weightedArrayElement([
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
      comment: chance(0.85) ? g.pick(COMMENTS[rating]) : null,
      created_at: new Date(created),
      updated_at: new Date(chance(0.1) ? between(created, ref - SECOND_MS) : created),
    })
  }
  return numberByTime(reviewDrafts, (r) => r.created_at.getTime(), g.firstId('reviews'))
}

/** Unique transaction ids: a prefix and 24 base-62 characters. */
function transactionIds(g: Draws): (prefix: string) => string {
  const taken = new Set<string>()
  // 24 base-62 characters from three draws of 8 (faker.string.alphanumeric makes one per character).
  const token = () => {
    let text = ''
    for (let draw = 0; draw < 3; draw++) {
      let n = g.int(0, 62 ** 8 - 1)
      for (let i = 0; i < 8; i++, n = Math.floor(n / 62)) text += ALPHANUMERIC[n % 62]
    }
    return text
  }
  return (prefix) => {
    let id: string
    do id = `${prefix}_${token()}`
    while (taken.has(id))
    taken.add(id)
    return id
  }
}

/** The refunds of a charged booking: by its property's policy when cancelled, now and then goodwill after a stay. */
function refundsOf(g: Draws, b: DraftBooking, properties: PropertyDraft[]): {cents: number; at: number; reason: string}[] {
  const {int, between, ref} = g
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
  } else if (b.status === 'confirmed' && b.end < g.refDay && g.chance(0.06)) {
    const first = Math.max(1, Math.floor((b.totalCents * int(10, 40)) / 100))
    const firstAt = between(b.end * DAY_MS + 3600 * SECOND_MS, Math.min(b.end * DAY_MS + 7 * DAY_MS, ref - 120 * SECOND_MS))
    refunds.push({cents: first, at: firstAt, reason: g.pick(GOODWILL_REASONS)})
    const rest = b.totalCents - first
    if (rest > 1 && g.chance(0.25)) {
      refunds.push({
        cents: Math.max(1, Math.floor((rest * int(5, 30)) / 100)),
        at: between(firstAt + 60 * SECOND_MS, Math.min(firstAt + 3 * DAY_MS, ref - SECOND_MS)),
        reason: g.pick(GOODWILL_REASONS),
      })
    }
  }
  return refunds
}

/** The charge of a paid booking and its refunds; the charge is 'refunded' when they add up to it. */
function paymentsOf(g: Draws, b: DraftBooking, chargedAt: number, properties: PropertyDraft[], transactionId: (prefix: string) => string): DraftPayment[] {
  const charge: DraftPayment = {
    id: 0,
    booking: b,
    amountCents: b.totalCents,
    at: chargedAt,
    updated: chargedAt,
    status: 'completed',
    kind: 'charge',
    chargeOf: null,
    reason: null,
    transactionId: transactionId('ch'),
    refundedCents: 0,
  }
  const drafts = [charge]
  const refunds = refundsOf(g, b, properties)
  for (const refund of refunds) {
    charge.refundedCents += refund.cents
    drafts.push({
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
  return drafts
}

/** Payments: a completed charge per paid booking; refunds by policy or goodwill. */
export function generatePayments(g: Draws, ordered: DraftBooking[], properties: PropertyDraft[]): PaymentRow[] {
  const transactionId = transactionIds(g)
  const drafts: DraftPayment[] = []
  for (const b of ordered) if (b.chargedAt !== null) drafts.push(...paymentsOf(g, b, b.chargedAt, properties, transactionId))
  return numberByTime(drafts, (p) => p.at, g.firstId('payments')).map((p) => ({
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
}
