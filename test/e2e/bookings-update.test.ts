/**
 * `stayctl bookings update` through the built binary: a move and a total (human line and
 * --json, the booking's shape), and the documented exit codes of its refusals (2 nothing to
 * change, 3 invalid, 4 not found, 5 overlap, cancelled or below what is charged, 6 neither the
 * host nor an admin, or a host setting the total: through `stayctl serve` and --api, logged in
 * as that user), each one line on stderr, or one JSON error under --json. Data is prepared
 * in-process.
 */
import {expect} from 'chai'

import {testDialect} from '../support/db.js'
import {BOOKING, errorJson, expectErrorLine, expectExit, expectShape, okJson, useCliSuite, useServedLogins} from './helpers.js'

const TODAY = '2030-06-15'

describe(`e2e: bookings update (${testDialect})`, function () {
  this.timeout(180_000)

  const ids: Record<string, number> = {}
  const suite = useCliSuite('bookings_update', TODAY, async (backend) => {
    const host = await backend.users.create({username: 'movehost', email: 'movehost@example.com', password: 'host-password-1'})
    for (const username of ['mover', 'neighbour']) await backend.users.create({username, email: `${username}@example.com`, password: 'guest-password-1'})
    const loft = await backend.properties.create({owner: host.id, name: 'Moving loft', address: '1 Quay', pricePerNight: '100.00'})
    ids.loft = loft.id
    ids.moving = (await backend.bookings.create({property: loft.id, guest: 'mover', startDate: '2030-06-20', endDate: '2030-06-23', externalRef: 'MV-1'})).id
    ids.neighbour = (await backend.bookings.create({property: loft.id, guest: 'neighbour', startDate: '2030-07-01', endDate: '2030-07-04'})).id
    ids.block = (await backend.blocks.create({property: loft.id, startDate: '2030-07-10', endDate: '2030-07-12', reason: 'paint'})).id
    ids.cancelled = (await backend.bookings.create({property: loft.id, guest: 'neighbour', startDate: '2030-08-01', endDate: '2030-08-03'})).id
    await backend.bookings.cancel(ids.cancelled, {refund: 'none'})
    await backend.payments.record({bookingId: ids.moving, amount: '250.00', transactionId: 'ch_move_1'})
  })
  const run = suite.run

  it('moves a stay (by external reference, --json): the booking, priced at nights × the price now', async () => {
    const booking = okJson(await run(['bookings', 'update', 'MV-1', '--from', '2030-06-24', '--to', '2030-06-28', '--json']))
    expectShape(booking, BOOKING, 'bookings update')
    expect(booking).to.include({id: ids.moving, startDate: '2030-06-24', endDate: '2030-06-28', nights: 4, totalPrice: '400.00', status: 'pending'})
  })

  it('says what it did, on one line', async () => {
    const result = expectExit(await run(['bookings', 'update', String(ids.moving), '--to', '2030-06-27']), 0)
    expect(result.stdout.trim()).to.equal(`Updated booking ${ids.moving}: property ${ids.loft}, 2030-06-24 → 2030-06-27 (3 nights), 300.00, pending.`)
  })

  it('sets a total (an admin: the OS user here)', async () => {
    expect(okJson(await run(['bookings', 'update', String(ids.moving), '--total-price', '275.5', '--json']))).to.include({totalPrice: '275.50'})
  })

  it('exit 5 onto another booking or a block, naming it', async () => {
    expectErrorLine(
      await run(['bookings', 'update', String(ids.moving), '--from', '2030-07-02', '--to', '2030-07-05']),
      5,
      new RegExp(`overlaps booking ${ids.neighbour} \\(2030-07-01 → 2030-07-04\\) of property ${ids.loft}`),
    )
    const error = errorJson(await run(['bookings', 'update', String(ids.moving), '--from', '2030-07-11', '--to', '2030-07-13', '--json']), 5)
    expect(error).to.include({code: 'CONFLICT', suggestion: `pick other dates or delete block ${ids.block}`})
    expect(error.message).to.contain(`overlaps block ${ids.block} (2030-07-10 → 2030-07-12)`)
  })

  it('exit 5 for a cancelled booking and a total below what is charged', async () => {
    expectErrorLine(await run(['bookings', 'update', String(ids.cancelled), '--to', '2030-08-04']), 5, /is cancelled; a cancelled booking cannot be changed/)
    expectErrorLine(await run(['bookings', 'update', String(ids.moving), '--total-price', '200']), 5, /has 250\.00 charged; its total cannot be less/)
  })

  it('exit 3 for bad dates or amounts, 4 for no such booking, 2 for nothing to change', async () => {
    expectErrorLine(await run(['bookings', 'update', String(ids.moving), '--to', '2030-06-24']), 3, /must be after start date/)
    expectErrorLine(await run(['bookings', 'update', String(ids.moving), '--from', '2030-06-10']), 3, /start date 2030-06-10 is in the past/)
    expect(errorJson(await run(['bookings', 'update', String(ids.moving), '--total-price', 'lots', '--json']), 3).code).to.equal('VALIDATION')
    expect(errorJson(await run(['bookings', 'update', 'NO-SUCH', '--to', '2030-06-30', '--json']), 4).code).to.equal('NOT_FOUND')
    expectErrorLine(await run(['bookings', 'update', String(ids.moving)]), 2, /nothing to change/)
  })

  describe('exit 6 through `stayctl serve` and --api, logged in as a user who is not an admin', () => {
    /** A CLI logged in to `stayctl serve` (on the suite's database) as a user: its runs go through --api. */
    const loggedIn = useServedLogins(suite.env)

    /** The booking as stored, and its booking.update events: what a refused update must leave as it was. */
    async function stored(id: number) {
      const row = (await suite.scratch.db.models.Booking.findByPk(id, {raw: true}))!
      const events = await suite.scratch.db.models.AuditEvent.count({where: {action: 'booking.update', entityId: String(id)}})
      return {row, events}
    }

    it("the booking's own guest moving it: exit 6, only its host or an admin may; the booking unchanged", async () => {
      const asGuest = await loggedIn('mover', 'guest-password-1')
      const before = await stored(ids.moving)
      const refusal = new RegExp(`^Error: only the host of booking ${ids.moving}'s property or an admin may change it; ask the host to move the stay, or cancel it and book the new dates$`)
      expectErrorLine(await asGuest(['bookings', 'update', String(ids.moving), '--from', '2030-06-25', '--to', '2030-06-29']), 6, refusal)
      const error = errorJson(await asGuest(['bookings', 'update', 'MV-1', '--to', '2030-06-30', '--json']), 6)
      expect(error).to.include({code: 'FORBIDDEN', message: `only the host of booking ${ids.moving}'s property or an admin may change it`})
      expect(await stored(ids.moving)).to.deep.equal(before)
    })

    it('the host setting --total-price: exit 6, only admins may set the total; the booking unchanged (a move by the host goes through)', async () => {
      const asHost = await loggedIn('movehost', 'host-password-1')
      const before = await stored(ids.moving)
      expectErrorLine(await asHost(['bookings', 'update', String(ids.moving), '--total-price', '999']), 6, /^Error: only admins may set a booking's total; leave the total out/)
      const error = errorJson(await asHost(['bookings', 'update', String(ids.moving), '--to', '2030-06-30', '--total-price', '999', '--json']), 6)
      expect(error).to.include({code: 'FORBIDDEN', message: "only admins may set a booking's total"})
      expect(await stored(ids.moving)).to.deep.equal(before)
      // The same host moves it without a total: the refusal was the total's, and the session is the host's.
      const moved = okJson(await asHost(['bookings', 'update', String(ids.moving), '--to', '2030-06-30', '--json']))
      expect(moved).to.include({id: ids.moving, endDate: '2030-06-30'})
    })
  })
})
