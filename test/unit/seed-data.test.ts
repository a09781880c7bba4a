import bcrypt from 'bcrypt'
import {expect} from 'chai'

import {ValidationError} from '../../src/errors.js'
import {
  DEMO_PASSWORD,
  SEED_TABLES,
  centsToDecimal,
  decimalToCents,
  generateSeedData,
  resolveSeedPlan,
  type SeedData,
  type SeedPlanInput,
} from '../../src/services/seed-data.js'

const DAY = 86_400_000
const admin = {username: 'admin', passwordHash: '$2b$04$adminadminadminadminadminadminadminadminadminadmin'}

function plan(input: SeedPlanInput = {}) {
  return resolveSeedPlan({randomSeed: 7, referenceDate: '2026-11-21', ...input})
}

/** Every broken rule of ARCHITECTURE.md, as readable lines; empty when the data is sound. */
function violations(data: SeedData, referenceDate: string): string[] {
  const problems: string[] = []
  const ref = Date.parse(`${referenceDate}T00:00:00Z`)
  const fail = (message: string) => problems.push(message)

  for (const table of SEED_TABLES) {
    for (const row of data[table] as {id: number; created_at: Date; updated_at: Date}[]) {
      for (const at of [row.created_at, row.updated_at]) {
        if (at.getTime() % 1000 !== 0) fail(`${table} ${row.id}: timestamp with milliseconds`)
        if (at.getTime() >= ref) fail(`${table} ${row.id}: timestamp ${at.toISOString()} not before the reference date`)
      }
      if (row.updated_at < row.created_at) fail(`${table} ${row.id}: updated before created`)
    }
  }

  const users = new Map(data.users.map((u) => [u.id, u]))
  const names = new Set<string>()
  for (const u of data.users) {
    for (const key of [u.username.toLowerCase(), u.email.toLowerCase()]) {
      if (names.has(key)) fail(`user ${u.id}: ${key} is not unique`)
      names.add(key)
    }
    if (u.email !== u.email.toLowerCase()) fail(`user ${u.id}: email not lower-case`)
    if (u.username.length > 50 || u.email.length > 254) fail(`user ${u.id}: username or email too long`)
  }

  const properties = new Map(data.properties.map((p) => [p.id, p]))
  for (const p of data.properties) {
    if (!users.has(p.owner_id)) fail(`property ${p.id}: unknown owner`)
    if (decimalToCents(p.price_per_night) <= 0) fail(`property ${p.id}: price not positive`)
  }

  const bookings = new Map(data.bookings.map((b) => [b.id, b]))
  const occupied = new Map<number, {start: string; end: string; id: number}[]>()
  for (const b of data.bookings) {
    const property = properties.get(b.property_id)
    const guest = users.get(b.guest_id)
    if (!property || !guest) {
      fail(`booking ${b.id}: unknown property or guest`)
      continue
    }
    if (!['pending', 'confirmed', 'cancelled'].includes(b.status)) fail(`booking ${b.id}: status ${b.status}`)
    if (!(b.end_date > b.start_date)) fail(`booking ${b.id}: ends before it starts`)
    if (b.guest_id === property.owner_id) fail(`booking ${b.id}: the host books their own property`)
    if (!guest.is_active || guest.is_admin) fail(`booking ${b.id}: guest inactive or admin`)
    const nights = (Date.parse(b.end_date) - Date.parse(b.start_date)) / DAY
    if (decimalToCents(b.total_price) !== nights * decimalToCents(property.price_per_night)) {
      fail(`booking ${b.id}: total ${b.total_price} ≠ ${nights} × ${property.price_per_night}`)
    }
    if (b.created_at.getTime() >= Date.parse(b.start_date)) fail(`booking ${b.id}: booked after it started`)
    if (b.status === 'cancelled') continue
    const taken = occupied.get(b.property_id) ?? []
    for (const other of taken) {
      if (b.start_date < other.end && other.start < b.end_date) fail(`booking ${b.id} overlaps booking ${other.id}`)
    }
    taken.push({start: b.start_date, end: b.end_date, id: b.id})
    occupied.set(b.property_id, taken)
  }

  const staysEnded = new Map<string, number[]>()
  for (const b of data.bookings) {
    if (b.status !== 'confirmed' || !(b.end_date < referenceDate)) continue
    const key = `${b.property_id}:${b.guest_id}`
    staysEnded.set(key, [...(staysEnded.get(key) ?? []), Date.parse(b.end_date)])
  }
  const reviewed = new Set<string>()
  for (const r of data.reviews) {
    const key = `${r.property_id}:${r.reviewer_id}`
    if (reviewed.has(key)) fail(`review ${r.id}: second review of property ${r.property_id} by ${r.reviewer_id}`)
    reviewed.add(key)
    if (!Number.isInteger(r.rating) || r.rating < 1 || r.rating > 5) fail(`review ${r.id}: rating ${r.rating}`)
    const stayed = (staysEnded.get(key) ?? []).some((end) => end <= r.created_at.getTime())
    if (!stayed) fail(`review ${r.id}: no confirmed stay that ended before it`)
  }

  const transactionIds = new Set<string>()
  const charges = new Map(data.payments.filter((p) => p.kind === 'charge').map((p) => [p.id, p]))
  const refunded = new Map<number, number>()
  for (const p of data.payments) {
    if (transactionIds.has(p.transaction_id)) fail(`payment ${p.id}: duplicate transaction id`)
    transactionIds.add(p.transaction_id)
    if (decimalToCents(p.amount) <= 0) fail(`payment ${p.id}: amount not positive`)
    if (!bookings.has(p.booking_id)) fail(`payment ${p.id}: unknown booking`)
    if (p.kind === 'charge') {
      if (p.refund_of_id !== null) fail(`charge ${p.id}: has refund_of_id`)
      if (p.amount !== bookings.get(p.booking_id)?.total_price) fail(`charge ${p.id}: amount ≠ booking total`)
    } else {
      const charge = p.refund_of_id === null ? undefined : charges.get(p.refund_of_id)
      if (!charge || charge.booking_id !== p.booking_id) fail(`refund ${p.id}: not of a charge of its booking`)
      else if (charge.payment_date > p.payment_date || charge.id > p.id) fail(`refund ${p.id}: before its charge`)
      if (p.refund_of_id !== null) refunded.set(p.refund_of_id, (refunded.get(p.refund_of_id) ?? 0) + decimalToCents(p.amount))
    }
  }
  for (const charge of charges.values()) {
    const sum = refunded.get(charge.id) ?? 0
    if (sum > decimalToCents(charge.amount)) fail(`charge ${charge.id}: refunds ${sum} exceed it`)
    if ((charge.status === 'refunded') !== (sum === decimalToCents(charge.amount))) {
      fail(`charge ${charge.id}: status ${charge.status} with ${sum} of ${charge.amount} refunded`)
    }
  }
  const chargesOf = new Map<number, typeof data.payments>()
  for (const c of charges.values()) chargesOf.set(c.booking_id, [...(chargesOf.get(c.booking_id) ?? []), c])
  for (const b of data.bookings) {
    const its = chargesOf.get(b.id) ?? []
    if (b.status === 'confirmed' && (its.length !== 1 || its[0].status !== 'completed')) {
      fail(`booking ${b.id}: confirmed without exactly one completed charge`)
    }
    if (b.status === 'pending' && its.length > 0) fail(`booking ${b.id}: pending but charged`)
  }
  return problems
}

