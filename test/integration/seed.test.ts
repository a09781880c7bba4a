import bcrypt from 'bcrypt'
import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {openDb} from '../../src/db/index.js'
import {ConflictError, ValidationError} from '../../src/errors.js'
import {seed, undoSeed, type SeedResult} from '../../src/services/seed.js'
import {DEMO_PASSWORD, SEED_TABLES, decimalToCents, generateSeedData} from '../../src/services/seed-data.js'
import {freshDatabase, testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const options = {randomSeed: 7, referenceDate: '2026-11-21', bcryptCost: 4}

type Row = Record<string, unknown>

async function select(db: Db, sql: string, replacements: unknown[] = []): Promise<Row[]> {
  return db.sequelize.query<Row>(sql, {type: QueryTypes.SELECT, replacements})
}

async function count(db: Db, table: string): Promise<number> {
  const [row] = await select(db, `SELECT COUNT(*) AS n FROM ${table}`)
  return Number(row.n)
}

async function counts(db: Db): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(SEED_TABLES.map(async (t) => [t, await count(db, t)])))
}

/** Every row of the five tables, the admin's password hash (randomly salted) left out. */
async function dump(db: Db): Promise<Record<string, Row[]>> {
  const tables: Record<string, Row[]> = {}
  for (const table of SEED_TABLES) {
    tables[table] = await select(db, `SELECT * FROM ${table} ORDER BY id`)
  }
  for (const user of tables.users) if (user.username === 'admin') user.password_hash = '<admin>'
  return tables
}

/** A stored value in a comparable form: dates as ISO strings, DECIMALs as cents, booleans as booleans. */
function normalise(column: string, value: unknown): unknown {
  if (value === null) return null
  if (['price_per_night', 'total_price', 'amount', 'charged_amount', 'refunded_amount'].includes(column)) return decimalToCents(value as string)
  if (['is_active', 'is_admin', 'is_listed'].includes(column)) return Boolean(value)
  if (['created_at', 'updated_at', 'payment_date'].includes(column)) {
    const date = value instanceof Date ? value : new Date(String(value).replace(' ', 'T').replace(' +00:00', 'Z'))
    return date.toISOString()
  }
  return value
}

const nights =
  testDialect === 'mysql' ? 'DATEDIFF(b.end_date, b.start_date)' : 'CAST(julianday(b.end_date) - julianday(b.start_date) AS INTEGER)'

