import {expect} from 'chai'

import {ConflictError, NotFoundError, ValidationError} from '../../src/errors.js'
import {cancelBooking, confirmBooking, createBooking, showBooking} from '../../src/services/bookings.js'
import {createProperty, updateProperty} from '../../src/services/properties.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, expectRefused, useScenario} from '../support/integration.js'

const {users, properties, bookings} = fixtures

describe('bookings (integration)', () => {
  const s = useScenario('bookings')
  const book = (property: string, guest: string, startDate: string, endDate: string) =>
    createBooking(s.ctx, {property, guest, startDate, endDate})

  describe('no overlap between live bookings of a property', () => {
    // confirmedFuture holds the loft from day 14 to day 17 (check-out exclusive).
    const clashes: [string, number, number][] = [
      ['the same dates', 14, 17],
      ['starting inside', 15, 18],
      ['ending inside', 12, 15],
      ['enclosing', 13, 18],
      ['enclosed', 15, 16],
      ['the last night', 16, 17],
    ]
    for (const [what, start, end] of clashes) {
      it(`refuses a stay overlapping ${what}, naming the clashing booking`, async () => {
        const error = await expectRefused(
          s.db,
          () => book(properties.loft.name, users.otherGuest.username, day(start), day(end)),
          ConflictError,
          new RegExp(`overlaps booking ${s.ids.bookings.confirmedFuture}\\b`),
        )
        expect(error.details).to.include({conflictingBookingId: s.ids.bookings.confirmedFuture})
      })
    }

    it('allows back-to-back stays: check-out is exclusive', async () => {
      const before = await book(properties.loft.name, users.otherGuest.username, day(11), day(14))
      const after = await book(properties.loft.name, users.otherGuest.username, day(17), day(20))
      expect([before.nights, after.nights]).to.deep.equal([3, 3])
    })

    it('lets a pending booking block the dates too', async () => {
      await expectRefused(
        s.db,
        () => book(properties.cabin.name, users.otherGuest.username, day(31), day(32)),
        ConflictError,
        new RegExp(`overlaps booking ${s.ids.bookings.pendingFuture}\\b`),
      )
    })

    it('does not let a cancelled booking block anyone', async () => {
      const {startDate, endDate} = bookings.cancelledFuture
      const booking = await book(properties.flat.name, users.guest.username, startDate, endDate)
      expect(booking.status).to.equal('pending')
    })

    it('frees the dates when the blocking booking is cancelled', async () => {
      await cancelBooking(s.ctx, s.ids.bookings.pendingFuture, {refund: 'none'})
      await book(properties.cabin.name, users.otherGuest.username, day(30), day(33))
    })

    it('only compares bookings of the same property', async () => {
      await book(properties.flat.name, users.otherGuest.username, day(14), day(17))
    })
  })

  it('refuses a host booking their own property', async () => {
    await expectRefused(
      s.db,
      () => book(properties.loft.name, users.host.username, day(40), day(42)),
      ConflictError,
      /owns property .* cannot book it/,
    )
  })

  it('refuses an inactive user', async () => {
    await expectRefused(
      s.db,
      () => book(properties.loft.name, users.inactive.username, day(40), day(42)),
      ConflictError,
      /inactive and cannot book/,
    )
  })

  it('refuses an unlisted property', async () => {
    await updateProperty(s.ctx, s.ids.properties.loft, {isListed: false})
    await expectRefused(
      s.db,
      () => book(properties.loft.name, users.guest.username, day(40), day(42)),
      ConflictError,
      /unlisted/,
    )
  })

  it('refuses a stay starting in the past unless back-filling', async () => {
    await expectRefused(s.db, () => book(properties.flat.name, users.guest.username, day(-1), day(2)), ValidationError, /in the past/)
    await createBooking(s.ctx, {property: properties.flat.name, guest: users.guest.username, startDate: day(-3), endDate: day(-1), allowPast: true})
  })

  it('refuses bad dates, unknown properties and unknown guests', async () => {
    await expectRefused(s.db, () => book(properties.flat.name, users.guest.username, day(20), day(20)), ValidationError, /after start date/)
    await expectRefused(s.db, () => book(properties.flat.name, users.guest.username, '2027-02-30', day(20)), ValidationError)
    await expectRefused(s.db, () => book('No Such Place', users.guest.username, day(20), day(22)), NotFoundError)
    await expectRefused(s.db, () => book(properties.flat.name, 'nobody', day(20), day(22)), NotFoundError)
  })

  describe('money in cents', () => {
    it('prices 3 nights at 33.33 at exactly 99.99', async () => {
      const booking = await book(properties.flat.name, users.guest.username, day(20), day(23))
      expect(booking.totalPrice).to.equal('99.99')
      expect((await showBooking(s.ctx, booking.id)).totalPrice).to.equal('99.99')
    })

    it('prices 3 nights at 333.33 at exactly 999.99, and 7 nights at 0.10 at 0.70', async () => {
      expect((await book(properties.cabin.name, users.guest.username, day(40), day(43))).totalPrice).to.equal('999.99')
      const cheap = await createProperty(s.ctx, {owner: users.host.username, name: 'Tent', address: 'Field 1', pricePerNight: '0.10'})
      expect((await book(String(cheap.id), users.guest.username, day(1), day(8))).totalPrice).to.equal('0.70')
    })

    it('keeps the price at booking time when the nightly price changes later', async () => {
      const booking = await book(properties.flat.name, users.guest.username, day(20), day(23))
      await updateProperty(s.ctx, s.ids.properties.flat, {pricePerNight: '50.00'})
      expect((await showBooking(s.ctx, booking.id)).totalPrice).to.equal('99.99')
    })
  })

  describe('state changes', () => {
    it('confirms a pending booking, once', async () => {
      const id = s.ids.bookings.pendingFuture
      expect((await confirmBooking(s.ctx, id)).status).to.equal('confirmed')
      await expectRefused(s.db, () => confirmBooking(s.ctx, id), ConflictError, /is confirmed; only pending/)
    })

    it('does not confirm a cancelled booking', async () => {
      await expectRefused(s.db, () => confirmBooking(s.ctx, s.ids.bookings.cancelledFuture), ConflictError, /is cancelled; only pending/)
    })

    it('cancels a pending booking and a confirmed one', async () => {
      expect((await cancelBooking(s.ctx, s.ids.bookings.pendingFuture, {refund: 'none'})).booking.status).to.equal('cancelled')
      expect((await cancelBooking(s.ctx, s.ids.bookings.confirmedFuture, {refund: 'none'})).booking.status).to.equal('cancelled')
    })

    it('refuses to cancel twice', async () => {
      await cancelBooking(s.ctx, s.ids.bookings.pendingFuture, {refund: 'none'})
      await expectRefused(s.db, () => cancelBooking(s.ctx, s.ids.bookings.pendingFuture), ConflictError, /already cancelled/)
    })

    it('refuses to cancel a stay that has ended', async () => {
      await expectRefused(s.db, () => cancelBooking(s.ctx, s.ids.bookings.confirmedPast, {refund: 'full'}), ConflictError, /has begun/)
    })

    it('refuses to cancel a stay in progress, but allows it on the check-in day', async () => {
      const booking = await book(properties.flat.name, users.guest.username, day(20), day(23))
      process.env.STAYCTL_TODAY = day(21)
      await expectRefused(s.db, () => cancelBooking(s.ctx, booking.id, {refund: 'none'}), ConflictError, /has begun/)
      process.env.STAYCTL_TODAY = day(20)
      expect((await cancelBooking(s.ctx, booking.id, {refund: 'none'})).daysBeforeCheckIn).to.equal(0)
    })

    it('refuses an unknown refund mode before touching anything', async () => {
      await expectRefused(
        s.db,
        () => cancelBooking(s.ctx, s.ids.bookings.confirmedFuture, {refund: 'half' as 'full'}),
        ValidationError,
        /refund must be/,
      )
    })

    it('finds bookings by id only when they exist', async () => {
      await expectRefused(s.db, () => confirmBooking(s.ctx, 999_999), NotFoundError)
      expect(await countRows(s.db, 'bookings')).to.equal(Object.keys(bookings).length)
    })
  })
})