function expectContiguous(data: SeedData, first: Record<string, number>) {
  for (const table of SEED_TABLES) {
    const ids = (data[table] as {id: number}[]).map((row) => row.id)
    expect(ids, table).to.deep.equal(ids.map((_, i) => first[table] + i))
  }
}

describe('seed data generator', () => {
  describe('resolveSeedPlan', () => {
    it('defaults to the small size, random seed 1 and today in UTC', () => {
      expect(resolveSeedPlan({}, new Date('2027-03-04T23:30:00Z'))).to.deep.equal({
        size: 'small',
        users: 25,
        properties: 10,
        bookings: 150,
        randomSeed: 1,
        referenceDate: '2027-03-04',
      })
    })

    it('lets --users, --properties and --bookings override the size', () => {
      const p = resolveSeedPlan({size: 'medium', users: 40, bookings: 0})
      expect([p.size, p.users, p.properties, p.bookings]).to.deep.equal(['medium', 40, 500, 0])
    })

    for (const [input, pattern] of [
      [{referenceDate: '2026-02-30'}, /reference-date/],
      [{referenceDate: '21/11/2026'}, /reference-date/],
      [{randomSeed: -1}, /random-seed/],
      [{users: 0}, /users/],
      [{users: 2, properties: 1, bookings: 5}, /3 users/],
      [{users: 1, properties: 1, bookings: 0}, /2 users/],
      [{properties: 0, bookings: 5}, /property/],
    ] as const) {
      it(`rejects ${JSON.stringify(input)}`, () => {
        expect(() => resolveSeedPlan(input)).to.throw(ValidationError, pattern)
      })
    }
  })

  describe('money', () => {
    it('writes cents as DECIMAL strings and reads them back without floats', () => {
      expect([0, 5, 1234, 12340, -250].map(centsToDecimal)).to.deep.equal(['0.00', '0.05', '12.34', '123.40', '-2.50'])
      expect(['123.40', '123.4', 123.4, '7', 0.05, '-2.50'].map(decimalToCents)).to.deep.equal([12340, 12340, 12340, 700, 5, -250])
    })
  })

  describe('generateSeedData', () => {
    it('gives identical data for the same seed and reference date', () => {
      const a = generateSeedData(plan(), {admin})
      const b = generateSeedData(plan(), {admin})
      expect(JSON.stringify(b)).to.equal(JSON.stringify(a))
      expect(a.bookings).to.have.length(150)
    })

    it('gives other data for another seed, and moves dates with the reference date', () => {
      const a = generateSeedData(plan(), {admin})
      expect(generateSeedData(plan({randomSeed: 8}), {admin}).users[1].username).to.not.equal(a.users[1].username)
      const later = generateSeedData(plan({referenceDate: '2026-12-21'}), {admin})
      expect(later.users.map((u) => u.username)).to.deep.equal(a.users.map((u) => u.username))
      expect(later.bookings.map((b) => Date.parse(b.start_date) - Date.parse(a.bookings[b.id - 1].start_date))).to.satisfy(
        (shifts: number[]) => shifts.every((s) => s === 30 * DAY),
      )
    })

    it('gives every demo user one deterministic bcrypt hash of the demo password', async () => {
      const a = generateSeedData(plan(), {admin})
      const hashes = new Set(a.users.filter((u) => !u.is_admin).map((u) => u.password_hash))
      expect(hashes.size).to.equal(1)
      const [hash] = hashes
      expect(await bcrypt.compare(DEMO_PASSWORD, hash)).to.equal(true)
      expect(generateSeedData(plan({randomSeed: 8}), {admin}).users[1].password_hash).to.not.equal(hash)
      expect(a.users[0]).to.include({username: 'admin', is_admin: true, password_hash: admin.passwordHash, id: 1})
    })

    for (const input of [
      {},
      {randomSeed: 1},
      {randomSeed: 42, referenceDate: '2025-02-28'},
      {users: 3, properties: 1, bookings: 300},
      {users: 4, properties: 3, bookings: 0},
      {users: 30, properties: 200, bookings: 50},
    ]) {
      it(`keeps the rules for ${JSON.stringify(input)}`, () => {
        const p = plan(input)
        const data = generateSeedData(p, {admin})
        expect(violations(data, p.referenceDate)).to.deep.equal([])
        expect([data.users.length, data.properties.length, data.bookings.length]).to.deep.equal([p.users, p.properties, p.bookings])
        expectContiguous(data, {users: 1, properties: 1, bookings: 1, reviews: 1, payments: 1})
      })
    }

    it('keeps the rules at medium size, with reviews, refunds and every status present', function () {
      this.timeout(60_000)
      const p = plan({size: 'medium'})
      const data = generateSeedData(p, {admin})
      expect(violations(data, p.referenceDate)).to.deep.equal([])
      expect(new Set(data.bookings.map((b) => b.status))).to.have.all.keys('pending', 'confirmed', 'cancelled')
      expect(new Set(data.payments.map((x) => x.status))).to.have.all.keys('completed', 'refunded')
      expect(data.payments.some((x) => x.kind === 'refund' && x.reason?.startsWith('goodwill'))).to.equal(true)
      expect(data.reviews.length).to.be.greaterThan(1000)
      expect(data.bookings.some((b) => b.start_date > p.referenceDate)).to.equal(true)
    })

    it('starts ids where it is told and avoids names already taken', () => {
      const firstIds = {users: 101, properties: 7, bookings: 1001, reviews: 3, payments: 500}
      const reference = generateSeedData(plan(), {admin: null})
      const taken = new Set([reference.users[0].username, reference.users[1].email, 'admin@example.com'])
      const data = generateSeedData(plan(), {firstIds, admin, taken})
      expect(violations(data, '2026-11-21')).to.deep.equal([])
      expectContiguous(data, firstIds)
      const names = data.users.flatMap((u) => [u.username, u.email])
      for (const name of taken) expect(names).to.not.include(name)
      expect(data.users[0].email).to.equal('admin2@example.com')
      expect(data.properties.every((p) => p.owner_id >= 101 && p.owner_id < 126)).to.equal(true)
    })

    it('generates no admin when told there is one already', () => {
      const data = generateSeedData(plan(), {admin: null})
      expect(data.users).to.have.length(25)
      expect(data.users.some((u) => u.is_admin || u.username === 'admin')).to.equal(false)
    })

    it('has a checker that does catch broken data', () => {
      const data = generateSeedData(plan(), {admin})
      const [a, b] = data.bookings.filter((x) => x.status === 'confirmed' && x.property_id === data.bookings[0].property_id)
      b.start_date = a.start_date
      b.end_date = a.end_date
      const refund = data.payments.find((x) => x.kind === 'refund')!
      refund.amount = '999999.00'
      data.users[2].email = data.users[1].email.toUpperCase()
      const found = violations(data, '2026-11-21').join('\n')
      expect(found).to.match(new RegExp(`booking ${b.id} overlaps booking ${a.id}`))
      expect(found).to.match(/refunds \d+ exceed it/)
      expect(found).to.match(/not unique/)
      expect(found).to.match(/email not lower-case/)
    })
  })
})