describe(`db seed (${testDialect})`, () => {
  const a = useScratch({per: 'suite', database: 'seed_a'})
  const b = useScratch({per: 'suite', database: 'seed_b'})
  let first: SeedResult

  before(async () => {
    first = await seed(a.db, options)
  })

  it('reports what it inserted, and the admin with a generated password', async () => {
    expect(first.alreadySeeded).to.equal(false)
    expect(first.seeders.map((s) => s.name)).to.deep.equal(['2026.11.21T10.00.00.demo-data'])
    expect(first.seededWith).to.deep.include({size: 'small', randomSeed: 7, referenceDate: '2026-11-21'})
    expect(first.rows).to.deep.equal(await counts(a.db))
    expect(first.rows).to.include({users: 25, properties: 10, bookings: 150})
    expect(first.rows.reviews).to.be.greaterThan(0)
    expect(first.rows.payments).to.be.greaterThan(first.rows.bookings / 2)
    const [admin] = await select(a.db, "SELECT * FROM users WHERE username = 'admin'")
    expect(first.admin).to.deep.include({username: 'admin', created: true})
    expect(await bcrypt.compare(first.admin!.generatedPassword!, String(admin.password_hash))).to.equal(true)
    expect(Boolean(admin.is_admin)).to.equal(true)
    const [demo] = await select(a.db, "SELECT password_hash FROM users WHERE username <> 'admin' ORDER BY id LIMIT 1")
    expect(await bcrypt.compare(DEMO_PASSWORD, String(demo.password_hash))).to.equal(true)
    const [property] = await select(a.db, 'SELECT p.name, u.username FROM properties p JOIN users u ON u.id = p.owner_id ORDER BY p.id LIMIT 1')
    expect(first.sample).to.deep.include({id: 1, name: property.name, owner: property.username})
  })

  it('stores exactly what the generator produced', async () => {
    const stored = await dump(a.db)
    const generated = generateSeedData(first.seededWith!, {admin: {username: 'admin', passwordHash: '<admin>'}}) as unknown as Record<string, Row[]>
    for (const table of SEED_TABLES) {
      const columns = Object.keys(generated[table][0])
      const norm = (rows: Row[]) => rows.map((row) => columns.map((c) => normalise(c, row[c])))
      expect(norm(stored[table]), table).to.deep.equal(norm(generated[table]))
    }
  })

  it('gives identical rows on a second fresh database with the same seed and reference date', async () => {
    const second = await seed(b.db, {...options, adminPassword: 'another-admin-pw'})
    expect(second.rows).to.deep.equal(first.rows)
    expect(second.admin).to.deep.equal({username: 'admin', created: true})
    expect(await dump(b.db)).to.deep.equal(await dump(a.db))
  })

  it('inserts nothing the second time, and says with what it was seeded', async () => {
    const before = await dump(a.db)
    const again = await seed(a.db, {size: 'medium', randomSeed: 99})
    expect(again.alreadySeeded).to.equal(true)
    expect(again.seeders).to.deep.equal([])
    expect(again.seededWith).to.deep.equal(first.seededWith)
    expect(Object.values(again.rows)).to.deep.equal([0, 0, 0, 0, 0])
    expect(again.admin).to.deep.equal({username: 'admin', created: false})
    expect(again.sample).to.deep.equal(first.sample)
    expect(await dump(a.db)).to.deep.equal(before)
  })

  describe('the rules hold in the database', () => {
    const none = async (sql: string, replacements: unknown[] = []) => expect(await select(a.db, sql, replacements)).to.deep.equal([])

    it('no two non-cancelled bookings of a property overlap', () =>
      none(`SELECT x.id, y.id AS other FROM bookings x JOIN bookings y
             ON x.property_id = y.property_id AND x.id < y.id
            WHERE x.status <> 'cancelled' AND y.status <> 'cancelled'
              AND x.start_date < y.end_date AND y.start_date < x.end_date`))

    it('a host never books their own property', () =>
      none('SELECT b.id FROM bookings b JOIN properties p ON p.id = b.property_id WHERE b.guest_id = p.owner_id'))

    it('total_price is nights × price per night', () =>
      none(`SELECT b.id FROM bookings b JOIN properties p ON p.id = b.property_id
            WHERE ROUND(b.total_price * 100) <> ${nights} * ROUND(p.price_per_night * 100)`))

    it('reviews come only from guests of a confirmed stay that ended before the review and the reference date', () =>
      none(
        `SELECT r.id FROM reviews r WHERE NOT EXISTS (
           SELECT 1 FROM bookings b WHERE b.property_id = r.property_id AND b.guest_id = r.reviewer_id
              AND b.status = 'confirmed' AND b.end_date < ? AND b.end_date <= r.created_at)`,
        [options.referenceDate],
      ))

    it('confirmed bookings have one completed charge; pending ones none', async () => {
      await none(`SELECT b.id FROM bookings b WHERE b.status = 'confirmed' AND 1 <> (
                    SELECT COUNT(*) FROM payments p WHERE p.booking_id = b.id AND p.kind = 'charge'
                       AND p.refund_of_id IS NULL AND p.status = 'completed')`)
      await none(`SELECT b.id FROM bookings b JOIN payments p ON p.booking_id = b.id WHERE b.status = 'pending'`)
    })

    it('refunds never exceed their charge, and a fully refunded charge says so', async () => {
      await none(`SELECT c.id FROM payments c JOIN payments r ON r.refund_of_id = c.id
                  WHERE c.kind <> 'charge' OR r.kind <> 'refund' OR r.booking_id <> c.booking_id`)
      await none(`SELECT c.id FROM payments c JOIN payments r ON r.refund_of_id = c.id
                  GROUP BY c.id, c.amount, c.status
                  HAVING SUM(ROUND(r.amount * 100)) > ROUND(c.amount * 100)
                      OR (c.status = 'refunded') <> (SUM(ROUND(r.amount * 100)) = ROUND(c.amount * 100))`)
      await none(`SELECT c.id FROM payments c WHERE c.status = 'refunded'
                  AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.refund_of_id = c.id)`)
      const [refunds] = await select(a.db, "SELECT COUNT(*) AS n FROM payments WHERE kind = 'refund'")
      expect(Number(refunds.n)).to.be.greaterThan(0)
    })

    it("the ledger's totals are what the rows add up to: a booking's counted charges, a charge's completed refunds", async () => {
      await none(`SELECT b.id FROM bookings b WHERE ROUND(b.charged_amount * 100) <> (
                    SELECT COALESCE(SUM(ROUND(p.amount * 100)), 0) FROM payments p WHERE p.booking_id = b.id AND p.kind = 'charge'
                       AND p.status IN ('pending', 'completed', 'refunded'))`)
      await none(`SELECT c.id FROM payments c WHERE ROUND(c.refunded_amount * 100) <> (
                    SELECT COALESCE(SUM(ROUND(r.amount * 100)), 0) FROM payments r WHERE r.refund_of_id = c.id AND r.status = 'completed')`)
    })

    it('usernames and emails are unique regardless of case, emails lower-case', async () => {
      const users = await select(a.db, 'SELECT username, email FROM users')
      const lower = users.flatMap((u) => [String(u.username).toLowerCase(), String(u.email).toLowerCase()])
      expect(new Set(lower).size).to.equal(lower.length)
      expect(users.filter((u) => u.email !== String(u.email).toLowerCase())).to.deep.equal([])
    })
  })

  describe('ids and undo on a database that has other rows', () => {
    it('lets later inserts take the next auto-increment id', async () => {
      const user = await b.db.models.User.create({username: 'later', email: 'later@example.org', passwordHash: 'x'})
      expect(user.id).to.equal(first.rows.users + 1)
      // Seeded timestamps are stored the way the models store theirs.
      const stored = await select(b.db, 'SELECT id, created_at FROM users WHERE id IN (1, ?) ORDER BY id', [user.id])
      const shape = (value: unknown) => (value instanceof Date ? 'Date' : String(value).replace(/\d/g, '9'))
      expect(stored.map((row) => shape(row.created_at))).to.satisfy(([x, y]: string[]) => x === y && x.length > 0)
      const booking = await b.db.models.Booking.create({
        propertyId: 1,
        guestId: user.id,
        startDate: '2031-01-01',
        endDate: '2031-01-03',
        totalPrice: '10.00',
        status: 'pending',
      })
      expect(booking.id).to.equal(first.rows.bookings + 1)
    })

    it('refuses to undo while later rows refer to demo rows, and changes nothing', async () => {
      const before = await dump(b.db)
      let error: unknown
      await undoSeed(b.db).catch((e) => (error = e))
      expect(error).to.be.instanceOf(ConflictError)
      expect(await dump(b.db)).to.deep.equal(before)
      expect(await count(b.db, 'SequelizeData')).to.equal(1)
    })

    it('removes exactly the seeded rows, and seeds again after MAX(id), keeping an existing admin', async () => {
      const laterId = first.rows.users + 1
      await b.db.models.Booking.destroy({where: {guestId: laterId}})
      const undone = await undoSeed(b.db)
      expect(undone.rows).to.deep.equal(first.rows)
      expect(await select(b.db, 'SELECT id, username FROM users')).to.deep.equal([{id: laterId, username: 'later'}])

      await b.db.models.User.update({username: 'Admin'}, {where: {id: laterId}})
      const again = await seed(b.db, {...options, users: 5, properties: 2, bookings: 10})
      expect(again.admin).to.deep.equal({username: 'admin', created: false})
      expect(again.warnings).to.have.length(1)
      const ids = await select(b.db, 'SELECT MIN(id) AS lo, MAX(id) AS hi, SUM(is_admin) AS admins FROM users WHERE id <> ?', [laterId])
      expect(ids.map((r) => [Number(r.lo), Number(r.hi), Number(r.admins)])).to.deep.equal([[laterId + 1, laterId + 5, 0]])
      expect(again.rows.users).to.equal(5)
      await undoSeed(b.db)
      expect(await counts(b.db)).to.deep.equal({users: 1, properties: 0, bookings: 0, reviews: 0, payments: 0})
    })
  })

  describe('undo', () => {
    it('leaves the five tables empty and forgets the seeder', async () => {
      const undone = await undoSeed(a.db)
      expect(undone.undone).to.equal(true)
      expect(undone.rows).to.deep.equal(first.rows)
      expect(await counts(a.db)).to.deep.equal({users: 0, properties: 0, bookings: 0, reviews: 0, payments: 0})
      expect(await count(a.db, 'SequelizeData')).to.equal(0)
      const audit = await select(a.db, "SELECT action FROM audit_events WHERE via = 'seed' ORDER BY id")
      expect(audit.map((r) => r.action)).to.deep.equal(['seed.up', 'seed.down'])
    })

    it('has nothing to do a second time', async () => {
      const undone = await undoSeed(a.db)
      expect(undone.undone).to.equal(false)
      expect(Object.values(undone.rows)).to.deep.equal([0, 0, 0, 0, 0])
    })

    it('can seed the same data again afterwards', async () => {
      const again = await seed(a.db, {...options, adminPassword: 'yet-another-pw'})
      expect(again.rows).to.deep.equal(first.rows)
      const fresh = await dump(a.db)
      // b was undone: compare with what the generator gives instead.
      expect(fresh.bookings.map((row) => row.id)).to.deep.equal(fresh.bookings.map((_, i) => i + 1))
      expect(fresh.users.map((u) => u.username)).to.deep.equal(
        generateSeedData(first.seededWith!, {admin: {username: 'admin', passwordHash: ''}}).users.map((u) => u.username),
      )
    })
  })

  describe('refusals', () => {
    it('rejects bad options before touching the database', async () => {
      let error: unknown
      await seed(a.db, {referenceDate: '2026-13-01'}).catch((e) => (error = e))
      expect(error).to.be.instanceOf(ValidationError)
      await seed(a.db, {adminPassword: 'short'}).catch((e) => (error = e))
      expect(error).to.be.instanceOf(ValidationError).with.property('message').that.matches(/at least 8/)
    })

    it('asks for migrations first on an unmigrated database', async () => {
      const database = await freshDatabase('seed_unmigrated')
      const db = await openDb(database.target)
      try {
        let error: unknown
        await seed(db, options).catch((e) => (error = e))
        expect(error).to.be.instanceOf(ConflictError).with.property('suggestion').that.matches(/db migrate/)
      } finally {
        await db.close()
        await database.drop()
      }
    })
  })
})
