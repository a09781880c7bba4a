/**
 * Acceptance 5: `bookings cancel --refund policy` refunds exactly what the documented policy
 * gives, in cents, for each policy and a range of days before check-in. The expected amounts
 * are written out by hand from the table in src/services/policies.ts, not computed with it.
 */
import {expect} from 'chai'

import type {CancellationPolicy} from '../../src/domain.js'
import {cancelBooking, createBooking, showBooking} from '../../src/services/bookings.js'
import {addDays} from '../../src/services/dates.js'
import {recordCharge, refundPayment, showPayment} from '../../src/services/payments.js'
import {createProperty} from '../../src/services/properties.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, useScenario} from '../support/integration.js'

const {users} = fixtures

// 3 nights at 333.33 = 999.99 paid; half of it floors to 499.99 (not 500.00).
const PAID = '999.99'
const HALF = '499.99'
const NONE = '0.00'

/** Days before check-in → what comes back of 999.99, per the documented table. */
const EXPECTED: Record<CancellationPolicy, Record<number, string>> = {
  flexible: {0: NONE, 1: PAID, 2: PAID, 4: PAID, 5: PAID, 6: PAID, 7: PAID, 13: PAID, 14: PAID, 30: PAID},
  moderate: {0: NONE, 1: HALF, 2: HALF, 4: HALF, 5: PAID, 6: PAID, 7: PAID, 13: PAID, 14: PAID, 30: PAID},
  strict: {0: NONE, 1: NONE, 2: NONE, 4: NONE, 5: NONE, 6: NONE, 7: HALF, 13: HALF, 14: PAID, 30: PAID},
}

const PERCENT: Record<string, number> = {[PAID]: 100, [HALF]: 50, [NONE]: 0}

