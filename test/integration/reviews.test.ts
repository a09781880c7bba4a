import {expect} from 'chai'

import {ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError} from '../../src/errors.js'
import {cancelBooking, confirmBooking, createBooking} from '../../src/services/bookings.js'
import {anonymousActor, type ServiceContext} from '../../src/services/context.js'
import {updateProperty} from '../../src/services/properties.js'
import {createReview, deleteReview, listReviews, showReview, updateReview} from '../../src/services/reviews.js'
import {day, fixtures, testContext} from '../support/fixtures.js'
import {countRows, expectNoWrites, expectRefused, useScenario} from '../support/integration.js'

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

  describe('show and update', () => {
    const id = () => s.ids.reviews.loftByGuest
    /** A context acting as the scenario's user `name`, as a request with their token would. */
    const as = (name: 'guest' | 'otherGuest' | 'host' | 'admin'): ServiceContext =>
      testContext(s.db, {actor: {name: users[name].username, userId: s.ids.users[name], isAdmin: name === 'admin'}, via: 'graphql'})
    const anonymous = () => testContext(s.db, {actor: anonymousActor()})
    const events = async () =>
      (await s.db.models.AuditEvent.findAll({where: {action: 'review.update', entityId: String(id())}, order: [['id', 'ASC']]})).map((e) =>
        typeof e.changes === 'string' ? JSON.parse(e.changes) : e.changes,
      )
    const stored = async () => (await s.db.models.Review.findByPk(id(), {attributes: ['rating', 'comment'], raw: true}))!

    it('shows a review to anyone, anonymous callers too', async () => {
      for (const ctx of [anonymous(), as('otherGuest'), as('host')]) {
        expect(await showReview(ctx, id())).to.deep.include({id: id(), propertyId: s.ids.properties.loft, reviewerId: s.ids.users.guest, rating: 5})
      }
    })

    it('hides a review of an unlisted property as the property is hidden: not found, but for its host, its guest and admins', async () => {
      await updateProperty(s.ctx, s.ids.properties.loft, {isListed: false})
      for (const ctx of [anonymous(), as('otherGuest')]) {
        const error = await expectRefused(s.db, () => showReview(ctx, id()), NotFoundError, new RegExp(`^no review "${id()}"$`))
        expect(error.suggestion).to.equal('find reviews with `stayctl reviews list`')
      }
      for (const ctx of [as('host'), as('guest'), as('admin')]) expect((await showReview(ctx, id())).id).to.equal(id())
    })

    it('refuses an unknown review (show, update, delete): not found', async () => {
      await expectRefused(s.db, () => showReview(s.ctx, 999_999), NotFoundError, /^no review "999999"$/)
      await expectRefused(s.db, () => updateReview(s.ctx, 999_999, {comment: 'x'}), NotFoundError, /^no review "999999"$/)
      await expectRefused(s.db, () => deleteReview(s.ctx, 999_999), NotFoundError, /^no review "999999"$/)
    })

    it('lets the author change the rating and the comment, in one review.update event without the text', async () => {
      const updated = await updateReview(as('guest'), id(), {rating: 3, comment: '  Noisy at night.  '})
      expect(updated).to.deep.include({id: id(), rating: 3, comment: 'Noisy at night.'})
      expect(await stored()).to.deep.equal({rating: 3, comment: 'Noisy at night.'})
      expect(await events()).to.deep.equal([{rating: {from: 5, to: 3}, comment: 'changed'}])
      const event = await s.db.models.AuditEvent.findOne({where: {action: 'review.update'}})
      expect(event).to.include({actor: users.guest.username, via: 'graphql', entity: 'review'})
    })

    it('lets the author remove the comment (null or blank) and write one again: cleared, then set', async () => {
      expect((await updateReview(as('guest'), id(), {comment: null})).comment).to.equal(null)
      expect((await updateReview(as('guest'), id(), {comment: 'Back again'})).comment).to.equal('Back again')
      expect((await updateReview(as('guest'), id(), {comment: '   '})).comment).to.equal(null)
      expect(await events()).to.deep.equal([{comment: 'cleared'}, {comment: 'set'}, {comment: 'cleared'}])
    })

    it('moves updatedAt on a change and keeps createdAt', async () => {
      const before = await showReview(s.ctx, id())
      expect(before.updatedAt).to.equal(before.createdAt)
      await new Promise((resolve) => setTimeout(resolve, 20))
      const updated = await updateReview(as('guest'), id(), {rating: 4})
      expect(updated.createdAt).to.equal(before.createdAt)
      expect(Date.parse(updated.updatedAt)).to.be.greaterThan(Date.parse(before.updatedAt))
      expect((await showReview(s.ctx, id())).updatedAt).to.equal(updated.updatedAt)
    })

    it('records a comment that reads "null", then cleared, as set and cleared (null is not the text "null")', async () => {
      expect((await updateReview(as('guest'), id(), {comment: 'null'})).comment).to.equal('null')
      expect((await updateReview(as('guest'), id(), {comment: null})).comment).to.equal(null)
      expect(await events()).to.deep.equal([{comment: 'changed'}, {comment: 'cleared'}])
    })

    it('writes nothing when nothing is given or nothing differs', async () => {
      const review = await expectNoWrites(s.db, () => updateReview(as('guest'), id(), {}))
      expect(review).to.deep.include({rating: 5, comment: fixtures.reviews.loftByGuest.comment})
      await expectNoWrites(s.db, () => updateReview(as('guest'), id(), {rating: '5', comment: ` ${fixtures.reviews.loftByGuest.comment}`}))
    })

    for (const bad of [0, 6, 2.5, 'five']) {
      it(`refuses a rating of ${JSON.stringify(bad)}, as reviews create does`, async () => {
        await expectRefused(s.db, () => updateReview(as('guest'), id(), {rating: bad}), ValidationError, /rating must be a whole number from 1 to 5/)
      })
    }

    it('refuses a comment over 5000 characters, as reviews create does', async () => {
      await expectRefused(s.db, () => updateReview(as('guest'), id(), {comment: 'x'.repeat(5001)}), ValidationError, /comment is longer than 5000 characters/)
      expect((await updateReview(as('guest'), id(), {comment: 'x'.repeat(5000)})).comment).to.have.length(5000)
    })

    it('refuses anyone but the author and admins: another guest, the host, anonymous callers', async () => {
      for (const name of ['otherGuest', 'host'] as const) {
        await expectRefused(s.db, () => updateReview(as(name), id(), {comment: 'Fake news'}), ForbiddenError, new RegExp(`^review ${id()} is not yours to change$`))
        // Nothing to change is refused all the same: who may change the review is asked first.
        await expectRefused(s.db, () => updateReview(as(name), id(), {}), ForbiddenError)
      }
      await expectRefused(s.db, () => updateReview(anonymous(), id(), {comment: 'x'}), UnauthenticatedError, /log in to change reviews/)
    })

    it("lets an admin moderate the comment, never change another user's rating (the same rating is no change)", async () => {
      const error = await expectRefused(
        s.db,
        () => updateReview(as('admin'), id(), {rating: 1, comment: 'Moderated'}),
        ForbiddenError,
        new RegExp(`^only its author may change the rating of review ${id()}$`),
      )
      expect(error.suggestion).to.equal('leave the rating out: an admin may change the comment, or delete the review')
      // The local operator is an admin, no user: the same.
      await expectRefused(s.db, () => updateReview(s.ctx, id(), {rating: 4}), ForbiddenError, /only its author may change the rating/)
      expect(await updateReview(as('admin'), id(), {rating: 5, comment: 'Moderated'})).to.deep.include({rating: 5, comment: 'Moderated'})
      expect((await updateReview(s.ctx, id(), {comment: null})).comment).to.equal(null)
      expect(await events()).to.deep.equal([{comment: 'changed'}, {comment: 'cleared'}])
    })
  })
})
