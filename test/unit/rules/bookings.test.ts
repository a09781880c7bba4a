/**
 * The bookings kernel on its own: who may book what, with the `history` option of imports
 * and the `allowPast` option of an admin's back-filling, and the checks of a booking's fields.
 */
import {expect} from 'chai'

import {ValidationError} from '../../../src/errors.js'
import {
  bookerRefusal,
  checkBookingStatus,
  checkExternalRef,
  guestRefusal,
  hasBegun,
  listingRefusal,
  moveRefusal,
  pastRefusal,
  stayTotal,
} from '../../../src/services/rules/bookings.js'

describe('rules: bookings, who may book what', () => {
  const listed = {id: 3, ownerId: 1, isListed: true}
  const guest = {id: 7, username: 'gus', isActive: true}

  it('a stay starts today or later, unless back-filled (allowPast) or imported (history)', () => {
    expect(pastRefusal('2030-01-10', '2030-01-10')).to.equal(undefined)
    expect(pastRefusal('2030-01-09', '2030-01-10')).to.equal('start date 2030-01-09 is in the past')
    expect(pastRefusal('2030-01-09', '2030-01-10', {allowPast: true})).to.equal(undefined)
    expect(pastRefusal('2030-01-09', '2030-01-10', {history: true})).to.equal(undefined)
  })

  it('an unlisted property is not booked, except in history', () => {
    const unlisted = {...listed, isListed: false}
    expect(listingRefusal(unlisted)).to.deep.equal({field: 'property', reason: 'property 3 is unlisted and cannot be booked'})
    expect(bookerRefusal(unlisted, guest)?.field).to.equal('property')
    expect(listingRefusal(unlisted, {history: true})).to.equal(undefined)
    expect(bookerRefusal(unlisted, guest, {history: true})).to.equal(undefined)
    expect(listingRefusal(listed)).to.equal(undefined)
  })

  it('an inactive guest does not book, except in history', () => {
    const inactive = {...guest, isActive: false}
    expect(guestRefusal(listed, inactive)).to.deep.equal({field: 'guest', reason: 'user 7 (gus) is inactive and cannot book'})
    expect(guestRefusal(listed, inactive, {history: true})).to.equal(undefined)
    expect(guestRefusal(listed, guest)).to.equal(undefined)
  })

  it('a host never books their own property, not even in history', () => {
    const host = {id: 1, username: 'hana', isActive: true}
    for (const options of [{}, {history: true}, {allowPast: true}]) {
      expect(bookerRefusal(listed, host, options)).to.deep.equal({field: 'guest', reason: 'user 1 (hana) owns property 3 and cannot book it'})
    }
    expect(bookerRefusal(listed, guest)).to.equal(undefined)
  })
})

describe('rules: bookings, moving a stay (nights before today never change)', () => {
  const today = '2030-01-10'
  const stay = (startDate: string, endDate: string) => ({startDate, endDate})

  it('a stay has begun after its check-in day, not on it', () => {
    expect([hasBegun('2030-01-09', today), hasBegun('2030-01-10', today), hasBegun('2030-01-11', today)]).to.deep.equal([true, false, false])
  })

  it('a stay not begun moves anywhere from today on', () => {
    expect(moveRefusal(4, stay('2030-01-20', '2030-01-25'), stay('2030-01-10', '2030-01-12'), today)).to.equal(undefined)
    expect(moveRefusal(4, stay('2030-01-10', '2030-01-12'), stay('2030-01-11', '2030-01-13'), today)).to.equal(undefined)
    expect(moveRefusal(4, stay('2030-01-20', '2030-01-25'), stay('2030-01-09', '2030-01-12'), today)).to.deep.equal({
      field: 'startDate',
      reason: 'start date 2030-01-09 is in the past',
      invalid: true,
    })
  })

  it('a stay under way keeps its check-in; its check-out moves, not to before today', () => {
    const underWay = stay('2030-01-08', '2030-01-12')
    expect(moveRefusal(4, underWay, stay('2030-01-08', '2030-01-15'), today)).to.equal(undefined)
    expect(moveRefusal(4, underWay, stay('2030-01-08', '2030-01-10'), today)).to.equal(undefined)
    expect(moveRefusal(4, underWay, stay('2030-01-08', '2030-01-09'), today)).to.deep.equal({field: 'endDate', reason: 'end date 2030-01-09 is in the past', invalid: true})
    expect(moveRefusal(4, underWay, stay('2030-01-10', '2030-01-12'), today)).to.deep.equal({
      field: 'startDate',
      reason: 'booking 4 began on 2030-01-08; the start of a stay that has begun cannot move',
    })
  })

  it('a stay that has ended keeps its dates; one ending today may still be lengthened', () => {
    expect(moveRefusal(4, stay('2030-01-05', '2030-01-09'), stay('2030-01-05', '2030-01-12'), today)).to.deep.equal({
      field: 'endDate',
      reason: 'booking 4 ended on 2030-01-09; a stay that has ended cannot move',
    })
    expect(moveRefusal(4, stay('2030-01-05', '2030-01-10'), stay('2030-01-05', '2030-01-12'), today)).to.equal(undefined)
    expect(moveRefusal(4, stay('2030-01-05', '2030-01-09'), stay('2030-01-05', '2030-01-09'), today)).to.equal(undefined)
  })
})

describe('rules: bookings, fields', () => {
  it('takes the three statuses only', () => {
    expect(checkBookingStatus('confirmed')).to.equal('confirmed')
    expect(() => checkBookingStatus('done')).to.throw(ValidationError, 'status must be one of pending, confirmed, cancelled; got "done"')
  })

  it('external references: trimmed, blank is none, at most 64 characters', () => {
    expect(checkExternalRef(' abc ')).to.equal('abc')
    expect(checkExternalRef('  ')).to.equal(null)
    expect(checkExternalRef(undefined)).to.equal(null)
    expect(() => checkExternalRef('x'.repeat(65))).to.throw(ValidationError, 'external reference is longer than 64 characters')
  })

  it('a total is nights × price, refused beyond what the column holds', () => {
    expect(stayTotal(3, '120.50')).to.equal(36_150)
    expect(() => stayTotal(10_000, '99999999.99')).to.throw(ValidationError, "more than a booking's total can hold")
  })
})