describe('cancellation refunds by policy (integration)', () => {
  const s = useScenario('cancellation_refunds')
  const checkIn = day(40)
  let made = 0

  /** A fresh property with `policy` at 333.33, a 3-night booking from day 40, charged in full. */
  async function paidBooking(policy: CancellationPolicy, charges: string[] = [PAID]) {
    const property = await createProperty(s.ctx, {
      owner: users.host.username,
      name: `Policy test ${policy} ${++made}`,
      address: 'Somewhere 1',
      pricePerNight: '333.33',
      cancellationPolicy: policy,
    })
    const booking = await createBooking(s.ctx, {property: property.id, guest: users.guest.username, startDate: checkIn, endDate: addDays(checkIn, 3)})
    const payments = []
    for (const [i, amount] of charges.entries()) {
      payments.push(await recordCharge(s.ctx, {bookingId: booking.id, amount, transactionId: `txn_${booking.id}_${i}`}))
    }
    return {booking, payments}
  }

  for (const policy of ['flexible', 'moderate', 'strict'] as const) {
    describe(policy, () => {
      for (const [days, expected] of Object.entries(EXPECTED[policy])) {
        it(`${days} day(s) before check-in refunds ${expected} of ${PAID}`, async () => {
          const {booking, payments} = await paidBooking(policy)
          process.env.STAYCTL_TODAY = addDays(checkIn, -Number(days))
          const result = await cancelBooking(s.ctx, booking.id, {refund: 'policy'})
          expect(result.daysBeforeCheckIn).to.equal(Number(days))
          expect(result.policyPercent).to.equal(PERCENT[expected])
          expect(result.refunded).to.equal(expected)
          expect(result.refunds.map((r) => r.amount)).to.deep.equal(expected === NONE ? [] : [expected])
          const after = await showBooking(s.ctx, booking.id)
          expect(after).to.include({status: 'cancelled', paid: PAID, refunded: expected})
          const charge = await showPayment(s.ctx, payments[0].id)
          expect(charge.status).to.equal(expected === PAID ? 'refunded' : 'completed')
          expect(await countRows(s.db, 'audit_events', `action = 'payment.refund' AND entity_id IN (${result.refunds.map((r) => r.id).join(',') || '0'})`)).to.equal(
            result.refunds.length,
          )
        })
      }
    })
  }

  it('refunds everything with --refund full, whatever the policy', async () => {
    const {booking, payments} = await paidBooking('strict')
    process.env.STAYCTL_TODAY = addDays(checkIn, -1)
    const result = await cancelBooking(s.ctx, booking.id, {refund: 'full'})
    expect(result).to.include({refundMode: 'full', refunded: PAID, policyPercent: null})
    expect((await showPayment(s.ctx, payments[0].id)).status).to.equal('refunded')
  })

  it('refunds nothing with --refund none, whatever the policy', async () => {
    const {booking, payments} = await paidBooking('flexible')
    const result = await cancelBooking(s.ctx, booking.id, {refund: 'none'})
    expect(result).to.include({refundMode: 'none', refunded: NONE})
    expect(result.refunds).to.deep.equal([])
    expect((await showPayment(s.ctx, payments[0].id)).refundable).to.equal(PAID)
  })

  it('applies the policy to what was paid and not yet refunded', async () => {
    const {booking, payments} = await paidBooking('moderate')
    await refundPayment(s.ctx, payments[0].id, {amount: '100.00'})
    process.env.STAYCTL_TODAY = addDays(checkIn, -2)
    const result = await cancelBooking(s.ctx, booking.id, {refund: 'policy'})
    // 899.99 left, 50 % of it floored: 449.99.
    expect(result.refunded).to.equal('449.99')
    const charge = await showPayment(s.ctx, payments[0].id)
    expect(charge.refunds.map((r) => r.amount)).to.deep.equal(['100.00', '449.99'])
    expect(charge).to.include({status: 'completed', refundable: '450.00'})
  })

  it('refunds the rest in full after a partial refund with --refund full', async () => {
    const {booking, payments} = await paidBooking('strict')
    await refundPayment(s.ctx, payments[0].id, {amount: '0.99'})
    const result = await cancelBooking(s.ctx, booking.id, {refund: 'full'})
    expect(result.refunded).to.equal('999.00')
    expect(await showPayment(s.ctx, payments[0].id)).to.include({status: 'refunded', refundable: '0.00'})
  })

  it('spreads a policy refund over several charges, oldest first, without exceeding any', async () => {
    const {booking, payments} = await paidBooking('moderate', ['300.00', '699.99'])
    process.env.STAYCTL_TODAY = addDays(checkIn, -3)
    const result = await cancelBooking(s.ctx, booking.id, {refund: 'policy'})
    expect(result.refunded).to.equal(HALF)
    expect(result.refunds.map((r) => [r.refundOfId, r.amount])).to.deep.equal([
      [payments[0].id, '300.00'],
      [payments[1].id, '199.99'],
    ])
    expect((await showPayment(s.ctx, payments[0].id)).status).to.equal('refunded')
  })

  it('ignores pending and failed charges', async () => {
    const {booking} = await paidBooking('flexible', [])
    await recordCharge(s.ctx, {bookingId: booking.id, amount: '500.00', transactionId: 'txn_pending', status: 'pending'})
    await recordCharge(s.ctx, {bookingId: booking.id, amount: '999.99', transactionId: 'txn_failed', status: 'failed'})
    const result = await cancelBooking(s.ctx, booking.id, {refund: 'full'})
    expect(result.refunded).to.equal(NONE)
    expect(await countRows(s.db, 'payments', "kind = 'refund'")).to.equal(0)
  })

  it('uses the property policy of the fixtures: the loft is moderate', async () => {
    // confirmedFuture starts on day 14 and has 100.00 paid (charge100); 3 days ahead → 50 %.
    process.env.STAYCTL_TODAY = addDays(fixtures.bookings.confirmedFuture.startDate, -3)
    const result = await cancelBooking(s.ctx, s.ids.bookings.confirmedFuture, {refund: 'policy'})
    expect(result).to.include({policyPercent: 50, refunded: '50.00'})
  })
})
