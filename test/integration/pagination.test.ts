/**
 * Keyset paging: following nextCursor visits every row exactly once, in the order of the
 * unpaged list, for ascending and descending sorts with ties; a cursor that this list did
 * not give out (garbage, tampered, or from another sort) is a ValidationError.
 */
import {expect} from 'chai'

import {ValidationError} from '../../src/errors.js'
import {createBooking, listBookings} from '../../src/services/bookings.js'
import type {Page, PageInput} from '../../src/services/pagination.js'
import {createProperty} from '../../src/services/properties.js'
import {createUser, listUsers} from '../../src/services/users.js'
import {day, fixtures} from '../support/fixtures.js'
import {expectRefused, useScenario} from '../support/integration.js'

type Lister = (input: PageInput) => Promise<Page<{id: number}>>

/** Every id, following the cursor from page to page. */
async function walk(list: Lister, limit: number): Promise<number[]> {
  const ids: number[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const page = await list({limit, cursor})
    expect(page.items.length).to.be.at.most(limit)
    ids.push(...page.items.map((item) => item.id))
    if (!page.nextCursor) return ids
    cursor = page.nextCursor
  }
  throw new Error('paging did not end')
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('keyset pagination (integration)', () => {
  const s = useScenario('pagination')

  describe('listUsers', () => {
    let all: number[]

    beforeEach(async () => {
      for (let i = 0; i < 20; i++) {
        // Mixed case and punctuation, so that the database's collation decides the order.
        const username = `${i % 2 ? 'User' : 'user'}.${String(i % 7).padStart(2, '0')}-${i}`
        await createUser(s.ctx, {username, email: `${username.toLowerCase()}@example.com`, password: 'password-123'})
      }
      // Three creation times for 25 users: sorting by createdAt is mostly ties.
      const rows = await s.db.models.User.findAll({order: [['id', 'ASC']]})
      for (const [i, user] of rows.entries()) {
        await s.db.models.User.update({createdAt: new Date(Date.UTC(2027, 0, 1 + (i % 3)))}, {where: {id: user.id}, silent: true})
      }
      all = rows.map((u) => u.id)
    })

    for (const sort of ['id', '-id', 'username', '-username', 'email', '-email', 'createdAt', '-createdAt']) {
      it(`visits every user once, in order, sorted by ${sort}`, async () => {
        const list: Lister = (input) => listUsers(s.ctx, {...input, sort})
        const unpaged = (await list({limit: 1000})).items.map((u) => u.id)
        expect(unpaged).to.have.members(all)
        for (const limit of [1, 4, 7]) expect(await walk(list, limit)).to.deep.equal(unpaged)
      })
    }

    it('breaks ties by id, in the direction of the sort', async () => {
      const asc = (await listUsers(s.ctx, {sort: 'createdAt', limit: 1000})).items
      const desc = (await listUsers(s.ctx, {sort: '-createdAt', limit: 1000})).items
      const key = (u: {createdAt: string; id: number}) => [u.createdAt, u.id] as const
      const ordered = (items: {createdAt: string; id: number}[], sign: number) =>
        items.every((u, i) => {
          if (i === 0) return true
          const [a, b] = [key(items[i - 1]), key(u)]
          return sign * (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1) < 0
        })
      expect(ordered(asc, 1)).to.equal(true)
      expect(ordered(desc, -1)).to.equal(true)
      expect(desc.map((u) => u.id)).to.deep.equal([...asc].reverse().map((u) => u.id))
    })

    it('pages through a filtered list', async () => {
      const list: Lister = (input) => listUsers(s.ctx, {...input, search: 'USER.03', sort: '-username'})
      const unpaged = (await list({limit: 1000})).items.map((u) => u.id)
      expect(unpaged).to.have.length(3)
      expect(await walk(list, 2)).to.deep.equal(unpaged)
    })
  })

  describe('listBookings', () => {
    beforeEach(async () => {
      // Five properties, each booked for the same four stays: four-way ties on the start date.
      for (let p = 0; p < 5; p++) {
        const property = await createProperty(s.ctx, {owner: fixtures.users.host.username, name: `Row ${p}`, address: `Row ${p}`, pricePerNight: '10.00'})
        for (const start of [40, 10, 30, 20]) {
          await createBooking(s.ctx, {property: property.id, guest: fixtures.users.otherGuest.username, startDate: day(start), endDate: day(start + 3)})
        }
      }
      await s.db.models.Booking.update({createdAt: new Date('2027-01-01T00:00:00Z')}, {where: {}, silent: true})
    })

    for (const sort of ['id', '-id', 'startDate', '-startDate', 'createdAt', '-createdAt']) {
      it(`visits every booking once, in order, sorted by ${sort}`, async () => {
        const list: Lister = (input) => listBookings(s.ctx, {...input, sort})
        const unpaged = (await list({limit: 1000})).items.map((b) => b.id)
        expect(unpaged).to.have.length(20 + Object.keys(fixtures.bookings).length)
        for (const limit of [1, 3, 6]) expect(await walk(list, limit)).to.deep.equal(unpaged)
      })
    }

    it('pages through bookings filtered by guest and dates', async () => {
      const list: Lister = (input) => listBookings(s.ctx, {...input, guest: fixtures.users.otherGuest.username, from: day(15), to: day(35), sort: '-startDate'})
      const unpaged = (await list({limit: 1000})).items as {id: number; startDate: string}[]
      expect(unpaged.map((b) => b.startDate)).to.deep.equal([...Array(5).fill(day(30)), ...Array(5).fill(day(20))])
      expect(await walk(list, 4)).to.deep.equal(unpaged.map((b) => b.id))
    })
  })

  describe('bad cursors are ValidationErrors', () => {
    /** A real cursor of users sorted by `sort`, with the element equal to `from` replaced by `to`. */
    async function tampered(sort: string, pick: (last: {id: number; username: string; createdAt: string}) => unknown, to: unknown) {
      const page = await listUsers(s.ctx, {sort, limit: 2})
      const decoded = JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString('utf8')) as unknown[]
      const from = pick(page.items[1])
      const at = decoded.findIndex((element) => element === from || (typeof element === 'string' && Date.parse(element) === Date.parse(String(from))))
      expect(at, `the cursor holds ${from}`).to.be.at.least(0)
      return cursorOf(decoded.map((element, i) => (i === at ? to : element)))
    }

    const malformed: [string, string][] = [
      ['garbage', 'not a cursor!'],
      ['not JSON', Buffer.from('{{{').toString('base64url')],
      ['the wrong shape', cursorOf({id: 3})],
    ]
    for (const [what, cursor] of malformed) {
      it(`refuses ${what}`, async () => {
        await expectRefused(s.db, () => listUsers(s.ctx, {sort: 'username', cursor}), ValidationError, /cursor/)
      })
    }

    const tampering: [string, string, (last: {id: number; username: string; createdAt: string}) => unknown, unknown][] = [
      ['a fractional id', 'username', (last) => last.id, 1.5],
      ['an object for a value', 'username', (last) => last.username, {$gt: ''}],
      ['an array for a value', 'username', (last) => last.username, ['x']],
      ['no value', 'username', (last) => last.username, null],
      ['a value that is no date, sorting by date', 'createdAt', (last) => last.createdAt, 'yesterday'],
    ]
    for (const [what, sort, pick, to] of tampering) {
      it(`refuses a cursor with ${what}`, async () => {
        const cursor = await tampered(sort, pick, to)
        await expectRefused(s.db, () => listUsers(s.ctx, {sort, cursor}), ValidationError, /cursor/)
      })
    }

    it('refuses a cursor given out for another sort or direction', async () => {
      const {nextCursor} = await listUsers(s.ctx, {sort: 'username', limit: 2})
      expect(nextCursor).to.be.a('string')
      await expectRefused(s.db, () => listUsers(s.ctx, {sort: 'createdAt', cursor: nextCursor!}), ValidationError, /cursor/)
      await expectRefused(s.db, () => listUsers(s.ctx, {sort: '-username', cursor: nextCursor!}), ValidationError, /cursor/)
      await expectRefused(s.db, () => listBookings(s.ctx, {sort: 'startDate', cursor: nextCursor!}), ValidationError, /cursor/)
    })

    it('refuses bad sorts and limits', async () => {
      await expectRefused(s.db, () => listUsers(s.ctx, {sort: 'passwordHash'}), ValidationError, /cannot sort by "passwordHash"/)
      await expectRefused(s.db, () => listUsers(s.ctx, {limit: 0}), ValidationError, /limit/)
      await expectRefused(s.db, () => listBookings(s.ctx, {limit: 1001}), ValidationError, /limit/)
    })
  })
})
