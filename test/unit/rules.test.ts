/**
 * The rule kernels on their own: the calendar of a property and the ledger of charges and
 * refunds, as the single-row services and the importers both use them.
 */
import {expect} from 'chai'

import {Calendar, overlapReason} from '../../src/services/rules/calendar.js'
import {Ledger, amountRefusal, totalRefusal, type LedgerBooking, type LedgerCharge} from '../../src/services/rules/ledger.js'

describe('rules: the calendar of a property', () => {
  const calendar = () => {
    const c = new Calendar()
    c.add({kind: 'booking', start: '2030-01-10', end: '2030-01-15', id: 1, guestId: 7})
    c.add({kind: 'booking', start: '2030-01-01', end: '2030-01-05', id: 2, guestId: 7})
    c.add({kind: 'booking', start: '2030-01-20', end: '2030-01-21', line: 4, guestId: 8})
    return c
  }

  it('finds the stay a range overlaps, and none for ranges that only touch (check-out is exclusive)', () => {
    const c = calendar()
    expect(c.clash('2030-01-05', '2030-01-10')).to.equal(undefined)
    expect(c.clash('2029-12-25', '2030-01-01')).to.equal(undefined)
    expect(c.clash('2030-01-15', '2030-01-20')).to.equal(undefined)
    expect(c.clash('2030-01-04', '2030-01-06')?.id).to.equal(2)
    expect(c.clash('2030-01-09', '2030-01-11')?.id).to.equal(1)
    expect(c.clash('2030-01-11', '2030-01-12')?.id).to.equal(1)
    expect(c.clash('2029-12-01', '2030-02-01')?.line).to.equal(4)
    expect(c.clash('2030-01-20', '2030-01-21')?.line).to.equal(4)
  })

  it('agrees with the definition of overlap on every pair of short ranges', () => {
    const c = calendar()
    const stays = [
      ['2030-01-10', '2030-01-15'],
      ['2030-01-01', '2030-01-05'],
      ['2030-01-20', '2030-01-21'],
    ]
    const day = (n: number) => `2030-01-${String(n).padStart(2, '0')}`
    for (let a = 1; a <= 25; a++) {
      for (let b = a + 1; b <= 26; b++) {
        const expected = stays.some(([s, e]) => s < day(b) && day(a) < e)
        expect(Boolean(c.clash(day(a), day(b))), `${day(a)} → ${day(b)}`).to.equal(expected)
      }
    }
  })

  it('frees the dates of a stay removed, and names a clash as users read it', () => {
    const c = calendar()
    expect(c.remove(1)?.start).to.equal('2030-01-10')
    expect(c.clash('2030-01-11', '2030-01-12')).to.equal(undefined)
    expect(overlapReason('2030-01-03', '2030-01-04', c.clash('2030-01-03', '2030-01-04')!, 9)).to.equal(
      '2030-01-03 → 2030-01-04 overlaps booking 2 (2030-01-01 → 2030-01-05) of property 9',
    )
  })
})

