import {expect} from 'chai'

import {ConflictError, NotFoundError, ValidationError} from '../../src/errors.js'
import {createBooking} from '../../src/services/bookings.js'
import {createProperty, deleteProperty, listProperties, showProperty, updateProperty} from '../../src/services/properties.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, expectRefused, useScenario} from '../support/integration.js'

const {users, properties, bookings} = fixtures

describe('properties (integration)', () => {
  const s = useScenario('properties')
  const tent = {owner: users.host.username, name: 'Tent 100%_free', address: 'Field 1', pricePerNight: '10.00'}

  it('creates a listing with the moderate policy by default, and audits it', async () => {
    const property = await createProperty(s.ctx, tent)
    expect(property).to.include({ownerId: s.ids.users.host, pricePerNight: '10.00', cancellationPolicy: 'moderate', isListed: true})
    expect(await countRows(s.db, 'audit_events', `action = 'property.create' AND entity_id = '${property.id}'`)).to.equal(1)
  })

  it('refuses a price of 0, an unknown policy and an inactive owner', async () => {
    await expectRefused(s.db, () => createProperty(s.ctx, {...tent, pricePerNight: '0'}), ValidationError, /above 0/)
    await expectRefused(s.db, () => createProperty(s.ctx, {...tent, pricePerNight: '-5'}), ValidationError)
    await expectRefused(s.db, () => createProperty(s.ctx, {...tent, cancellationPolicy: 'lenient'}), ValidationError, /policy/)
    await expectRefused(s.db, () => createProperty(s.ctx, {...tent, owner: users.inactive.username}), ConflictError, /inactive/)
    await expectRefused(s.db, () => updateProperty(s.ctx, s.ids.properties.loft, {pricePerNight: '0.00'}), ValidationError)
  })

  describe('delete', () => {
    it('refuses a property with bookings and suggests unlisting', async () => {
      const error = await expectRefused(s.db, () => deleteProperty(s.ctx, s.ids.properties.loft), ConflictError, /has 2 booking\(s\)/)
      expect(error.suggestion).to.match(/--unlist/)
    })

    it('refuses a property whose only booking was cancelled', async () => {
      await expectRefused(s.db, () => deleteProperty(s.ctx, s.ids.properties.flat), ConflictError, /has 1 booking\(s\)/)
    })

    it('deletes a property without bookings, and audits it', async () => {
      const {id} = await createProperty(s.ctx, tent)
      expect(await deleteProperty(s.ctx, id)).to.deep.equal({id, deleted: true})
      expect(await countRows(s.db, 'properties', `id = ${id}`)).to.equal(0)
      expect(await countRows(s.db, 'audit_events', `action = 'property.delete' AND entity_id = '${id}'`)).to.equal(1)
      await expectRefused(s.db, () => deleteProperty(s.ctx, id), NotFoundError)
    })
  })

  describe('list', () => {
    const ids = async (input: Parameters<typeof listProperties>[1]) => (await listProperties(s.ctx, input)).items.map((p) => p.id)

    it('finds the properties free for a whole stay (check-out exclusive, cancelled bookings ignored)', async () => {
      const {loft, cabin, flat} = s.ids.properties
      // confirmedFuture holds the loft on days 14–17; cancelledFuture (flat, days 5–8) blocks nothing.
      expect(await ids({availableFrom: day(15), availableTo: day(16)})).to.have.members([cabin, flat])
      expect(await ids({availableFrom: day(17), availableTo: day(20)})).to.have.members([loft, cabin, flat])
      expect(await ids({availableFrom: day(11), availableTo: day(14)})).to.have.members([loft, cabin, flat])
      expect(await ids({availableFrom: bookings.cancelledFuture.startDate, availableTo: bookings.cancelledFuture.endDate})).to.include(flat)
    })

    it('filters by owner, price and text (with % and _ taken literally)', async () => {
      const tentId = (await createProperty(s.ctx, tent)).id
      await createProperty(s.ctx, {...tent, name: 'Tent 100 percent free'})
      expect(await ids({minPrice: '100', maxPrice: '200'})).to.deep.equal([s.ids.properties.loft])
      expect(await ids({search: '100%_'})).to.deep.equal([tentId])
      expect(await ids({search: 'HARBOUR'})).to.deep.equal([s.ids.properties.loft])
      expect((await ids({owner: users.host.username})).length).to.equal(5)
      await expectRefused(s.db, () => listProperties(s.ctx, {availableFrom: day(1)}), ValidationError, /both/)
    })
  })

  it('shows upcoming bookings and the average rating', async () => {
    await createBooking(s.ctx, {property: properties.loft.name, guest: users.otherGuest.username, startDate: day(1), endDate: day(3)})
    const loft = await showProperty(s.ctx, properties.loft.name)
    expect(loft).to.include({averageRating: 5, reviewCount: 1})
    expect(loft.owner).to.deep.equal({id: s.ids.users.host, username: users.host.username})
    expect(loft.upcomingBookings.map((b) => b.startDate)).to.deep.equal([day(1), day(14)])
  })
})
