/**
 * The reviews kernel on its own: ratings and comments, eligibility (a confirmed stay that has
 * ended), and one review per (property, reviewer), with the upsert option of imports.
 */
import {expect} from 'chai'

import {ValidationError} from '../../../src/errors.js'
import {ReviewBook, checkComment, checkRating} from '../../../src/services/rules/reviews.js'

describe('rules: reviews, ratings and comments', () => {
  it('takes whole ratings from 1 to 5 only', () => {
    expect(checkRating('5')).to.equal(5)
    expect(checkRating(1)).to.equal(1)
    for (const bad of [0, 6, '4.5', 'five', -1]) {
      expect(() => checkRating(bad), String(bad)).to.throw(ValidationError, `rating must be a whole number from 1 to 5, got ${bad}`)
    }
  })

  it('trims comments: blank is none, over 5000 characters is refused', () => {
    expect(checkComment('  lovely ')).to.equal('lovely')
    expect(checkComment('   ')).to.equal(null)
    expect(checkComment(undefined)).to.equal(null)
    expect(checkComment('x'.repeat(5000))).to.have.length(5000)
    expect(() => checkComment('x'.repeat(5001))).to.throw(ValidationError, 'comment is longer than 5000 characters')
  })
})

describe('rules: reviews, eligibility and one review per guest', () => {
  const guest = {id: 7, username: 'gus'}
  const book = () =>
    new ReviewBook(
      [
        {propertyId: 1, guestId: 7, endDate: '2030-01-10'},
        {propertyId: 2, guestId: 7, endDate: '2030-03-01'},
        {propertyId: 2, guestId: 7, endDate: '2030-01-20'},
        {propertyId: 3, guestId: 7, endDate: '2030-01-10'},
      ],
      [{id: 40, propertyId: 3, reviewerId: 7}],
      '2030-01-20',
    )

  it('needs a confirmed stay at that property that has ended by today (check-out day included)', () => {
    expect(book().admit(1, guest)).to.deep.equal({})
    // Of several stays, one that has ended is enough.
    expect(book().admit(2, guest)).to.deep.equal({})
    expect(book().admit(4, guest).refusal).to.deep.equal({
      rule: 'stay',
      reason: 'user 7 (gus) has no confirmed stay at property 4 that has ended, so cannot review it',
    })
    expect(book().admit(1, {id: 8, username: 'other'}).refusal?.rule).to.equal('stay')
    const early = new ReviewBook([{propertyId: 1, guestId: 7, endDate: '2030-01-21'}], [], '2030-01-20')
    expect(early.admit(1, guest).refusal?.rule).to.equal('stay')
  })

  it('refuses a second review of a property by one guest, or updates it with the upsert option', () => {
    expect(book().admit(3, guest).refusal).to.deep.equal({
      rule: 'reviewed',
      reason: 'user 7 (gus) already reviewed property 3 (review 40)',
      reviewId: 40,
    })
    expect(book().admit(3, guest, 2, {upsert: true})).to.deep.equal({update: 40})
  })

  it('in a batch, a second row of one pair repeats the first (upsert or not); refused rows claim nothing', () => {
    const b = book()
    expect(b.admit(4, guest, 2).refusal?.rule).to.equal('stay')
    expect(b.admit(1, guest, 3)).to.deep.equal({})
    expect(b.admit(1, guest, 4, {upsert: true}).refusal).to.deep.equal({rule: 'repeat', reason: 'a review of property 1 by gus repeats line 3'})
    expect(b.admit(3, guest, 5, {upsert: true})).to.deep.equal({update: 40})
    expect(b.admit(3, guest, 6, {upsert: true}).refusal?.reason).to.equal('a review of property 3 by gus repeats line 5')
  })
})
