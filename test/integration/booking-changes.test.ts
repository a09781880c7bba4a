/**
 * `bookings update` through the services (src/services/booking-changes.ts): a booking moved to
 * free nights, priced again, with its audit event and the free gaps right after; refused (and
 * writing nothing) onto another booking or a block, when cancelled, begun or ended, below what
 * is charged, with bad dates; who may.
 */
import {expect} from 'chai'

import {ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError} from '../../src/errors.js'
import {updateBooking} from '../../src/services/booking-changes.js'
import {createBlock} from '../../src/services/blocks.js'
import {createBooking, showBooking} from '../../src/services/bookings.js'
import {anonymousActor, type ServiceContext} from '../../src/services/context.js'
import {listProperties, updateProperty} from '../../src/services/properties.js'
import {gapDisagreements} from '../../src/services/rules/gaps.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, expectNoWrites, expectRefused, useScenario} from '../support/integration.js'

const {users, properties} = fixtures

describe('bookings update (integration)', () => {
  const s = useScenario('booking_changes')
  const as = (name: 'host' | 'guest' | 'otherGuest'): ServiceContext => ({
    ...s.ctx,
    actor: {name: users[name].username, userId: s.ids.users[name], isAdmin: false},
  })
  const gapsAgree = async () => expect(await gapDisagreements(s.ctx)).to.deep.equal([])
  /** Whether the loft is free over [start, end) to an availability search (which reads the free gaps). */
  const loftFree = async (start: number, end: number) =>
    (await listProperties(s.ctx, {availableFrom: day(start), availableTo: day(end), limit: 100})).items.some((p) => p.id === s.ids.properties.loft)

  describe('moves', () => {
    // confirmedFuture: the loft, day 14 → 17, 3 × 120.00 = 360.00, 100.00 charged.
    it('moves a stay to free nights, prices it at the property’s price, audits it, and the gaps follow', async () => {
      const moved = await updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {startDate: day(20), endDate: day(24)})
      expect(moved).to.include({id: s.ids.bookings.confirmedFuture, startDate: day(20), endDate: day(24), nights: 4, totalPrice: '480.00', status: 'confirmed'})
      expect(await showBooking(s.ctx, moved.id)).to.include({startDate: day(20), endDate: day(24), totalPrice: '480.00', paid: '100.00'})
      const events = await s.db.models.AuditEvent.findAll({where: {action: 'booking.update', entityId: String(moved.id)}, raw: true})
      expect(events).to.have.length(1)
      const changes = typeof events[0].changes === 'string' ? JSON.parse(events[0].changes) : events[0].changes
      expect(changes).to.deep.equal({
        startDate: {from: day(14), to: day(20)},
        endDate: {from: day(17), to: day(24)},
        totalPrice: {from: '360.00', to: '480.00'},
      })
      await gapsAgree()
      expect([await loftFree(14, 17), await loftFree(20, 24), await loftFree(19, 20)]).to.deep.equal([true, false, true])
    })

    it('moves within its own nights (no overlap with itself), by one end only', async () => {
      const later = await updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {endDate: day(19)})
      expect(later).to.include({startDate: day(14), endDate: day(19), nights: 5, totalPrice: '600.00'})
      const earlier = await updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {startDate: day(15)})
      expect(earlier).to.include({startDate: day(15), endDate: day(19), nights: 4, totalPrice: '480.00'})
      await gapsAgree()
    })

    it('takes an admin’s total, and a move by its external reference', async () => {
      await s.db.models.Booking.update({externalRef: 'CH-9'}, {where: {id: s.ids.bookings.confirmedFuture}})
      const moved = await updateBooking(s.ctx, 'CH-9', {startDate: day(40), endDate: day(43), totalPrice: '300'})
      expect(moved).to.include({startDate: day(40), endDate: day(43), totalPrice: '300.00'})
      expect((await updateBooking(s.ctx, 'CH-9', {totalPrice: '299.50'})).totalPrice).to.equal('299.50')
      await gapsAgree()
    })

    it('writes nothing when nothing changes', async () => {
      const same = await expectNoWrites(s.db, () => updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {startDate: day(14), endDate: day(17)}))
      expect(same).to.include({startDate: day(14), endDate: day(17), totalPrice: '360.00'})
    })

    it('lengthens or shortens a stay under way, but never moves its check-in nor a night before today', async () => {
      // A stay under way: the flat, day -2 → 3 (back-filled), today is day 0.
      const stay = await createBooking(s.ctx, {property: properties.flat.name, guest: users.guest.username, startDate: day(-2), endDate: day(3), allowPast: true})
      expect(await updateBooking(s.ctx, stay.id, {endDate: day(5)})).to.include({startDate: day(-2), endDate: day(5), nights: 7})
      expect(await updateBooking(s.ctx, stay.id, {endDate: day(0)})).to.include({endDate: day(0), nights: 2})
      await expectRefused(s.db, () => updateBooking(s.ctx, stay.id, {endDate: day(-1)}), ValidationError, /end date .* is in the past/)
      await expectRefused(s.db, () => updateBooking(s.ctx, stay.id, {startDate: day(-1)}), ConflictError, new RegExp(`booking ${stay.id} began on ${day(-2)}; the start of a stay that has begun cannot move`))
      await gapsAgree()
    })

    it('moves a stay on its check-in day (it has not begun, as for a cancellation)', async () => {
      const stay = await createBooking(s.ctx, {property: properties.flat.name, guest: users.guest.username, startDate: day(0), endDate: day(2)})
      expect(await updateBooking(s.ctx, stay.id, {startDate: day(1), endDate: day(3)})).to.include({startDate: day(1), endDate: day(3)})
    })
  })

  describe('refusals (nothing written)', () => {
    it('refuses a move onto another live booking, naming it', async () => {
      const other = await createBooking(s.ctx, {property: properties.loft.name, guest: users.otherGuest.username, startDate: day(20), endDate: day(22)})
      const error = await expectRefused(
        s.db,
        () => updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {startDate: day(19), endDate: day(21)}),
        ConflictError,
        new RegExp(`^${day(19)} → ${day(21)} overlaps booking ${other.id} \\(${day(20)} → ${day(22)}\\) of property ${s.ids.properties.loft}$`),
      )
      expect(error.details).to.include({conflictingBookingId: other.id})
      expect(error.suggestion).to.equal(`pick other dates or cancel booking ${other.id}`)
    })

    it('refuses a move onto a block, naming it', async () => {
      const block = await createBlock(s.ctx, {property: properties.loft.name, startDate: day(18), endDate: day(19)})
      const error = await expectRefused(s.db, () => updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {endDate: day(19)}), ConflictError, new RegExp(`overlaps block ${block.id}\\b`))
      expect(error.details).to.include({conflictingBlockId: block.id})
    })

    it('refuses a cancelled booking', async () => {
      await expectRefused(s.db, () => updateBooking(s.ctx, s.ids.bookings.cancelledFuture, {startDate: day(40), endDate: day(42)}), ConflictError, /is cancelled; a cancelled booking cannot be changed/)
    })

    it('refuses to move a stay that has begun or ended', async () => {
      // confirmedPast: the loft, day -10 → -7.
      const past = s.ids.bookings.confirmedPast
      await expectRefused(s.db, () => updateBooking(s.ctx, past, {startDate: day(20), endDate: day(22)}), ConflictError, /began on .*; the start of a stay that has begun cannot move/)
      await expectRefused(s.db, () => updateBooking(s.ctx, past, {endDate: day(2)}), ConflictError, new RegExp(`ended on ${day(-7)}; a stay that has ended cannot move`))
    })

    it('refuses a total below what is charged, and a move that would price it below', async () => {
      await expectRefused(s.db, () => updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {totalPrice: '99.99'}), ConflictError, /has 100\.00 charged; its total cannot be less/)
      // The loft at 33.33 now: 3 nights come to 99.99, under the 100.00 charged.
      await updateProperty(s.ctx, s.ids.properties.loft, {pricePerNight: '33.33'})
      await expectRefused(s.db, () => updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {startDate: day(50), endDate: day(53)}), ConflictError, /its total cannot be less/)
      expect((await updateBooking(s.ctx, s.ids.bookings.confirmedFuture, {totalPrice: '100.00'})).totalPrice).to.equal('100.00')
    })

    it('refuses bad dates and amounts, and unknown bookings', async () => {
      const id = s.ids.bookings.confirmedFuture
      await expectRefused(s.db, () => updateBooking(s.ctx, id, {endDate: day(14)}), ValidationError, /must be after start date/)
      await expectRefused(s.db, () => updateBooking(s.ctx, id, {startDate: '2027-02-30'}), ValidationError)
      await expectRefused(s.db, () => updateBooking(s.ctx, id, {startDate: day(-1)}), ValidationError, /is in the past/)
      await expectRefused(s.db, () => updateBooking(s.ctx, id, {endDate: day(14 + 366)}), ValidationError, /too long/)
      await expectRefused(s.db, () => updateBooking(s.ctx, id, {totalPrice: '-5'}), ValidationError, /totalPrice must be a positive amount/)
      await expectRefused(s.db, () => updateBooking(s.ctx, 999_999, {endDate: day(20)}), NotFoundError)
    })
  })

  describe('who may', () => {
    it('the host moves a stay on their property; a guest, another guest and anonymous callers may not; the total is for admins', async () => {
      const id = s.ids.bookings.confirmedFuture
      await expectRefused(s.db, () => updateBooking(as('guest'), id, {endDate: day(18)}), ForbiddenError, /only the host of booking \d+'s property or an admin may change it/)
      await expectRefused(s.db, () => updateBooking(as('otherGuest'), id, {endDate: day(18)}), ForbiddenError)
      await expectRefused(s.db, () => updateBooking({...s.ctx, actor: anonymousActor()}, id, {endDate: day(18)}), UnauthenticatedError)
      await expectRefused(s.db, () => updateBooking(as('host'), id, {totalPrice: '500'}), ForbiddenError, /only admins may set a booking's total/)
      expect(await updateBooking(as('host'), id, {endDate: day(18)})).to.include({endDate: day(18), totalPrice: '480.00'})
      expect(await countRows(s.db, 'audit_events', `action = 'booking.update' AND actor = '${users.host.username}'`)).to.equal(1)
    })
  })
})
