/**
 * The calendar kernel with blocks: a block and a live booking of one property never overlap,
 * nor do two blocks; ranges that only touch (a block ending on a check-in day) are fine.
 */
import {expect} from 'chai'

import {ConflictError} from '../../../src/errors.js'
import {Calendar, overlapConflict, overlapHint, overlapOf, overlapReason, requireFree} from '../../../src/services/rules/calendar.js'

describe('rules: the calendar with blocks', () => {
  const calendar = () => {
    const c = new Calendar()
    c.add({kind: 'booking', start: '2030-03-10', end: '2030-03-15', id: 1, guestId: 7})
    c.add({kind: 'block', start: '2030-03-01', end: '2030-03-05', id: 1})
    return c
  }

  it('a block overlapping a booking clashes with it, named as a booking', () => {
    const clash = calendar().clash('2030-03-12', '2030-03-20')!
    expect(clash.kind).to.equal('booking')
    expect(overlapReason('2030-03-12', '2030-03-20', clash, 4)).to.equal('2030-03-12 → 2030-03-20 overlaps booking 1 (2030-03-10 → 2030-03-15) of property 4')
    expect(overlapHint(clash)).to.equal('pick other dates or cancel booking 1')
  })

  it('a booking or a block overlapping a block clashes with it, named as a block', () => {
    const clash = calendar().clash('2030-03-04', '2030-03-06')!
    expect(clash.kind).to.equal('block')
    expect(overlapReason('2030-03-04', '2030-03-06', clash, 4)).to.equal('2030-03-04 → 2030-03-06 overlaps block 1 (2030-03-01 → 2030-03-05) of property 4')
    expect(overlapOf(clash)).to.deep.equal({kind: 'block', id: 1, startDate: '2030-03-01', endDate: '2030-03-05'})
    const error = overlapConflict('2030-03-04', '2030-03-06', clash, 4)
    expect(error.kind).to.equal('CONFLICT')
    expect(error.exitCode).to.equal(5)
    expect(error.suggestion).to.equal('pick other dates or delete block 1')
  })

  it('allows ranges that only touch: a block ending on a check-in day, a booking starting when a block ends', () => {
    const c = calendar()
    expect(c.clash('2030-03-05', '2030-03-10')).to.equal(undefined)
    expect(c.clash('2030-02-20', '2030-03-01')).to.equal(undefined)
    expect(c.clash('2030-03-15', '2030-03-16')).to.equal(undefined)
  })

  it('removes a block or a booking by kind: ids of the two are apart', () => {
    const c = calendar()
    expect(c.remove(1, 'block')?.kind).to.equal('block')
    expect(c.clash('2030-03-02', '2030-03-03')).to.equal(undefined)
    expect(c.clash('2030-03-11', '2030-03-12')?.kind).to.equal('booking')
    expect(c.remove(1)?.kind).to.equal('booking')
    expect(c.clash('2030-03-11', '2030-03-12')).to.equal(undefined)
  })

  it('requireFree refuses what overlaps a stay other than the one being moved, which does not overlap itself', () => {
    const loaded = (c = calendar()) => ({calendar: () => c})
    expect(() => requireFree(loaded(), 4, '2030-03-12', '2030-03-17')).to.throw(ConflictError, /overlaps booking 1 \(2030-03-10 → 2030-03-15\)/)
    expect(() => requireFree(loaded(), 4, '2030-03-12', '2030-03-17', {id: 1, kind: 'booking'})).not.to.throw()
    // Booking 1 and block 1 are two stays: moving the block still meets the booking.
    expect(() => requireFree(loaded(), 4, '2030-03-12', '2030-03-17', {id: 1, kind: 'block'})).to.throw(ConflictError, /overlaps booking 1/)
    expect(() => requireFree(loaded(), 4, '2030-03-05', '2030-03-10')).not.to.throw()
  })
})
