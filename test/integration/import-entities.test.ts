/**
 * Importing properties, bookings, reviews and payments on the database under test: each
 * importer's good path, references by natural key, every rule as a rejected row with its line,
 * field and reason, --upsert by natural key, --atomic writing nothing, and folder imports in
 * dependency order (with --dry-run and --atomic over the whole folder).
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {confirmBooking, createBooking} from '../../src/services/bookings.js'
import type {ServiceContext} from '../../src/services/context.js'
import {importFolder} from '../../src/services/import/folder.js'
import {importFile, type ImportInput, type Rejection} from '../../src/services/import/index.js'
import {recordCharge, refundPayment} from '../../src/services/payments.js'
import {createProperty, updateProperty} from '../../src/services/properties.js'
import {createReview} from '../../src/services/reviews.js'
import {gapDisagreements} from '../../src/services/rules/gaps.js'
import {createUser, setActive} from '../../src/services/users.js'
import {testDialect} from '../support/db.js'
import {ledgerDisagreements} from '../support/integration.js'
import {day, serviceContext} from '../support/scenario.js'
import {useScratch} from '../support/scratch.js'

let dir: string
let fileCounter = 0

/** Writes `lines` (CSV, first one the header) to a file and imports it. */
async function importCsv(ctx: ServiceContext, entity: string, lines: string[], options: Partial<ImportInput> = {}) {
  const file = path.join(dir, `${entity}-${++fileCounter}.csv`)
  fs.writeFileSync(file, lines.join('\n') + '\n')
  const rejections: Rejection[] = []
  const summary = await importFile(ctx, {entity, file, onRejected: (r) => rejections.push(r), ...options})
  return {summary, rejections}
}

/** The rejections as `line field: reason` strings, for compact assertions. */
const described = (rejections: Rejection[]) => rejections.map((r) => `${r.line} ${r.field ?? '-'}: ${r.reason}`)

function expectRejected(rejections: Rejection[], expected: [line: number, field: string, reason: string | RegExp][]) {
  expect(rejections.map((r) => r.line), described(rejections).join('\n')).to.deep.equal(expected.map(([line]) => line))
  for (const [i, [line, field, reason]] of expected.entries()) {
    const r = rejections[i]
    expect(r.field, `line ${line}: ${r.reason}`).to.equal(field)
    if (typeof reason === 'string') expect(r.reason, `line ${line}`).to.include(reason)
    else expect(r.reason, `line ${line}`).to.match(reason)
  }
}

