/**
 * calendar_gaps kept by every writer of stays (rules/gaps.ts): after each kind of write the
 * table is what the stays give when computed from scratch, and a randomized run of writes
 * through the services keeps it so, with the availability search answering exactly what a
 * brute force over the stays answers.
 */
import {expect} from 'chai'

import {capabilities} from '../../src/db/capabilities.js'
import type {Db} from '../../src/db/index.js'
import {ConflictError, StayctlError} from '../../src/errors.js'
import {createBlock, deleteBlock, updateBlock} from '../../src/services/blocks.js'
import {syncSourceBlocks} from '../../src/services/blocks-sync.js'
import {cancelBooking, confirmBooking, createBooking} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {addDays} from '../../src/services/dates.js'
import {importRows} from '../../src/services/import/rows.js'
import {seed, undoSeed} from '../../src/services/seed.js'
import {createProperty, deleteProperty, listProperties} from '../../src/services/properties.js'
import {OPEN_END, OPEN_START, gapDisagreements} from '../../src/services/rules/gaps.js'
import {deleteUser} from '../../src/services/users.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, useScenario} from '../support/integration.js'

const {users, properties} = fixtures
const FEED = 'https://channel.example/gaps.ics'

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('calendar gaps (integration)', () => {
  const s = useScenario('gaps')
  const agree = async (what: string) => expect(await gapDisagreements(s.ctx), `gaps after ${what}`).to.deep.equal([])
  const book = (property: string, start: number, end: number, guest = users.otherGuest.username) =>
    createBooking(s.ctx, {property, guest, startDate: day(start), endDate: day(end)})
  const gapsOf = async (propertyId: number) =>
    ((await s.db.sequelize.query(`SELECT start_date AS s, end_date AS e FROM calendar_gaps WHERE property_id = ${propertyId} ORDER BY end_date`))[0] as {s: unknown; e: unknown}[]).map(
      (r) => [String(r.s instanceof Date ? r.s.toISOString() : r.s).slice(0, 10), String(r.e instanceof Date ? r.e.toISOString() : r.e).slice(0, 10)],
    )

  it('holds after the scenario, and for a new property (one gap, open at both ends)', async () => {
    await agree('the scenario')
    const made = await createProperty(s.ctx, {owner: users.host.username, name: 'Tent', address: 'Field', pricePerNight: '10'})
    expect(await gapsOf(made.id)).to.deep.equal([[OPEN_START, OPEN_END]])
    await agree('properties create')
  })

  it('holds after bookings create, confirm and cancel', async () => {
    const made = await book(properties.flat.name, 20, 23)
    await agree('bookings create')
    await book(properties.flat.name, 23, 25)
    expect(await gapsOf(s.ids.properties.flat)).to.deep.equal([
      [OPEN_START, day(20)],
      [day(25), OPEN_END],
    ])
    await confirmBooking(s.ctx, made.id)
    await agree('bookings confirm')
    await cancelBooking(s.ctx, made.id, {refund: 'none'})
    await agree('bookings cancel')
    expect(await gapsOf(s.ids.properties.flat)).to.deep.equal([
      [OPEN_START, day(23)],
      [day(25), OPEN_END],
    ])
  })

  it('holds after blocks create, move and delete', async () => {
    const made = await createBlock(s.ctx, {property: properties.cabin.name, startDate: day(40), endDate: day(44)})
    await agree('blocks create')
    await updateBlock(s.ctx, made.id, {startDate: day(33), endDate: day(36)})
    await agree('blocks update (moved next to a booking)')
    await updateBlock(s.ctx, made.id, {reason: 'paint'})
    await agree('blocks update (reason)')
    await deleteBlock(s.ctx, made.id)
    await agree('blocks delete')
  })

  it('holds after a sync adds, moves and removes blocks', async () => {
    const sync = (events: [string, number, number][]) =>
      syncSourceBlocks(s.ctx, {property: properties.loft.name, source: FEED, events: events.map(([uid, a, b]) => ({uid, start: day(a), end: day(b)}))})
    await sync([
      ['a', 20, 22],
      ['b', 30, 35],
    ])
    await agree('sync add')
    await sync([
      ['a', 17, 19],
      ['b', 30, 35],
    ])
    await agree('sync move')
    await sync([['b', 30, 35]])
    await agree('sync remove')
  })

  it('holds after imports of bookings and blocks, with --upsert moving them', async () => {
    const booking = (start: number, end: number, status = 'confirmed') => ({
      property: properties.cabin.name,
      guest: users.otherGuest.username,
      startDate: day(start),
      endDate: day(end),
      status,
      externalRef: `GAP-${start}`,
    })
    expect(await importRows(s.ctx, {entity: 'bookings', rows: [booking(50, 52), booking(60, 61), booking(61, 65, 'cancelled')]})).to.include({inserted: 3})
    await agree('import bookings')
    const moved = [{...booking(50, 52), startDate: day(70), endDate: day(72)}, {...booking(61, 65, 'confirmed')}]
    expect(await importRows(s.ctx, {entity: 'bookings', rows: moved, upsert: true})).to.include({updated: 2})
    await agree('import bookings --upsert')
    const block = (uid: string, start: number, end: number) => ({property: properties.flat.name, startDate: day(start), endDate: day(end), source: FEED, sourceUid: uid})
    expect(await importRows(s.ctx, {entity: 'blocks', rows: [block('x', 10, 12), block('y', 12, 15)]})).to.include({inserted: 2})
    await agree('import blocks')
    expect(await importRows(s.ctx, {entity: 'blocks', rows: [block('x', 100, 120)], upsert: true})).to.include({updated: 1})
    await agree('import blocks --upsert')
  })

  it('holds after imports whose rows lie on, beside and across the stays the importer read (the stays it hands over)', async () => {
    const loft = properties.loft.name
    await book(loft, 140, 145)
    await createBlock(s.ctx, {property: loft, startDate: day(146), endDate: day(148)})
    const row = (start: number, end: number, status = 'confirmed', guest = users.guest.username, externalRef?: string) => ({
      property: loft,
      guest,
      startDate: day(start),
      endDate: day(end),
      status,
      ...(externalRef && {externalRef}),
    })
    // A cancelled row across a booking and a block, rows next to them, one alone.
    expect(await importRows(s.ctx, {entity: 'bookings', rows: [row(142, 147, 'cancelled'), row(148, 150), row(138, 140), row(155, 157)]})).to.include({inserted: 4})
    await agree('import bookings beside and across stays')
    expect(await gapsOf(s.ids.properties.loft)).to.include.deep.members([
      [day(145), day(146)],
      [day(150), day(155)],
    ])
    // Cancelled by its dates (no externalRef), its nights then partly taken by the next row.
    expect(await importRows(s.ctx, {entity: 'bookings', rows: [row(140, 145, 'cancelled', users.otherGuest.username), row(143, 146)], upsert: true})).to.include({inserted: 1, updated: 1})
    await agree('import bookings --upsert cancelling a stay by its dates')
    expect(await gapsOf(s.ids.properties.loft)).to.include.deep.members([[day(140), day(143)]])
    // A cancelled booking lying across live stays, moved by its externalRef to nights of another property the batch reads.
    expect(await importRows(s.ctx, {entity: 'bookings', rows: [row(137, 151, 'cancelled', users.otherGuest.username, 'GAP-MOVE')]})).to.include({inserted: 1})
    const moved = {...row(60, 62, 'cancelled', users.otherGuest.username, 'GAP-MOVE'), property: properties.flat.name}
    expect(await importRows(s.ctx, {entity: 'bookings', rows: [moved, {...row(62, 64), property: properties.flat.name}], upsert: true})).to.include({inserted: 1, updated: 1})
    await agree('import bookings --upsert moving a booking to another property')
  })

  it('holds after imports of properties, and deletes of a property (its gaps go with it) and of a user', async () => {
    expect(await importRows(s.ctx, {entity: 'properties', rows: [{owner: users.host.username, name: 'Barn', address: 'Farm', pricePerNight: '20'}]})).to.include({inserted: 1})
    await agree('import properties')
    const barn = await createProperty(s.ctx, {owner: users.host.username, name: 'Shed', address: 'Yard', pricePerNight: '5'})
    await createBlock(s.ctx, {property: barn.id, startDate: day(3), endDate: day(9)})
    await deleteProperty(s.ctx, barn.id)
    expect(await countRows(s.db, 'properties', `id = ${barn.id}`)).to.equal(0)
    expect((await s.db.sequelize.query(`SELECT COUNT(*) AS n FROM calendar_gaps WHERE property_id = ${barn.id}`))[0]).to.deep.equal([{n: 0}])
    await agree('properties delete')
    // A user with bookings is refused (nothing cascades to stays); one without goes, leaving every calendar as it was.
    await deleteUser(s.ctx, users.inactive.username).catch((error: unknown) => expect(error).to.be.instanceOf(ConflictError))
    await agree('users delete')
  })

  it('holds after db seed (its bookings are on its own properties) and its undo', async () => {
    await seed(s.db, {size: 'small', randomSeed: 7, referenceDate: day(0)})
    expect(await countRows(s.db, 'bookings')).to.be.greaterThan(100)
    await agree('db seed')
    await undoSeed(s.db)
    await agree('db seed --undo')
  })

  it('a randomized run of writes keeps the table exact and the search equal to brute force', async function () {
    this.timeout(600_000)
    expect((await capabilities(s.db)).deleteReturning, 'SQLite and MariaDB read the gaps they delete with DELETE … RETURNING').to.equal(true)
    await randomizedRun(s.ctx)
  })

  it('so does it where the engine has no DELETE … RETURNING (MySQL, TiDB): the gaps are read, then deleted', async function () {
    this.timeout(600_000)
    await randomizedRun(await withoutDeleteReturning(s.ctx))
  })

  /** A context on this database whose engine answers as MySQL 8.0 does (no DELETE … RETURNING): a Db of its own, whose capabilities are asked once while the version is. */
  async function withoutDeleteReturning(ctx: ServiceContext): Promise<ServiceContext> {
    const db = Object.create(ctx.db) as Db
    const qi = db.sequelize.getQueryInterface()
    const asked = qi.databaseVersion
    qi.databaseVersion = async () => (db.dialect === 'sqlite' ? '3.34.1' : '8.0.36')
    try {
      expect(await capabilities(db)).to.include({deleteReturning: false})
    } finally {
      qi.databaseVersion = asked
    }
    return {...ctx, db}
  }

  async function randomizedRun(ctx: ServiceContext) {
    const next = random(20261206)
    const book = (property: string, start: number, end: number) => createBooking(ctx, {property, guest: users.otherGuest.username, startDate: day(start), endDate: day(end)})
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]
    const names = [properties.loft.name, properties.cabin.name, properties.flat.name]
    for (const name of ['Dune', 'Cove']) names.push((await createProperty(ctx, {owner: users.host.username, name, address: name, pricePerNight: '50'})).name)
    const span = () => {
      const start = 1 + Math.floor(next() * 90)
      return [start, start + 1 + Math.floor(next() * (next() < 0.2 ? 30 : 6))] as const
    }
    const ids = async (table: 'bookings' | 'blocks', where: string) =>
      ((await s.db.sequelize.query(`SELECT id FROM ${table} WHERE ${where}`))[0] as {id: number}[]).map((r) => Number(r.id))
    const writes: Record<string, () => Promise<unknown>> = {
      book: () => book(pick(names), ...span()),
      cancel: async () => {
        const live = await ids('bookings', "status <> 'cancelled'")
        if (live.length > 0) await cancelBooking(ctx, pick(live), {refund: 'none'})
      },
      block: () => {
        const [a, b] = span()
        return createBlock(ctx, {property: pick(names), startDate: day(a), endDate: day(b)})
      },
      move: async () => {
        const all = await ids('blocks', 'source IS NULL')
        const [a, b] = span()
        if (all.length > 0) await updateBlock(ctx, pick(all), {startDate: day(a), endDate: day(b)})
      },
      unblock: async () => {
        const all = await ids('blocks', 'source IS NULL')
        if (all.length > 0) await deleteBlock(ctx, pick(all))
      },
      sync: () => {
        const events = Array.from({length: Math.floor(next() * 4)}, (_, i) => {
          const [a, b] = span()
          return {uid: `e${i}`, start: day(a), end: day(b)}
        })
        return syncSourceBlocks(ctx, {property: pick(names), source: FEED, events})
      },
      importBookings: () => {
        const rows = Array.from({length: 1 + Math.floor(next() * 5)}, () => {
          const [a, b] = span()
          return {property: pick(names), guest: users.guest.username, startDate: day(a), endDate: day(b), status: pick(['pending', 'confirmed', 'cancelled']), externalRef: `R${Math.floor(next() * 30)}`}
        })
        return importRows(ctx, {entity: 'bookings', rows, upsert: next() < 0.5})
      },
      importBlocks: () => {
        const rows = Array.from({length: 1 + Math.floor(next() * 5)}, () => {
          const [a, b] = span()
          return {property: pick(names), startDate: day(a), endDate: day(b), source: FEED, sourceUid: `u${Math.floor(next() * 10)}`}
        })
        return importRows(ctx, {entity: 'blocks', rows, upsert: next() < 0.5})
      },
    }
    const kinds = Object.keys(writes)
    const done = new Map<string, number>()
    for (let step = 0; step < 300; step++) {
      const kind = pick(kinds)
      try {
        await writes[kind]()
        done.set(kind, (done.get(kind) ?? 0) + 1)
      } catch (error) {
        // Refusals (an overlap, a stay that began) write nothing; anything else is a failure.
        if (!(error instanceof StayctlError)) throw error
      }
      if (step % 50 === 49) await agree(`step ${step} (${kind})`)
    }
    expect(done.size, [...done].join(', ')).to.equal(kinds.length)
    await agree('the run')

    // The search against every stay, for short and long windows, reaching before and after all stays.
    const [stays] = (await s.db.sequelize.query(
      "SELECT property_id AS p, start_date AS a, end_date AS b FROM bookings WHERE status <> 'cancelled' UNION ALL SELECT property_id, start_date, end_date FROM blocks",
    )) as [{p: number; a: unknown; b: unknown}[], unknown]
    const text = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v)).slice(0, 10)
    const all = (await listProperties(ctx, {limit: 1000})).items.map((p) => p.id)
    let windows = 0
    for (let start = -20; start < 130; start += 3) {
      for (const nights of [1, 2, 5, 7, 13, 28, 60, 200]) {
        const [from, to] = [day(start), addDays(day(start), nights)]
        const expected = all.filter((id) => !stays.some((st) => Number(st.p) === id && text(st.a) < to && text(st.b) > from)).sort((x, y) => x - y)
        const found = (await listProperties(ctx, {availableFrom: from, availableTo: to, limit: 1000})).items.map((p) => p.id).sort((x, y) => x - y)
        expect(found, `free ${from} → ${to}`).to.deep.equal(expected)
        windows += 1
      }
    }
    expect(windows).to.be.greaterThan(300)
  }
})