describe('rules: the ledger of charges and refunds', () => {
  const booking = (over: Partial<LedgerBooking> = {}): LedgerBooking => ({id: 5, total: 10_000, charged: 0, status: 'confirmed', ...over})
  const charge = (over: Partial<LedgerCharge> = {}): LedgerCharge => ({
    id: 9,
    transactionId: 'ch_1',
    bookingId: 5,
    kind: 'charge',
    amount: 10_000,
    refunded: 0,
    status: 'completed',
    ...over,
  })

  it('charges up to the total, counting pending and completed charges but not failed ones', () => {
    const b = booking()
    const ledger = new Ledger([b])
    expect(ledger.recordCharge(b, 6000, 'completed')).to.equal(undefined)
    expect(ledger.recordCharge(b, 3000, 'pending')).to.equal(undefined)
    expect(ledger.recordCharge(b, 5000, 'failed')).to.equal(undefined)
    expect(b.charged).to.equal(9000)
    expect(ledger.recordCharge(b, 1001, 'completed')).to.deep.equal({
      field: 'amount',
      reason: 'charging 10.01 would bring booking 5 to 100.01, above its total 100.00',
      details: {charged: '90.00', total: '100.00'},
    })
    expect(b.charged).to.equal(9000)
    expect(ledger.recordCharge(b, 1000, 'completed')).to.equal(undefined)
    ledger.uncharge(b, 1000, 'completed')
    expect(b.charged).to.equal(9000)
  })

  it('replaces an updated charge: what it counted is given back first', () => {
    const b = booking({charged: 10_000})
    const ledger = new Ledger([b])
    expect(ledger.recordCharge(b, 8000, 'completed', {amount: 10_000, status: 'completed'})).to.equal(undefined)
    expect(b.charged).to.equal(8000)
    expect(ledger.recordCharge(b, 4000, 'completed', {amount: 2000, status: 'failed'})?.field).to.equal('amount')
  })

  it('refunds completed charges up to what remains, and marks a charge refunded when nothing does', () => {
    const c = charge()
    const ledger = new Ledger([], [c])
    expect(ledger.refund(c, 3000, 'payment 9')).to.equal(undefined)
    expect(ledger.refund(c, 3000, 'payment 9')).to.equal(undefined)
    expect(ledger.refund(c, 3000, 'payment 9')).to.equal(undefined)
    expect(ledger.refund(c, 3000, 'payment 9')).to.deep.equal({
      field: 'amount',
      reason: 'refund of 30.00 exceeds what remains refundable of payment 9: 10.00 of 100.00',
      details: {remaining: '10.00'},
    })
    expect(c).to.include({refunded: 9000, status: 'completed'})
    expect(ledger.refund(c, 1000, 'payment 9')).to.equal(undefined)
    expect(c).to.include({refunded: 10_000, status: 'refunded'})
    expect(ledger.refund(c, 1, 'payment 9')?.reason).to.equal('payment 9 is already fully refunded')
    ledger.unrefund(c, 1000)
    expect(c).to.include({refunded: 9000, status: 'completed'})
  })

  it('refuses refunds of charges that are not completed, and of nothing', () => {
    const ledger = new Ledger()
    expect(ledger.refund(charge({status: 'pending'}), 100, 'payment 9')?.reason).to.equal('payment 9 is pending; only completed charges can be refunded')
    expect(ledger.refund(charge({status: 'failed'}), 100, 'payment 9')?.reason).to.equal('payment 9 is failed; only completed charges can be refunded')
    expect(ledger.refund(charge(), 0, 'payment 9')).to.deep.equal({field: 'amount', reason: 'refund amount must be above 0', invalid: true})
  })

  it('in history (imports), a charge listed as refunded takes the refunds that follow it, until they add up to it', () => {
    const c = charge({status: 'refunded'})
    const ledger = new Ledger([], [c])
    expect(ledger.refund(c, 4000, 'x')?.reason).to.equal('x is already fully refunded')
    expect(ledger.refund(c, 4000, 'x', {history: true})).to.equal(undefined)
    expect(ledger.refund(c, 6000, 'x', {history: true})).to.equal(undefined)
    expect(ledger.refund(c, 1, 'x', {history: true})?.reason).to.equal('x is already fully refunded')
    // An updated refund gives back what it held before it is checked again.
    expect(ledger.refund(c, 5000, 'x', {history: true, replacing: 4000})?.reason).to.equal(
      'refund of 50.00 exceeds what remains refundable of x: 40.00 of 100.00',
    )
    expect(ledger.refund(c, 3000, 'x', {history: true, replacing: 4000})).to.equal(undefined)
    expect(c.refunded).to.equal(9000)
  })

  it('a pending refund holds nothing', () => {
    const c = charge()
    expect(new Ledger([], [c]).refund(c, 10_000, 'x', {status: 'pending'})).to.equal(undefined)
    expect(c).to.include({refunded: 0, status: 'completed'})
  })

  it("a booking's total may not fall below what is charged to it", () => {
    expect(totalRefusal({id: 3, charged: 5000}, 4999)).to.equal('booking 3 has 50.00 charged; its total cannot be less')
    expect(totalRefusal({id: 3, charged: 5000}, 5000)).to.equal(undefined)
  })

  it("a charge's amount may not fall below what is refunded of it", () => {
    expect(amountRefusal({id: 9, refunded: 4000}, 3999)).to.equal('payment 9 has 40.00 refunded; its amount cannot be less')
    expect(amountRefusal({id: 9, refunded: 4000}, 4000)).to.equal(undefined)
  })

  it('a cancelled booking takes no charges; in history (imports) it takes the charges it had', () => {
    const b = booking({status: 'cancelled'})
    const ledger = new Ledger([b])
    const refused = {field: 'booking', reason: 'booking 5 is cancelled; it takes no charges'}
    expect(ledger.closed(b)).to.deep.equal(refused)
    expect(ledger.recordCharge(b, 1000, 'completed')).to.deep.equal(refused)
    expect(b.charged).to.equal(0)
    expect(ledger.closed(b, {history: true})).to.equal(undefined)
    expect(ledger.recordCharge(b, 1000, 'completed', undefined, {history: true})).to.equal(undefined)
    expect(b.charged).to.equal(1000)
    expect(ledger.closed(booking())).to.equal(undefined)
  })
})
