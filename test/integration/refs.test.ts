/**
 * One way to name a row, for 1 row and for N (src/services/refs/): a command and an import
 * resolve the same reference to the same row, or refuse it in the same words, on SQLite and
 * MariaDB alike. Names, external references and transaction ids are compared exactly (MariaDB's
 * collation would compare them without case); usernames and emails without case; a property
 * name two hosts use names neither; emails stay private to admins and their user.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {NotFoundError, ValidationError} from '../../src/errors.js'
import {confirmBooking, createBooking, listBookings} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {importFile, type Rejection} from '../../src/services/import/index.js'
import {listPayments, recordCharge, showPayment} from '../../src/services/payments.js'
import {createProperty, listProperties, showProperty, updateProperty} from '../../src/services/properties.js'
import {createUser, showUser} from '../../src/services/users.js'
import {hut, otherHost} from '../support/actors.js'
import {day, fixtures, testContext} from '../support/fixtures.js'
import {expectRefused, useScenario} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'

const {users, properties} = fixtures
const loft = properties.loft.name
const guest = users.guest.username
let dir: string

describe('references: one way to name a row, for 1 row and for N (integration)', () => {
  const s = useScenario('refs')
  const temp = useScratch({per: 'suite', folder: 'stayctl-refs-'})
  before(() => (dir = temp.dir))

  /** A context acting as the scenario user `name` (not an admin unless they are one). */
  const as = (name: 'guest' | 'host' | 'admin'): ServiceContext =>
    testContext(s.db, {actor: {name: users[name].username, userId: s.ids.users[name], isAdmin: name === 'admin'}})

  /** The other host, with a listing of the same name as the scenario host's loft. */
  async function secondLoft(listed = true): Promise<number> {
    await createUser(s.ctx, otherHost)
    const {id} = await createProperty(s.ctx, {...hut, name: loft})
    if (!listed) await updateProperty(s.ctx, id, {isListed: false})
    return id
  }

  /** The reasons an import of one bookings row gives. */
  async function importBooking(row: string): Promise<string[]> {
    const file = path.join(dir, `bookings-${Date.now()}-${Math.random()}.csv`)
    fs.writeFileSync(file, `property,guest,startDate,endDate\n${row}\n`)
    const rejections: Rejection[] = []
    await importFile(s.ctx, {entity: 'bookings', file, onRejected: (r) => rejections.push(r)}).catch(() => undefined)
    return rejections.map((r) => r.reason)
  }

  describe('a property name that two hosts use', () => {
    it('bookings create refuses it in the words of the importer, and books by id', async () => {
      const other = await secondLoft()
      const stay = {property: loft, guest, startDate: day(40), endDate: day(42)}
      const error = await expectRefused(s.db, () => createBooking(s.ctx, stay), ValidationError)
      expect(error.message).to.equal(`property name "${loft}" is ambiguous: hosts ${users.host.username}, ${otherHost.username} each have one`)
      expect(error.suggestion).to.equal(`refer to one by id (\`stayctl properties list --search "${loft}"\` shows them)`)
      expect(error.details).to.deep.equal({field: 'property', hosts: [users.host.username, otherHost.username]})
      expect(await importBooking(`${loft},${guest},${day(40)},${day(42)}`)).to.deep.equal([`${error.message}; add propertyOwner to say whose`])

      expect((await createBooking(s.ctx, {...stay, property: other})).propertyId).to.equal(other)
      expect((await createBooking(s.ctx, {...stay, property: String(s.ids.properties.loft)})).propertyId).to.equal(s.ids.properties.loft)
    })

    it('every command that takes a property refuses it the same way', async () => {
      await secondLoft()
      const ambiguous = new RegExp(`^property name "${loft}" is ambiguous`)
      await expectRefused(s.db, () => listBookings(s.ctx, {property: loft}), ValidationError, ambiguous)
      await expectRefused(s.db, () => showProperty(s.ctx, loft), ValidationError, ambiguous)
      await expectRefused(s.db, () => updateProperty(s.ctx, loft, {pricePerNight: '1.00'}), ValidationError, ambiguous)
    })

    it('properties show: an unlisted namesake that the actor cannot see makes the name no less theirs', async () => {
      const other = await secondLoft(false)
      expect((await showProperty(as('guest'), loft)).id).to.equal(s.ids.properties.loft)
      await expectRefused(s.db, () => showProperty(as('admin'), loft), ValidationError, /is ambiguous/)
      expect((await showProperty(as('admin'), other)).id).to.equal(other)
    })
  })

  describe('text keys are compared exactly, on every database', () => {
    it('a property name in another case names no property, for commands and imports alike', async () => {
      for (const name of ['harbour loft', 'HARBOUR LOFT']) {
        const error = await expectRefused(s.db, () => showProperty(s.ctx, name), NotFoundError)
        expect(error.message).to.equal(`no property "${name}"`)
        await expectRefused(s.db, () => createBooking(s.ctx, {property: name, guest, startDate: day(40), endDate: day(42)}), NotFoundError)
        expect(await importBooking(`${name},${guest},${day(40)},${day(42)}`)).to.deep.equal([`unknown property "${name}"`])
      }
      expect((await showProperty(s.ctx, loft)).id).to.equal(s.ids.properties.loft)
    })

    it('an external reference and a transaction id too; usernames and emails are found without case', async () => {
      const booking = await createBooking(s.ctx, {property: properties.flat.name, guest, startDate: day(40), endDate: day(42), externalRef: 'Ext-001'})
      await expectRefused(s.db, () => confirmBooking(s.ctx, 'ext-001'), NotFoundError, /^no booking "ext-001"$/)
      expect((await confirmBooking(s.ctx, 'Ext-001')).id).to.equal(booking.id)
      await expectRefused(s.db, () => showPayment(s.ctx, 'TXN_CHARGE100'), NotFoundError, /^no payment "TXN_CHARGE100"$/)
      expect((await showPayment(s.ctx, 'txn_charge100')).id).to.equal(s.ids.payments.charge100)
      expect((await showUser(s.ctx, users.guest.username.toUpperCase())).id).to.equal(s.ids.users.guest)
      expect((await showUser(s.ctx, users.guest.email.toUpperCase())).id).to.equal(s.ids.users.guest)
    })
  })

  describe('payments record', () => {
    it('takes the booking by external reference, as by id', async () => {
      const booking = await createBooking(s.ctx, {property: properties.flat.name, guest, startDate: day(40), endDate: day(43), externalRef: 'ext-001'})
      const byRef = await recordCharge(s.ctx, {booking: 'ext-001', amount: '10.00', transactionId: 'txn_by_ref'})
      expect(byRef).to.include({bookingId: booking.id, amount: '10.00'})
      const byId = await recordCharge(s.ctx, {booking: String(booking.id), amount: '5.00', transactionId: 'txn_by_id'})
      expect(byId.bookingId).to.equal(booking.id)
    })

    it('refuses an unknown booking as the other finds do, and a booking given twice or not at all', async () => {
      const error = await expectRefused(s.db, () => recordCharge(s.ctx, {booking: 'ext-404', amount: '1.00', transactionId: 'txn_x'}), NotFoundError)
      expect({message: error.message, suggestion: error.suggestion}).to.deep.equal({
        message: 'no booking "ext-404"',
        suggestion: 'find bookings with `stayctl bookings list`',
      })
      const both = {booking: 'ext-404', bookingId: s.ids.bookings.confirmedFuture, amount: '1.00', transactionId: 'txn_x'}
      await expectRefused(s.db, () => recordCharge(s.ctx, both), ValidationError, /booking or bookingId/)
      await expectRefused(s.db, () => recordCharge(s.ctx, {amount: '1.00', transactionId: 'txn_x'}), ValidationError, /booking or bookingId/)
    })
  })

  describe('payments list', () => {
    it('takes the booking by external reference, as by id, and refuses an unknown one', async () => {
      const booking = await createBooking(s.ctx, {property: properties.flat.name, guest, startDate: day(40), endDate: day(43), externalRef: 'ext-002'})
      await recordCharge(s.ctx, {booking: 'ext-002', amount: '10.00', transactionId: 'txn_list_1'})
      const byRef = await listPayments(s.ctx, {booking: 'ext-002'})
      const byId = await listPayments(s.ctx, {booking: booking.id})
      expect(byRef.items.map((p) => p.transactionId)).to.deep.equal(['txn_list_1'])
      expect(byId.items).to.deep.equal(byRef.items)
      expect((await listPayments(s.ctx, {bookingId: booking.id})).items).to.deep.equal(byRef.items)
      const error = await expectRefused(s.db, () => listPayments(s.ctx, {booking: 'ext-404'}), NotFoundError)
      expect(error.message).to.equal('no booking "ext-404"')
    })
  })

  describe('users by email', () => {
    it("another user's email finds no one, in the words of an unknown address, unless for admins and themself", async () => {
      const guestCtx = as('guest')
      const hidden = await expectRefused(s.db, () => showUser(guestCtx, users.host.email), NotFoundError)
      const unknown = await expectRefused(s.db, () => showUser(guestCtx, 'nobody@example.com'), NotFoundError)
      expect(hidden.message).to.equal(`no user "${users.host.email}"`)
      expect(hidden.suggestion).to.equal(unknown.suggestion)
      await expectRefused(s.db, () => listProperties(guestCtx, {owner: users.host.email}), NotFoundError)
      await expectRefused(s.db, () => listBookings(guestCtx, {guest: users.host.email}), NotFoundError)

      expect((await showUser(guestCtx, users.guest.email.toUpperCase())).id).to.equal(s.ids.users.guest)
      expect((await showUser(guestCtx, users.host.username)).id).to.equal(s.ids.users.host)
      expect((await showUser(as('admin'), users.host.email)).id).to.equal(s.ids.users.host)
    })
  })
})
