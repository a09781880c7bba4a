/**
 * A small, varied platform built through the services (the single-row operations), for the
 * export and round-trip tests: two hosts sharing a listing name, text with commas, quotes,
 * newlines and accents, past and future stays, a cancellation with a policy refund, partial
 * and full refunds, pending and failed charges, an idempotency key, a deactivated guest, an
 * erased guest and an unlisted property.
 */
import type {Db} from '../../src/db/index.js'
import {cancelBooking, confirmBooking, createBooking} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {addDays, today} from '../../src/services/dates.js'
import {recordCharge, refundPayment} from '../../src/services/payments.js'
import {createProperty, updateProperty} from '../../src/services/properties.js'
import {createReview} from '../../src/services/reviews.js'
import {createUser, eraseUser, setActive} from '../../src/services/users.js'

export function serviceContext(db: Db): ServiceContext {
  return {db, actor: {name: 'os:test', isAdmin: true}, via: 'cli', bcryptCost: 4}
}

/** A calendar date `days` from today. */
export const day = (days: number) => addDays(today(), days)

export async function seedScenario(ctx: ServiceContext) {
  const password = 'secret-123'
  await createUser(ctx, {username: 'alice', email: 'Alice@Example.com', password, firstName: 'Alice', lastName: 'Zoë'})
  await createUser(ctx, {username: 'bob', email: 'bob@example.com', password, firstName: 'Bob', lastName: 'O"Brien, Jr.'})
  await createUser(ctx, {username: 'carol', email: 'carol@example.com', password})
  await createUser(ctx, {username: 'dave', email: 'dave@example.com', password})
  await createUser(ctx, {username: 'erin', email: 'erin@example.com', password})
  await createUser(ctx, {username: 'root', email: 'root@example.com', password, isAdmin: true})

  const seaA = await createProperty(ctx, {
    owner: 'alice',
    name: 'Sea View',
    address: '1 Shore Rd, Brighton',
    pricePerNight: '120.50',
    description: 'Two rooms,\n"sea" view',
    cancellationPolicy: 'flexible',
  })
  const seaB = await createProperty(ctx, {owner: 'bob@example.com', name: 'Sea View', address: '2 Shore Rd', pricePerNight: '99', cancellationPolicy: 'strict'})
  const cabin = await createProperty(ctx, {owner: 'alice', name: 'Cabin', address: 'Forest', pricePerNight: '60'})

  // Past stays, confirmed, paid and reviewed.
  const b1 = await createBooking(ctx, {property: seaA.id, guest: 'carol', startDate: day(-30), endDate: day(-25), allowPast: true})
  await confirmBooking(ctx, b1.id)
  await recordCharge(ctx, {bookingId: b1.id, amount: b1.totalPrice, transactionId: 'ch-b1'})
  await refundPayment(ctx, 'ch-b1', {amount: '20.00', reason: 'broken heater', idempotencyKey: 'idem-1'})
  await createReview(ctx, {property: seaA.id, reviewer: 'carol', rating: 5, comment: 'Great, "really"'})
  const b2 = await createBooking(ctx, {property: cabin.id, guest: 'dave', startDate: day(-10), endDate: day(-7), allowPast: true})
  await confirmBooking(ctx, b2.id)
  await createReview(ctx, {property: cabin.id, reviewer: 'dave', rating: 3})
  const b3 = await createBooking(ctx, {property: seaB.id, guest: 'erin', startDate: day(-40), endDate: day(-38), allowPast: true})
  await confirmBooking(ctx, b3.id)
  await recordCharge(ctx, {bookingId: b3.id, amount: '198', transactionId: 'ch-b3'})
  await createReview(ctx, {property: seaB.id, reviewer: 'erin', rating: 4, comment: 'nice'})

  // Future stays: one cancelled with a policy refund, one with pending and failed charges,
  // one without an external reference refunded in two steps, one pending.
  const b4 = await createBooking(ctx, {property: seaA.id, guest: 'dave', startDate: day(20), endDate: day(25), externalRef: 'CHAN-4'})
  await confirmBooking(ctx, b4.id)
  await recordCharge(ctx, {bookingId: b4.id, amount: b4.totalPrice, transactionId: 'ch-b4'})
  await cancelBooking(ctx, b4.id, {refund: 'policy'})
  const b5 = await createBooking(ctx, {property: seaB.id, guest: 'carol', startDate: day(10), endDate: day(12), externalRef: 'CHAN-5'})
  await recordCharge(ctx, {bookingId: b5.id, amount: '50', transactionId: 'ch-b5', status: 'pending'})
  await recordCharge(ctx, {bookingId: b5.id, amount: '10', transactionId: 'ch-b5-failed', status: 'failed'})
  const b6 = await createBooking(ctx, {property: seaA.id, guest: 'carol', startDate: day(30), endDate: day(33)})
  await confirmBooking(ctx, b6.id)
  await recordCharge(ctx, {bookingId: b6.id, amount: '100', transactionId: 'ch-b6', paymentDate: '2026-01-02T03:04:05.678Z'})
  await refundPayment(ctx, 'ch-b6', {amount: '30'})
  await refundPayment(ctx, 'ch-b6', {reason: 'rest'})
  await createBooking(ctx, {property: seaA.id, guest: 'bob', startDate: day(40), endDate: day(41)})

  // What changed after the fact.
  await setActive(ctx, 'dave', false)
  await eraseUser(ctx, 'erin')
  await updateProperty(ctx, cabin.id, {isListed: false})
  return {seaA, seaB, cabin}
}