async function count(db: Db, table: string, where = '1=1'): Promise<number> {
  const [rows] = await db.sequelize.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`)
  return Number((rows as {n: number}[])[0].n)
}

const password = 'secret-123'

describe(`import of properties, bookings, reviews and payments (${testDialect})`, function () {
  const temp = useScratch({per: 'suite', folder: 'stayctl-import-'})
  const scratch = useScratch({per: 'test', database: 'import_entities'})
  let db: Db
  let ctx: ServiceContext

  before(() => (dir = temp.dir))
  beforeEach(async () => {
    db = scratch.db
    ctx = serviceContext(db)
    // Whatever the import did, the ledger's totals still add up, and the free gaps are those of the stays.
    scratch.defer(async () => {
      expect(await ledgerDisagreements(db)).to.deep.equal([])
      expect(await gapDisagreements(ctx)).to.deep.equal([])
    })
    for (const username of ['alice', 'bob', 'carol', 'dan', 'ivy']) {
      await createUser(ctx, {username, email: `${username}@example.com`, password})
    }
    await setActive(ctx, 'ivy', false)
  })

  describe('properties', () => {
    const header = 'owner,ownerId,name,address,pricePerNight,cancellationPolicy,isListed'

    it('imports good rows, owners by username, email or id, and rejects each bad row with its line and reason', async () => {
      const {summary, rejections} = await importCsv(ctx, 'properties', [
        header,
        'alice,,Sea View,"1 Shore Rd, Brighton",120.50,flexible,', // 2 ok
        'BOB@example.com,,Sea View,2 Shore Rd,99,,', // 3 ok: another host may use the name
        ',1,Cabin,Forest,60,,false', // 4 ok: ownerId
        'zed,,Nowhere,x,10,,', // 5 unknown owner
        'ivy,,Old Mill,x,10,,', // 6 inactive host listing
        'ivy,,Closed Mill,x,10,,false', // 7 ok: an inactive host's unlisted property
        'alice,,Sea View,1 Shore Rd,130,,', // 8 same owner and name as line 2
        'alice,,Free,x,0,,', // 9 price
        'alice,,Odd,x,10,generous,', // 10 policy
        'alice,,,x,10,,', // 11 no name
        ',x1,Bad Id,x,10,,', // 12 ownerId not an id
        'alice,,Pricey,x,12.345,,', // 13 three decimals
      ])
      expectRejected(rejections, [
        [5, 'owner', 'unknown owner "zed"'],
        [6, 'owner', 'user 5 (ivy) is inactive and cannot list a property'],
        [8, 'name', 'property "Sea View" of alice repeats line 2'],
        [9, 'pricePerNight', 'price per night must be above 0'],
        [10, 'cancellationPolicy', 'cancellation policy must be one of flexible, moderate, strict; got "generous"'],
        [11, 'name', 'name is required'],
        [12, 'ownerId', 'ownerId must be a user id, got "x1"'],
        [13, 'pricePerNight', 'at most two decimals'],
      ])
      expect(summary).to.include({entity: 'properties', read: 12, inserted: 4, updated: 0, rejected: 8, committed: true})
      const rows = await db.models.Property.findAll({order: [['id', 'ASC']]})
      expect(rows.map((p) => [Number(p.ownerId), p.name, p.address, Number(p.pricePerNight), p.cancellationPolicy, Boolean(p.isListed)])).to.deep.equal([
        [1, 'Sea View', '1 Shore Rd, Brighton', 120.5, 'flexible', true],
        [2, 'Sea View', '2 Shore Rd', 99, 'moderate', true],
        [1, 'Cabin', 'Forest', 60, 'moderate', false],
        [5, 'Closed Mill', 'x', 10, 'moderate', false],
      ])
      expect(await count(db, 'audit_events', "action = 'import.batch' AND entity = 'property'")).to.equal(1)
    })

    it('rejects a property its owner already has, updates it with --upsert', async () => {
      await createProperty(ctx, {owner: 'alice', name: 'Sea View', address: 'old', pricePerNight: '100'})
      const lines = [header, 'alice,,Sea View,new address,150,strict,false', 'alice,,Cabin,Forest,60,,']
      const plain = await importCsv(ctx, 'properties', lines)
      expectRejected(plain.rejections, [[2, 'name', 'alice already has a property named "Sea View" (property 1); use --upsert to update it']])
      const upsert = await importCsv(ctx, 'properties', lines, {upsert: true})
      expect(upsert.rejections).to.deep.equal([])
      expect(upsert.summary).to.include({inserted: 0, updated: 2}) // Cabin came in with the first run
      const sea = await db.models.Property.findByPk(1)
      expect([sea!.address, Number(sea!.pricePerNight), sea!.cancellationPolicy, Boolean(sea!.isListed)]).to.deep.equal(['new address', 150, 'strict', false])
      expect(await count(db, 'properties')).to.equal(2)
    })

    it('--atomic writes nothing when a row is rejected', async () => {
      const {summary} = await importCsv(ctx, 'properties', [header, 'alice,,A,x,10,,', 'zed,,B,x,10,,'], {atomic: true})
      expect(summary).to.include({inserted: 0, rejected: 1, committed: false})
      expect(await count(db, 'properties')).to.equal(0)
    })
  })

  describe('bookings', () => {
    const header = 'property,propertyOwner,guest,startDate,endDate,status,totalPrice,externalRef'
    let seaA: number
    let cabin: number
    let existing: number

    beforeEach(async () => {
      seaA = (await createProperty(ctx, {owner: 'alice', name: 'Sea View', address: 'a', pricePerNight: '120.50'})).id
      await createProperty(ctx, {owner: 'bob', name: 'Sea View', address: 'b', pricePerNight: '99'})
      cabin = (await createProperty(ctx, {owner: 'alice', name: 'Cabin', address: 'c', pricePerNight: '60'})).id
      await updateProperty(ctx, cabin, {isListed: false})
      existing = (await createBooking(ctx, {property: seaA, guest: 'carol', startDate: day(10), endDate: day(15)})).id
    })

    it('applies the rules of bookings create to every row, and the overlaps between rows of the file', async () => {
      const {summary, rejections} = await importCsv(ctx, 'bookings', [
        header,
        `Sea View,alice,carol,${day(20)},${day(23)},confirmed,,EXT-1`, // 2 ok: 3 × 120.50
        `Sea View,bob,carol@example.com,${day(20)},${day(23)},,,`, // 3 ok: bob's, pending
        `${cabin},,carol,${day(-30)},${day(-28)},confirmed,100.00,`, // 4 ok: history, given total, unlisted is fine for the past
        `Sea View,,carol,${day(40)},${day(41)},,,`, // 5 ambiguous name
        `Sea View,alice,zed,${day(40)},${day(41)},,,`, // 6 unknown guest
        `Nowhere,,carol,${day(40)},${day(41)},,,`, // 7 unknown property
        `Sea View,alice,dan,${day(12)},${day(14)},,,`, // 8 overlaps the existing booking
        `Sea View,alice,dan,${day(22)},${day(24)},,,`, // 9 overlaps line 2
        `Sea View,alice,alice,${day(50)},${day(51)},,,`, // 10 host's own property
        `Sea View,alice,ivy,${day(50)},${day(51)},,,`, // 11 ok: an inactive guest's stay (deactivated after booking)
        `Sea View,alice,ivy,${day(-50)},${day(-48)},confirmed,,`, // 12 ok: an inactive guest's past stay
        `Sea View,alice,dan,${day(22)},${day(24)},cancelled,,`, // 13 ok: a cancelled booking holds no dates
        `Sea View,alice,dan,${day(60)},${day(61)},booked,,`, // 14 status
        `Sea View,alice,dan,${day(61)},${day(60)},,,`, // 15 dates in the wrong order
        `Sea View,alice,dan,${day(70)},${day(71)},,,EXT-1`, // 16 externalRef repeats line 2
        `Sea View,alice,dan,${day(70)},${day(71)},,-5,`, // 17 negative total
        `Cabin,alice,dan,${day(80)},${day(82)},,,`, // 18 ok: a future stay of an unlisted listing (unlisted after booking)
        `Sea View,alice,dan,2026-02-30,${day(82)},,,`, // 19 not a date
        `Sea View,alice,dan,${day(23)},${day(25)},,,`, // 20 ok: check-in on line 2's check-out day
        `Sea View,${'bob@example.com'},dan,${day(23)},${day(25)},,,`, // 21 ok: owner by email
      ])
      expectRejected(rejections, [
        [5, 'property', 'property name "Sea View" is ambiguous: hosts alice, bob each have one; add propertyOwner to say whose'],
        [6, 'guest', 'unknown guest "zed"'],
        [7, 'property', 'unknown property "Nowhere"'],
        [8, 'startDate', `${day(12)} → ${day(14)} overlaps booking ${existing} (${day(10)} → ${day(15)}) of property ${seaA}; pick other dates or cancel booking ${existing}`],
        [9, 'startDate', `${day(22)} → ${day(24)} overlaps the booking on line 2 (${day(20)} → ${day(23)}) of property ${seaA}`],
        [10, 'guest', `user 1 (alice) owns property ${seaA} and cannot book it`],
        [14, 'status', 'status must be one of pending, confirmed, cancelled; got "booked"'],
        [15, 'endDate', 'must be after start date'],
        [16, 'externalRef', 'externalRef "EXT-1" repeats line 2'],
        [17, 'totalPrice', 'totalPrice must be a positive amount'],
        [19, 'startDate', 'startDate must be a calendar date YYYY-MM-DD, got "2026-02-30"'],
      ])
      expect(summary).to.include({read: 20, inserted: 9, rejected: 11})
      const rows = await db.models.Booking.findAll({where: {externalRef: 'EXT-1'}})
      expect(rows.map((b) => [b.startDate, b.endDate, b.status, Number(b.totalPrice), Number(b.guestId)])).to.deep.equal([
        [day(20), day(23), 'confirmed', 361.5, 3],
      ])
      const bobs = await db.models.Booking.findAll({where: {propertyId: 2}, order: [['id', 'ASC']]})
      expect(bobs.map((b) => [b.status, Number(b.totalPrice)])).to.deep.equal([
        ['pending', 297],
        ['pending', 198],
      ])
      const past = await db.models.Booking.findOne({where: {propertyId: cabin}})
      expect([past!.status, Number(past!.totalPrice)]).to.deep.equal(['confirmed', 100])
    })

    it('checks overlaps across batches against what earlier batches wrote', async () => {
      const {rejections} = await importCsv(
        ctx,
        'bookings',
        [header, `Sea View,alice,dan,${day(30)},${day(33)},,,`, `Sea View,alice,carol,${day(32)},${day(34)},,,`],
        {batchSize: 1},
      )
      expectRejected(rejections, [[3, 'startDate', /overlaps booking \d+ \(.*\) of property 1; pick other dates or cancel booking \d+/]])
    })

    it('finds overlaps in each of a property\'s spans when a batch\'s stays lie months apart', async () => {
      const far = (await createBooking(ctx, {property: seaA, guest: 'carol', startDate: day(201), endDate: day(202)})).id
      const {rejections} = await importCsv(ctx, 'bookings', [
        header,
        `Sea View,alice,dan,${day(30)},${day(33)},,,`,
        `Sea View,alice,dan,${day(200)},${day(203)},,,`,
        `Sea View,alice,dan,${day(100)},${day(101)},,,`,
        `Sea View,alice,dan,${day(14)},${day(16)},,,`,
      ])
      expectRejected(rejections, [
        [3, 'startDate', `overlaps booking ${far} (${day(201)} → ${day(202)})`],
        [5, 'startDate', `overlaps booking ${existing} (${day(10)} → ${day(15)})`],
      ])
    })

    it('finds a long stay that began months before a row, and lets a row follow it once it ended', async () => {
      const long = (await createBooking(ctx, {property: seaA, guest: 'carol', startDate: day(100), endDate: day(300)})).id
      // One row per batch: what one row's read finds cannot help another's.
      const {summary, rejections} = await importCsv(
        ctx,
        'bookings',
        [
          header,
          `Sea View,alice,dan,${day(250)},${day(252)},,,`, // 2: the stay began 150 days before
          `Sea View,alice,dan,${day(320)},${day(322)},,,`, // 3 ok: the stay ended 20 days before
          `Sea View,alice,dan,${day(120)},${day(121)},,,`, // 4: the stay began 20 days before
        ],
        {batchSize: 1},
      )
      expectRejected(rejections, [
        [2, 'startDate', `overlaps booking ${long} (${day(100)} → ${day(300)})`],
        [4, 'startDate', `overlaps booking ${long} (${day(100)} → ${day(300)})`],
      ])
      expect(summary).to.include({inserted: 1, rejected: 2})
    })

    it('reads the stays of many properties in the same weeks together, and still finds each overlap', async () => {
      const villas: number[] = []
      for (let i = 0; i < 60; i++) villas.push((await createProperty(ctx, {owner: 'bob', name: `Villa ${i}`, address: 'v', pricePerNight: '50'})).id)
      const near = (await createBooking(ctx, {property: villas[30], guest: 'carol', startDate: day(240), endDate: day(251)})).id
      const long = (await createBooking(ctx, {property: villas[40], guest: 'carol', startDate: day(100), endDate: day(300)})).id
      await createBooking(ctx, {property: villas[50], guest: 'carol', startDate: day(200), endDate: day(250)})
      const {summary, rejections} = await importCsv(ctx, 'bookings', [
        header,
        ...villas.map((_, i) => `Villa ${i},bob,dan,${day(250)},${day(252)},,,`), // Villa i on line i + 2
      ])
      expectRejected(rejections, [
        [32, 'startDate', `overlaps booking ${near} (${day(240)} → ${day(251)})`],
        [42, 'startDate', `overlaps booking ${long} (${day(100)} → ${day(300)})`],
      ])
      expect(summary).to.include({inserted: 58, rejected: 2})
    })

    it('checks a batch against the one before it as committed, also while pipelined (MySQL)', async () => {
      // The first batch waits between its writes and its commit; the second, on another property, must still find its externalRef.
      process.env.STAYCTL_TEST_PAUSE = 'import.batch.wrote#1=400'
      try {
        const {rejections} = await importCsv(
          ctx,
          'bookings',
          [header, `Sea View,alice,dan,${day(30)},${day(33)},,,EXT-7`, `${cabin},,carol,${day(30)},${day(33)},,,EXT-7`],
          {batchSize: 1},
        )
        expectRejected(rejections, [[3, 'externalRef', /booking \d+ already has externalRef "EXT-7"; use --upsert to update it/]])
      } finally {
        delete process.env.STAYCTL_TEST_PAUSE
      }
    })

    it('--upsert updates by externalRef, else by property, guest and dates; without it they are duplicates', async () => {
      const first = [header, `Sea View,alice,dan,${day(30)},${day(33)},pending,,EXT-9`, `Sea View,bob,carol,${day(30)},${day(33)},pending,,`]
      expect((await importCsv(ctx, 'bookings', first)).summary).to.include({inserted: 2, rejected: 0})
      const again = await importCsv(ctx, 'bookings', first)
      expectRejected(again.rejections, [
        [2, 'externalRef', /booking \d+ already has externalRef "EXT-9"; use --upsert to update it/],
        [3, 'startDate', /booking \d+ already has the same property, guest and dates; use --upsert/],
      ])
      const changed = [
        header,
        `Sea View,alice,dan,${day(31)},${day(34)},confirmed,,EXT-9`, // moves its dates (overlapping its old self)
        `Sea View,bob,carol,${day(30)},${day(33)},cancelled,,`,
      ]
      const upsert = await importCsv(ctx, 'bookings', changed, {upsert: true})
      expect(upsert.rejections).to.deep.equal([])
      expect(upsert.summary).to.include({inserted: 0, updated: 2})
      const ext = await db.models.Booking.findOne({where: {externalRef: 'EXT-9'}})
      expect([ext!.startDate, ext!.status, Number(ext!.totalPrice)]).to.deep.equal([day(31), 'confirmed', 361.5])
      expect(await count(db, 'bookings')).to.equal(3)
      expect(await count(db, 'bookings', "status = 'cancelled'")).to.equal(1)
    })

    it('--atomic writes nothing when a row is rejected', async () => {
      const {summary} = await importCsv(ctx, 'bookings', [header, `Sea View,alice,dan,${day(30)},${day(33)},,,`, `Sea View,alice,carol,${day(31)},${day(32)},,,`], {atomic: true})
      expect(summary).to.include({inserted: 0, rejected: 1, committed: false})
      expect(await count(db, 'bookings')).to.equal(1)
    })
  })

  describe('reviews', () => {
    const header = 'property,propertyOwner,reviewer,rating,comment'

    beforeEach(async () => {
      const seaA = await createProperty(ctx, {owner: 'alice', name: 'Sea View', address: 'a', pricePerNight: '100'})
      const seaB = await createProperty(ctx, {owner: 'bob', name: 'Sea View', address: 'b', pricePerNight: '100'})
      const past = await createBooking(ctx, {property: seaA.id, guest: 'carol', startDate: day(-9), endDate: day(-5), allowPast: true})
      await confirmBooking(ctx, past.id)
      await createBooking(ctx, {property: seaA.id, guest: 'dan', startDate: day(-20), endDate: day(-15), allowPast: true})
      const future = await createBooking(ctx, {property: seaB.id, guest: 'carol', startDate: day(5), endDate: day(9)})
      await confirmBooking(ctx, future.id)
    })

    it('takes reviews of ended confirmed stays, once per property and reviewer, rated 1 to 5', async () => {
      const {summary, rejections} = await importCsv(ctx, 'reviews', [
        header,
        'Sea View,alice,carol,5,"Lovely, ""quiet"""', // 2 ok
        'Sea View,alice,carol,4,again', // 3 second review
        'Sea View,alice,dan,5,', // 4 stay only pending
        'Sea View,bob,carol,5,', // 5 stay not ended
        'Sea View,alice,dan,6,', // 6 rating
        'Sea View,alice,nobody,5,', // 7 unknown reviewer
        '1,,carol@example.com,0,', // 8 rating
      ])
      expectRejected(rejections, [
        [3, 'reviewer', 'a review of property 1 by carol repeats line 2'],
        [4, 'reviewer', 'user 4 (dan) has no confirmed stay at property 1 that has ended, so cannot review it'],
        [5, 'reviewer', 'user 3 (carol) has no confirmed stay at property 2 that has ended'],
        [6, 'rating', 'rating must be a whole number from 1 to 5, got 6'],
        [7, 'reviewer', 'unknown reviewer "nobody"'],
        [8, 'rating', 'rating must be a whole number from 1 to 5, got 0'],
      ])
      expect(summary).to.include({inserted: 1, rejected: 6})
      const review = await db.models.Review.findOne()
      expect([review!.rating, review!.comment]).to.deep.equal([5, 'Lovely, "quiet"'])
    })

    it('rejects a second review of an existing one, updates it with --upsert', async () => {
      await createReview(ctx, {property: 1, reviewer: 'carol', rating: 2, comment: 'meh'})
      const lines = [header, 'Sea View,alice,carol,4,better on reflection']
      expectRejected((await importCsv(ctx, 'reviews', lines)).rejections, [[2, 'reviewer', 'user 3 (carol) already reviewed property 1 (review 1); use --upsert to update it']])
      expect((await importCsv(ctx, 'reviews', lines, {upsert: true})).summary).to.include({updated: 1, inserted: 0, rejected: 0})
      const review = await db.models.Review.findByPk(1)
      expect([review!.rating, review!.comment]).to.deep.equal([4, 'better on reflection'])
    })
  })

  describe('payments', () => {
    const header = 'transactionId,kind,booking,property,propertyOwner,guest,startDate,endDate,refundOf,amount,status,idempotencyKey'
    let b1: number
    let b2: number

    beforeEach(async () => {
      const seaA = await createProperty(ctx, {owner: 'alice', name: 'Sea View', address: 'a', pricePerNight: '120.50'})
      const seaB = await createProperty(ctx, {owner: 'bob', name: 'Sea View', address: 'b', pricePerNight: '99'})
      b1 = (await createBooking(ctx, {property: seaA.id, guest: 'carol', startDate: day(-10), endDate: day(-6), allowPast: true, externalRef: 'B-1'})).id
      b2 = (await createBooking(ctx, {property: seaB.id, guest: 'carol', startDate: day(30), endDate: day(32)})).id
      await recordCharge(ctx, {bookingId: b2, amount: '100', transactionId: 'svc-1'})
      await refundPayment(ctx, 'svc-1', {amount: '40', idempotencyKey: 'svc-key'})
    })

    it('checks charges against booking totals and refunds against what remains, from the database and earlier rows', async () => {
      const {summary, rejections} = await importCsv(ctx, 'payments', [
        header,
        'c1,charge,B-1,,,,,,,400.00,,', // 2 ok (total 482.00)
        'c2,charge,B-1,,,,,,,100.00,,', // 3 400 + 100 > 482
        `c3,charge,,Sea View,bob,carol,${day(30)},${day(32)},,98.00,,`, // 4 ok: 100 + 98 = 198, by stay
        'r1,refund,,,,,,,c1,150.00,,k-1', // 5 ok
        'r2,refund,,,,,,,c1,300.00,,', // 6 above the 250 left
        'r3,refund,,,,,,,svc-1,60.00,,', // 7 ok: the rest of a charge made through the service
        'r4,refund,,,,,,,svc-1,1.00,,', // 8 already fully refunded
        'r5,refund,,,,,,,nope,1.00,,', // 9 unknown charge
        'r6,refund,,,,,,,c9,1.00,,', // 10 its charge comes later
        'c9,charge,B-1,,,,,,,1.00,pending,', // 11 ok: pending counts toward the total
        'r7,refund,,,,,,,c9,1.00,,', // 12 a pending charge is not refunded
        'c1,charge,B-1,,,,,,,1.00,,', // 13 transaction id repeats
        'r8,refund,,,,,,,c1,10.00,,k-1', // 14 idempotency key repeats
        'c10,charge,B-404,,,,,,,1.00,,', // 15 unknown booking
        'c11,charge,B-1,,,,,,c1,1.00,,', // 16 a charge with refundOf
        'r9,refund,,,,,,,c1,250.00,,', // 17 ok: completes c1's refunds
        'c12,charge,B-1,,,,,,,81.00,failed,', // 18 ok: failed charges do not count
        'c13,charge,B-1,,,,,,,81.01,,', // 19 401 + 81.01 > 482
        'r10,refund,,,,,,,c3,1.00,,svc-key', // 20 key used by the service's refund
        'r11,refund,,,,,,,r1,1.00,,', // 21 refund of a refund
        `r12,refund,,Sea View,alice,carol,${day(-10)},${day(-6)},c3,1.00,,`, // 22 stay is not c3's booking
        'c14,charge,B-1,,,,,,,0,,', // 23 amount
        'c15,charge,,,,,,,,1.00,,', // 24 no booking
      ])
      expectRejected(rejections, [
        [3, 'amount', `charging 100.00 would bring booking ${b1} to 500.00, above its total 482.00`],
        [6, 'amount', 'refund of 300.00 exceeds what remains refundable of charge "c1" (line 2): 250.00 of 400.00'],
        [8, 'refundOf', 'payment 1 ("svc-1") is already fully refunded'],
        [9, 'refundOf', 'unknown charge "nope"'],
        [10, 'refundOf', 'unknown charge "c9"'],
        [12, 'refundOf', 'charge "c9" (line 11) is pending; only completed charges can be refunded'],
        [13, 'transactionId', 'transaction id "c1" repeats line 2'],
        [14, 'idempotencyKey', 'idempotency key "k-1" repeats line 5'],
        [15, 'booking', 'unknown booking "B-404"'],
        [16, 'refundOf', 'a charge refunds nothing'],
        [19, 'amount', `charging 81.01 would bring booking ${b1} to 482.01, above its total 482.00`],
        [20, 'idempotencyKey', 'idempotency key "svc-key" was already used for payment 2'],
        [21, 'refundOf', /payment \d+ \("r1"\) is a refund|unknown charge "r1"/],
        [22, 'booking', `charge "c3" belongs to booking ${b2}, which is not the stay given`],
        [23, 'amount', 'amount must be above 0'],
        [24, 'booking', 'give booking (an id or externalRef), or property, guest, startDate and endDate'],
      ])
      expect(summary).to.include({read: 23, inserted: 7, rejected: 16})
      const payments = await db.models.Payment.findAll({order: [['id', 'ASC']]})
      const byTxn = new Map(payments.map((p) => [p.transactionId, p]))
      // Ids follow the file: each refund after its charge.
      expect(payments.map((p) => p.transactionId)).to.deep.equal(['svc-1', payments[1].transactionId, 'c1', 'c3', 'r1', 'r3', 'c9', 'r9', 'c12'])
      expect(byTxn.get('c1')!.status).to.equal('refunded')
      expect(byTxn.get('svc-1')!.status).to.equal('refunded')
      expect(byTxn.get('c3')!.status).to.equal('completed')
      expect(Number(byTxn.get('r1')!.refundOfId)).to.equal(byTxn.get('c1')!.id)
      expect(Number(byTxn.get('r3')!.refundOfId)).to.equal(1)
      expect([Number(byTxn.get('c3')!.bookingId), Number(byTxn.get('r1')!.bookingId)]).to.deep.equal([b2, b1])
      expect(byTxn.get('r1')!.idempotencyKey).to.equal('k-1')
    })

    it("an upsert never lowers a booking's total below what is charged to it", async () => {
      const head = 'property,propertyOwner,guest,startDate,endDate,totalPrice'
      const row = (total: string) => `Sea View,bob,carol,${day(30)},${day(32)},${total}`
      const lowered = await importCsv(ctx, 'bookings', [head, row('99.99')], {upsert: true})
      expectRejected(lowered.rejections, [[2, 'totalPrice', `booking ${b2} has 100.00 charged; its total cannot be less`]])
      const kept = await importCsv(ctx, 'bookings', [head, row('100.00')], {upsert: true})
      expect(kept.summary).to.include({updated: 1, rejected: 0})
      expect(Number((await db.models.Booking.findByPk(b2))!.totalPrice)).to.equal(100)
    })

    it('updates the totals when an upsert changes a charge or a refund', async () => {
      const lines = [header, `svc-1,charge,${b2},,,,,,,150.00,,`, `${(await db.models.Payment.findByPk(2))!.transactionId},refund,,,,,,,svc-1,70.00,,svc-key`]
      const result = await importCsv(ctx, 'payments', lines, {upsert: true})
      expect(result.summary).to.include({updated: 2, rejected: 0})
      const [charge] = (await db.sequelize.query('SELECT refunded_amount AS refunded, status FROM payments WHERE id = 1'))[0] as {refunded: string | number; status: string}[]
      expect([Number(charge.refunded), charge.status]).to.deep.equal([70, 'completed'])
      const [booking] = (await db.sequelize.query('SELECT charged_amount AS charged FROM bookings WHERE id = ?', {replacements: [b2]}))[0] as {charged: string | number}[]
      expect(Number(booking.charged)).to.equal(150)
    })

    it('refunds in a later batch see the refunds of earlier ones', async () => {
      const {rejections} = await importCsv(
        ctx,
        'payments',
        [header, 'c1,charge,B-1,,,,,,,100,,', 'r1,refund,,,,,,,c1,60,,', 'r2,refund,,,,,,,c1,50,,', 'r3,refund,,,,,,,c1,40,,'],
        {batchSize: 2},
      )
      expectRejected(rejections, [[4, 'amount', /refund of 50\.00 exceeds what remains refundable of payment \d+ \("c1"\): 40\.00 of 100\.00/]])
      expect(await count(db, 'payments', "transaction_id = 'c1' AND status = 'refunded'")).to.equal(1)
    })

    it('rejects a recorded transaction id, updates it with --upsert; --atomic writes nothing', async () => {
      const lines = [header, 'svc-1,charge,,Sea View,bob,carol,' + `${day(30)},${day(32)},,90.00,,`]
      expectRejected((await importCsv(ctx, 'payments', lines)).rejections, [
        [2, 'transactionId', 'transaction id "svc-1" is already recorded as payment 1; use --upsert to update it'],
      ])
      const upsert = await importCsv(ctx, 'payments', lines, {upsert: true})
      expect(upsert.summary).to.include({updated: 1, rejected: 0})
      expect(Number((await db.models.Payment.findByPk(1))!.amount)).to.equal(90)
      const tooLow = await importCsv(ctx, 'payments', [header, `svc-1,charge,${b2},,,,,,,39.99,,`], {upsert: true})
      expectRejected(tooLow.rejections, [[2, 'amount', 'payment 1 has 40.00 refunded; its amount cannot be less']])

      const before = await count(db, 'payments')
      const atomic = await importCsv(ctx, 'payments', [header, 'a1,charge,B-1,,,,,,,10,,', 'a2,charge,B-1,,,,,,,1000,,'], {atomic: true})
      expect(atomic.summary).to.include({inserted: 0, rejected: 1, committed: false})
      expect(await count(db, 'payments')).to.equal(before)
    })
  })

  describe('concurrent imports', () => {
    it('two imports booking the same dates, or refunding the same charge, never both win', async () => {
      const sea = await createProperty(ctx, {owner: 'alice', name: 'Sea View', address: 'a', pricePerNight: '100'})
      const booking = await createBooking(ctx, {property: sea.id, guest: 'carol', startDate: day(50), endDate: day(52), externalRef: 'B-1'})
      await recordCharge(ctx, {bookingId: booking.id, amount: '100', transactionId: 'c1'})
      const header = 'property,propertyOwner,guest,startDate,endDate'
      const runs = await Promise.all(
        ['carol', 'dan'].map((guest) => importCsv(ctx, 'bookings', [header, `Sea View,alice,${guest},${day(10)},${day(13)}`])),
      )
      expect(runs.map((r) => r.summary.inserted).sort()).to.deep.equal([0, 1])
      expect(described(runs.flatMap((r) => r.rejections))).to.have.length(1)
      expect(runs.flatMap((r) => r.rejections)[0].reason).to.match(/overlaps booking \d+/)

      const refunds = await Promise.all(
        ['r1', 'r2'].map((txn) => importCsv(ctx, 'payments', ['transactionId,kind,refundOf,amount', `${txn},refund,c1,60`])),
      )
      expect(refunds.map((r) => r.summary.inserted).sort()).to.deep.equal([0, 1])
      expect(refunds.flatMap((r) => r.rejections)[0].reason).to.match(/refund of 60\.00 exceeds what remains refundable of payment \d+ \("c1"\): 40\.00 of 100\.00/)
    })

    it('two imports of one externalRef on two properties: one row is written, and the gaps are those of what was', async () => {
      for (const name of ['North', 'South']) await createProperty(ctx, {owner: 'alice', name, address: 'a', pricePerNight: '100'})
      const header = 'property,propertyOwner,guest,startDate,endDate,externalRef'
      // Both check (no booking has the reference yet) before either writes; on MySQL the second then skips its row as a duplicate.
      const before = process.env.STAYCTL_TEST_PAUSE
      process.env.STAYCTL_TEST_PAUSE = 'import.bookings.checked=1000'
      const runs = await Promise.all(['North', 'South'].map((name) => importCsv(ctx, 'bookings', [header, `${name},alice,carol,${day(10)},${day(13)},SAME-1`]))).finally(() => {
        if (before === undefined) delete process.env.STAYCTL_TEST_PAUSE
        else process.env.STAYCTL_TEST_PAUSE = before
      })
      expect(runs.map((r) => r.summary.inserted).sort()).to.deep.equal([0, 1])
      const reasons = runs.flatMap((r) => r.rejections.map((x) => x.reason))
      expect(reasons).to.have.length(1)
      if (testDialect === 'mysql') expect(reasons[0]).to.equal('externalRef "SAME-1" already exists')
    })
  })

  describe('a folder', () => {
    function writeFolder(files: Record<string, string[]>): string {
      const folder = fs.mkdtempSync(path.join(dir, 'folder-'))
      for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), lines.join('\n') + '\n')
      return folder
    }
    // Alphabetical order (bookings, payments, properties, reviews, users) would fail every file.
    const folder = () =>
      writeFolder({
        'bookings.csv': ['property,propertyOwner,guest,startDate,endDate,status,externalRef', `Lake,zoe,yann,${day(-9)},${day(-5)},confirmed,L-1`],
        'payments.ndjson': [JSON.stringify({transactionId: 'p1', booking: 'L-1', amount: '200.00'})],
        'properties.json': [JSON.stringify([{owner: 'zoe', name: 'Lake', address: 'shore', pricePerNight: 50}])],
        'reviews.csv': ['property,reviewer,rating', 'Lake,yann,5'],
        'Users.CSV': ['username,email,password', `zoe,zoe@example.com,${password}`, `yann,yann@example.com,${password}`],
      })

    it('imports users, properties, bookings, reviews and payments in dependency order, with a combined summary', async () => {
      const dirPath = folder()
      const summary = await importFolder(ctx, {dir: dirPath})
      expect(summary.files.map((f) => [f.entity, path.basename(f.file), f.inserted, f.rejected])).to.deep.equal([
        ['users', 'Users.CSV', 2, 0],
        ['properties', 'properties.json', 1, 0],
        ['bookings', 'bookings.csv', 1, 0],
        ['reviews', 'reviews.csv', 1, 0],
        ['payments', 'payments.ndjson', 1, 0],
      ])
      expect(summary).to.include({read: 6, inserted: 6, rejected: 0, committed: true})
      expect(await count(db, 'payments', "transaction_id = 'p1'")).to.equal(1)
    })

    it('--dry-run checks every file as if the ones before it were written, and writes nothing', async () => {
      const summary = await importFolder(ctx, {dir: folder(), dryRun: true})
      expect(summary).to.include({inserted: 6, rejected: 0, committed: false, dryRun: true})
      expect(await count(db, 'users')).to.equal(5)
      expect(await count(db, 'properties')).to.equal(0)
    })

    it('--atomic commits nothing of any file when one row is rejected', async () => {
      const dirPath = folder()
      fs.appendFileSync(path.join(dirPath, 'reviews.csv'), 'Lake,zoe,5\n')
      const rejected: [string, number, string][] = []
      const summary = await importFolder(ctx, {dir: dirPath, atomic: true, onRejected: (entity, _file, r) => rejected.push([entity, r.line, r.reason])})
      expect(rejected).to.deep.equal([['reviews', 3, 'user 6 (zoe) has no confirmed stay at property 1 that has ended, so cannot review it']])
      expect(summary).to.include({inserted: 0, rejected: 1, committed: false})
      expect(await count(db, 'users')).to.equal(5)
    })
  })
})
