import {expect} from 'chai'

import {ConflictError, NotFoundError, ValidationError} from '../../src/errors.js'
import {cancelBooking, confirmBooking, createBooking} from '../../src/services/bookings.js'
import {createReview, deleteReview, listReviews} from '../../src/services/reviews.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, expectRefused, useScenario} from '../support/integration.js'

const {users, properties} = fixtures

describe('reviews (integration)', () => {
  const s = useScenario('reviews')
  const review = (reviewer: string, rating: number | string = 4, property: string = properties.cabin.name) =>
    createReview(s.ctx, {property, reviewer, rating, comment: 'Nice stay'})
  /** A stay of otherGuest at the cabin from `start` to `end` (days from TODAY). */
  const stay = async (start: number, end: number, status: 'pending' | 'confirmed' = 'confirmed') => {
    const booking = await createBooking(s.ctx, {
      property: properties.cabin.name,
      guest: users.otherGuest.username,
      startDate: day(start),
      endDate: day(end),
      allowPast: true,
    })
    if (status === 'confirmed') await confirmBooking(s.ctx, booking.id)
    return booking
  }
  const NO_STAY = /has no confirmed stay at property \d+ that has ended/

  it('accepts a review after a confirmed stay has ended, and audits it', async () => {
    await stay(-20, -17)
    const created = await review(users.otherGuest.username, 4)
    expect(created).to.include({propertyId: s.ids.properties.cabin, reviewerId: s.ids.users.otherGuest, rating: 4, comment: 'Nice stay'})
    expect(await countRows(s.db, 'audit_events', `action = 'review.create' AND entity_id = '${created.id}'`)).to.equal(1)
  })

  it('refuses a guest without any stay at the property', async () => {
    await expectRefused(s.db, () => review(users.otherGuest.username), ConflictError, NO_STAY)
  })

  it('refuses a guest whose ended stay was never confirmed', async () => {
    await stay(-20, -17, 'pending')
    await expectRefused(s.db, () => review(users.otherGuest.username), ConflictError, NO_STAY)
  })

  it('refuses a guest whose confirmed stay has not ended yet, until check-out day', async () => {
    await stay(-1, 2)
    await expectRefused(s.db, () => review(users.otherGuest.username), ConflictError, NO_STAY)
    process.env.STAYCTL_TODAY = day(1)
    await expectRefused(s.db, () => review(users.otherGuest.username), ConflictError, NO_STAY)
    process.env.STAYCTL_TODAY = day(2)
    expect((await review(users.otherGuest.username)).rating).to.equal(4)
  })

  it('refuses a guest whose stay was cancelled, even once its dates are past', async () => {
    const booking = await stay(1, 4)
    await cancelBooking(s.ctx, booking.id, {refund: 'none'})
    process.env.STAYCTL_TODAY = day(10)
    await expectRefused(s.db, () => review(users.otherGuest.username), ConflictError, NO_STAY)
  })

  it('refuses the host, who cannot have stayed at their own property', async () => {
    await expectRefused(s.db, () => review(users.host.username, 5, properties.loft.name), ConflictError, NO_STAY)
  })

  it('refuses a second review by the same guest of the same property', async () => {
    const error = await expectRefused(s.db, () => review(users.guest.username, 1, properties.loft.name), ConflictError, /already reviewed/)
    expect(error.details).to.deep.equal({reviewId: s.ids.reviews.loftByGuest})
  })

  describe('ratings', () => {
    beforeEach(() => stay(-20, -17))

    for (const bad of [0, 6, -1, 2.5, 'five', '']) {
      it(`refuses a rating of ${JSON.stringify(bad)}`, async () => {
        await expectRefused(s.db, () => review(users.otherGuest.username, bad), ValidationError, /rating must be a whole number from 1 to 5/)
      })
    }

    it('accepts 1 and 5 (as text too)', async () => {
      expect((await review(users.otherGuest.username, 1)).rating).to.equal(1)
      const flat = await createBooking(s.ctx, {
        property: properties.flat.name,
        guest: users.otherGuest.username,
        startDate: day(-30),
        endDate: day(-27),
        allowPast: true,
      })
      await confirmBooking(s.ctx, flat.id)
      expect((await review(users.otherGuest.username, '5', properties.flat.name)).rating).to.equal(5)
    })
  })

  it('deletes a review (moderation), audits it, and lets the guest review again', async () => {
    const id = s.ids.reviews.loftByGuest
    expect(await deleteReview(s.ctx, id)).to.deep.equal({id, deleted: true})
    expect(await countRows(s.db, 'audit_events', `action = 'review.delete' AND entity_id = '${id}'`)).to.equal(1)
    await expectRefused(s.db, () => deleteReview(s.ctx, id), NotFoundError)
    expect((await review(users.guest.username, 5, properties.loft.name)).rating).to.equal(5)
  })

  it('lists reviews by property, reviewer and minimum rating', async () => {
    await stay(-20, -17)
    await review(users.otherGuest.username, 2)
    expect((await listReviews(s.ctx, {property: properties.cabin.name})).items.map((r) => r.rating)).to.deep.equal([2])
    expect((await listReviews(s.ctx, {reviewer: users.guest.username})).items.map((r) => r.id)).to.deep.equal([s.ids.reviews.loftByGuest])
    expect((await listReviews(s.ctx, {minRating: 3})).items.map((r) => r.rating)).to.deep.equal([5])
  })
})
