import {expect} from 'chai'

import {ConflictError, NotFoundError, ValidationError} from '../../src/errors.js'
import {cancelBooking} from '../../src/services/bookings.js'
import {listPayments, recordCharge, refundPayment, showPayment, type PaymentView} from '../../src/services/payments.js'
import {fixtures} from '../support/fixtures.js'
import {countRows, expectNoWrites, expectRefused, useScenario} from '../support/integration.js'

// On MySQL the timestamps are DATETIME(0): the view returned by a create still has the
// milliseconds the database dropped, a later read has not. Compare the rest.
const stable = ({createdAt: _createdAt, paymentDate: _paymentDate, ...rest}: PaymentView) => rest

describe('payments (integration)', () => {
  const s = useScenario('payments')
  const charge = (amount: string, transactionId: string, extra: {status?: 'pending' | 'completed' | 'failed'; bookingId?: number} = {}) =>
    recordCharge(s.ctx, {bookingId: s.ids.bookings.confirmedFuture, amount, transactionId, ...extra})

  describe('charges', () => {
    it('records a charge and audits it', async () => {
      const payment = await charge('10.50', 'txn_new')
      expect(payment).to.include({kind: 'charge', amount: '10.50', status: 'completed', transactionId: 'txn_new', refundOfId: null})
      expect(await countRows(s.db, 'audit_events', `action = 'payment.record' AND entity_id = '${payment.id}'`)).to.equal(1)
    })

    it('refuses charges above the booking total (360.00, 100.00 already charged)', async () => {
      await expectRefused(s.db, () => charge('260.01', 'txn_over'), ConflictError, /above its total 360.00/)
      await charge('260.00', 'txn_exact')
      await expectRefused(s.db, () => charge('0.01', 'txn_cent'), ConflictError, /above its total/)
    })

    it('counts pending charges toward the total, but not failed ones', async () => {
      await charge('200.00', 'txn_pending', {status: 'pending'})
      await expectRefused(s.db, () => charge('60.01', 'txn_over'), ConflictError, /above its total/)
      await charge('999.00', 'txn_failed', {status: 'failed'})
      await charge('60.00', 'txn_rest')
    })

    it('refuses a transaction id that is already recorded', async () => {
      const error = await expectRefused(
        s.db,
        () => charge('1.00', fixtures.payments.charge100.transactionId, {bookingId: s.ids.bookings.pendingFuture}),
        ConflictError,
        /already recorded as payment/,
      )
      expect(error.details).to.include({paymentId: s.ids.payments.charge100})
    })

    it('refuses a charge for a cancelled booking, an unknown booking, and non-positive amounts', async () => {
      await expectRefused(s.db, () => charge('1.00', 'txn_x', {bookingId: s.ids.bookings.cancelledFuture}), ConflictError, /cancelled/)
      await expectRefused(s.db, () => charge('1.00', 'txn_x', {bookingId: 999_999}), NotFoundError)
      await expectRefused(s.db, () => charge('0', 'txn_x'), ValidationError, /above 0/)
      await expectRefused(s.db, () => charge('-1', 'txn_x'), ValidationError)
      await expectRefused(s.db, () => charge('1.005', 'txn_x'), ValidationError, /two decimals/)
      await expectRefused(s.db, () => charge('1.00', '  '), ValidationError, /transaction id/)
    })
  })

  describe('refunds', () => {
    const charge100 = () => s.ids.payments.charge100

    it('refunds part of a charge and says what remains', async () => {
      const result = await refundPayment(s.ctx, charge100(), {amount: '30', reason: 'late check-in'})
      expect(result.refund).to.include({kind: 'refund', amount: '30.00', refundOfId: charge100(), status: 'completed', reason: 'late check-in'})
      expect(result).to.include({remaining: '70.00', replayed: false})
      expect(result.charge.status).to.equal('completed')
      expect(await countRows(s.db, 'audit_events', `action = 'payment.refund' AND entity_id = '${result.refund.id}'`)).to.equal(1)
      expect(await showPayment(s.ctx, charge100())).to.include({refundable: '70.00'})
    })

    it('refuses a refund above the charge', async () => {
      await expectRefused(s.db, () => refundPayment(s.ctx, charge100(), {amount: '100.01'}), ConflictError, /exceeds what remains refundable/)
    })

    it('refuses a refund above the remainder after earlier refunds', async () => {
      await refundPayment(s.ctx, charge100(), {amount: '30'})
      await refundPayment(s.ctx, charge100(), {amount: '30'})
      const error = await expectRefused(s.db, () => refundPayment(s.ctx, charge100(), {amount: '40.01'}), ConflictError, /40.00 of 100.00/)
      expect(error.details).to.include({remaining: '40.00'})
    })

    it('marks the charge refunded once fully refunded, and refuses more', async () => {
      await refundPayment(s.ctx, charge100(), {amount: '60'})
      const last = await refundPayment(s.ctx, charge100(), {amount: '40'})
      expect(last.charge.status).to.equal('refunded')
      expect(last.remaining).to.equal('0.00')
      await expectRefused(s.db, () => refundPayment(s.ctx, charge100(), {amount: '0.01'}), ConflictError, /already fully refunded/)
    })

    it('refunds the whole remainder when no amount is given', async () => {
      await refundPayment(s.ctx, charge100(), {amount: '0.01'})
      const result = await refundPayment(s.ctx, fixtures.payments.charge100.transactionId)
      expect(result.refund.amount).to.equal('99.99')
      expect(result.charge.status).to.equal('refunded')
    })

    it('refuses to refund a refund', async () => {
      const {refund} = await refundPayment(s.ctx, charge100(), {amount: '10'})
      await expectRefused(s.db, () => refundPayment(s.ctx, refund.id, {amount: '1'}), ConflictError, /is a refund; only charges/)
    })

    it('refuses to refund a pending or a failed charge', async () => {
      const pending = await charge('50.00', 'txn_pending', {status: 'pending'})
      const failed = await charge('50.00', 'txn_failed', {status: 'failed'})
      await expectRefused(s.db, () => refundPayment(s.ctx, pending.id, {amount: '1'}), ConflictError, /is pending; only completed charges/)
      await expectRefused(s.db, () => refundPayment(s.ctx, failed.id), ConflictError, /is failed; only completed charges/)
    })

    it('refuses zero, malformed amounts and unknown payments', async () => {
      await expectRefused(s.db, () => refundPayment(s.ctx, charge100(), {amount: '0'}), ValidationError, /above 0/)
      await expectRefused(s.db, () => refundPayment(s.ctx, charge100(), {amount: '3.333'}), ValidationError)
      await expectRefused(s.db, () => refundPayment(s.ctx, 999_999, {amount: '1'}), NotFoundError)
    })

    describe('idempotency keys', () => {
      it('replays the first refund for the same key and changes nothing', async () => {
        const first = await refundPayment(s.ctx, charge100(), {amount: '30', idempotencyKey: 'key-1'})
        const again = await expectNoWrites(s.db, () => refundPayment(s.ctx, charge100(), {amount: '30', idempotencyKey: 'key-1'}))
        expect(again.replayed).to.equal(true)
        expect(stable(again.refund)).to.deep.equal(stable(first.refund))
        expect(again.remaining).to.equal('70.00')
        expect(await countRows(s.db, 'payments', "kind = 'refund'")).to.equal(1)
      })

      it('refuses the same key with another amount (a key names one request, as at Stripe)', async () => {
        await refundPayment(s.ctx, charge100(), {amount: '30', idempotencyKey: 'key-1'})
        await expectRefused(
          s.db,
          () => refundPayment(s.ctx, charge100(), {amount: '50', idempotencyKey: 'key-1'}),
          ConflictError,
          /idempotency key "key-1" was already used for a refund of 30\.00/,
        )
      })

      it('replays even after the charge became fully refunded', async () => {
        const first = await refundPayment(s.ctx, charge100(), {idempotencyKey: 'key-all'})
        const again = await expectNoWrites(s.db, () => refundPayment(s.ctx, charge100(), {idempotencyKey: 'key-all'}))
        expect(again).to.include({replayed: true, remaining: '0.00'})
        expect(again.refund.id).to.equal(first.refund.id)
      })

      it('refuses the same key for a refund of another charge', async () => {
        await refundPayment(s.ctx, charge100(), {amount: '30', idempotencyKey: 'key-1'})
        await expectRefused(
          s.db,
          () => refundPayment(s.ctx, s.ids.payments.pastStayPaid, {amount: '30', idempotencyKey: 'key-1'}),
          ConflictError,
          /idempotency key "key-1" was already used/,
        )
      })
    })
  })

  it('lists payments by booking and kind', async () => {
    await refundPayment(s.ctx, s.ids.payments.charge100, {amount: '5'})
    const ofBooking = await listPayments(s.ctx, {bookingId: s.ids.bookings.confirmedFuture})
    expect(ofBooking.items.map((p) => [p.kind, p.amount])).to.deep.equal([
      ['charge', '100.00'],
      ['refund', '5.00'],
    ])
    expect((await listPayments(s.ctx, {kind: 'refund'})).items).to.have.length(1)
  })

  it('keeps a refund made while cancelling on the books of the booking', async () => {
    const result = await cancelBooking(s.ctx, s.ids.bookings.confirmedFuture, {refund: 'full'})
    expect(result.refunds.map((r) => r.refundOfId)).to.deep.equal([s.ids.payments.charge100])
    expect(await showPayment(s.ctx, s.ids.payments.charge100)).to.include({status: 'refunded', refundable: '0.00'})
  })
})
