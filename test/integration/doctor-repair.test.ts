/**
 * `db doctor`'s calendar-gaps check and `--repair` (services/doctor.ts, rules/gaps.ts): a
 * property inserted outside stayctl (here through the model, as raw SQL or a restore would)
 * has no free-gap rows, so the availability search misses it; the doctor names it (fail,
 * exit 9 at the CLI) and --repair computes its gaps from its bookings and blocks, after which
 * the table is what the stays give and the search finds it. Admins only.
 */
import {expect} from 'chai'

import {ForbiddenError} from '../../src/errors.js'
import {doctor} from '../../src/services/doctor.js'
import {listProperties} from '../../src/services/properties.js'
import {gapDisagreements} from '../../src/services/rules/gaps.js'
import {day, fixtures, testContext} from '../support/fixtures.js'
import {expectRefused, useScenario} from '../support/integration.js'

const {users} = fixtures

describe('db doctor --repair: calendars without free-gap rows (integration)', () => {
  const s = useScenario('doctor-repair')

  /** Two properties as raw SQL leaves them: no gap rows; the second with a booking and a block of days 10–14 and 20–22. */
  async function insertOutside(): Promise<[number, number]> {
    const {Property, Booking, Block} = s.db.models
    const owner = s.ids.users.host
    const made = async (name: string) => Number((await Property.create({ownerId: owner, name, address: 'Lane', pricePerNight: '30'})).id)
    const free = await made('Outside Free')
    const taken = await made('Outside Taken')
    const guestId = s.ids.users.otherGuest
    await Booking.create({propertyId: taken, guestId, startDate: day(10), endDate: day(14), status: 'confirmed', totalPrice: '120.00'})
    await Block.create({propertyId: taken, startDate: day(20), endDate: day(22), reason: 'paint'})
    return [free, taken]
  }
  const found = async (from: number, to: number) =>
    (await listProperties(s.ctx, {availableFrom: day(from), availableTo: day(to), limit: 1000})).items.map((p) => p.id)
  const gapsCheck = (report: Awaited<ReturnType<typeof doctor>>) => report.findings.find((f) => f.check === 'calendar-gaps')!

  it('names the properties without gap rows (fail), which the search misses', async () => {
    const ok = gapsCheck(await doctor(s.ctx))
    expect(ok.status).to.equal('ok')
    const [free, taken] = await insertOutside()
    const report = await doctor(s.ctx)
    expect(gapsCheck(report)).to.include({status: 'fail', fix: 'run `stayctl db doctor --repair` (it computes their calendars\' gaps from their bookings and blocks)'})
    expect(gapsCheck(report).message).to.match(new RegExp(`^2 properties have no free-gap rows \\(id ${free}, ${taken}\\)`))
    expect(report.fail).to.equal(1)
    expect(await found(15, 18)).to.not.include.members([free]).and.not.include(taken)
    expect((await gapDisagreements(s.ctx)).map((d) => d.propertyId)).to.have.members([free, taken])
  })

  it('--repair computes their gaps from their stays, under one audit event, and the search finds them', async () => {
    const [free, taken] = await insertOutside()
    const report = await doctor(s.ctx, {repair: true})
    expect(gapsCheck(report)).to.deep.equal({
      check: 'calendar-gaps',
      status: 'ok',
      message: 'every property has its free-gap rows (read by availability searches); --repair gave 2 properties their gap rows',
      fix: null,
    })
    expect(await gapDisagreements(s.ctx)).to.deep.equal([])
    expect(await found(15, 18)).to.include.members([free, taken])
    expect(await found(11, 12)).to.include(free).and.not.include(taken)
    expect(await found(21, 23)).to.include(free).and.not.include(taken)
    const events = await s.db.models.AuditEvent.findAll({where: {action: 'calendar.repair'}, raw: true})
    expect(events.map((e) => ({entity: e.entity, changes: typeof e.changes === 'string' ? JSON.parse(e.changes) : e.changes}))).to.deep.equal([
      {entity: 'property', changes: {properties: [free, taken]}},
    ])
    // Nothing left to repair: a second run writes nothing.
    expect(gapsCheck(await doctor(s.ctx, {repair: true})).message).to.equal('every property has its free-gap rows (read by availability searches)')
    expect(await s.db.models.AuditEvent.count({where: {action: 'calendar.repair'}})).to.equal(1)
  })

  it('is for admins only, and refused before it writes', async () => {
    await insertOutside()
    const host = testContext(s.db, {actor: {name: users.host.username, isAdmin: false, userId: s.ids.users.host}})
    await expectRefused(s.db, () => doctor(host, {repair: true}), ForbiddenError)
  })
})
