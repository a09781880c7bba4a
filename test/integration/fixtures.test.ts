import {expect} from 'chai'

import {showBooking} from '../../src/services/bookings.js'
import {showUser} from '../../src/services/users.js'
import {TODAY, day, fixtures} from '../support/fixtures.js'
import {countRows, useScenario} from '../support/integration.js'

describe('fixtures: the scenario loads through the services', () => {
  const s = useScenario('fixtures')

  it('creates every named fixture and returns its id', async () => {
    expect(Object.keys(s.ids.users)).to.have.members(Object.keys(fixtures.users))
    expect(Object.keys(s.ids.bookings)).to.have.members(Object.keys(fixtures.bookings))
    expect(await countRows(s.db, 'users')).to.equal(Object.keys(fixtures.users).length)
    expect(await countRows(s.db, 'properties')).to.equal(Object.keys(fixtures.properties).length)
    expect(await countRows(s.db, 'reviews')).to.equal(1)
  })

  it('gives the bookings their named states, on the fixed calendar', async () => {
    expect(process.env.STAYCTL_TODAY).to.equal(TODAY)
    const past = await showBooking(s.ctx, s.ids.bookings.confirmedPast)
    expect(past).to.include({status: 'confirmed', startDate: day(-10), endDate: day(-7), totalPrice: '360.00', paid: '360.00'})
    expect((await showBooking(s.ctx, s.ids.bookings.pendingFuture)).status).to.equal('pending')
    expect(await showBooking(s.ctx, s.ids.bookings.confirmedFuture)).to.include({status: 'confirmed', paid: '100.00'})
    expect((await showBooking(s.ctx, s.ids.bookings.cancelledFuture)).status).to.equal('cancelled')
  })

  it('creates inactive and admin users as such', async () => {
    expect(await showUser(s.ctx, s.ids.users.inactive)).to.include({isActive: false, isAdmin: false})
    expect(await showUser(s.ctx, s.ids.users.admin)).to.include({isActive: true, isAdmin: true})
  })
})
