/**
 * Blocks through the services: one calendar rule for bookings and blocks (no overlap either
 * way, cancelled bookings hold nothing, touching ranges are fine), the host's and admins'
 * rights, availability search, and a feed's sync (add, move, remove, idempotent, conflicts).
 */
import {expect} from 'chai'

import {ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError} from '../../src/errors.js'
import {anonymousActor, type ServiceContext} from '../../src/services/context.js'
import {createBlock, deleteBlock, listBlocks, showBlock, sourceKey, updateBlock} from '../../src/services/blocks.js'
import {syncSourceBlocks} from '../../src/services/blocks-sync.js'
import {cancelBooking, createBooking} from '../../src/services/bookings.js'
import {exportPage} from '../../src/services/export.js'
import {importRows} from '../../src/services/import/rows.js'
import {listProperties} from '../../src/services/properties.js'
import {day, fixtures} from '../support/fixtures.js'
import {countRows, expectNoWrites, expectRefused, useScenario} from '../support/integration.js'

const {users, properties} = fixtures
const FEED = 'https://channel.example/calendar/abc.ics'
const OTHER_FEED = 'https://other.example/feed.ics'

describe('blocks (integration)', () => {
  const s = useScenario('blocks')
  const as = (name: 'host' | 'guest' | 'otherGuest'): ServiceContext => ({
    ...s.ctx,
    via: 'graphql',
    actor: {name: users[name].username, userId: s.ids.users[name], isAdmin: false},
  })
  const block = (property: string, start: number, end: number, reason = 'maintenance', ctx = s.ctx) =>
    createBlock(ctx, {property, startDate: day(start), endDate: day(end), reason})

  describe('one calendar for bookings and blocks', () => {
    // confirmedFuture holds the loft from day 14 to day 17; cancelledFuture held the flat 5 → 8.
    it('blocks free nights, with an audit event and who made it', async () => {
      const made = await block(properties.loft.name, 20, 25, 'repainting', as('host'))
      expect(made).to.include({propertyId: s.ids.properties.loft, startDate: day(20), endDate: day(25), nights: 5, reason: 'repainting'})
      expect(made).to.include({source: null, sourceUid: null, createdById: s.ids.users.host})
      expect(await countRows(s.db, 'audit_events', `action = 'block.create' AND entity_id = '${made.id}'`)).to.equal(1)
    })

    for (const [what, start, end] of [['the same nights', 14, 17], ['starting inside', 16, 20], ['enclosing', 10, 20]] as const) {
      it(`refuses a block overlapping a live booking (${what}), naming it`, async () => {
        const error = await expectRefused(
          s.db,
          () => block(properties.loft.name, start, end),
          ConflictError,
          new RegExp(`overlaps booking ${s.ids.bookings.confirmedFuture} \\(${day(14)} → ${day(17)}\\)`),
        )
        expect(error.exitCode).to.equal(5)
        expect(error.details).to.include({conflictingBookingId: s.ids.bookings.confirmedFuture})
      })
    }

    it('allows touching ranges: a block ending on a check-in day, one starting on a check-out day', async () => {
      await block(properties.loft.name, 10, 14)
      await block(properties.loft.name, 17, 18)
      expect(await countRows(s.db, 'blocks')).to.equal(2)
    })

    it('does not let a cancelled booking hold nights against a block', async () => {
      await block(properties.flat.name, 5, 8)
    })

    it('refuses a booking overlapping a block, naming the block', async () => {
      const made = await block(properties.flat.name, 40, 45)
      const error = await expectRefused(
        s.db,
        () => createBooking(s.ctx, {property: properties.flat.name, guest: users.otherGuest.username, startDate: day(44), endDate: day(46)}),
        ConflictError,
        new RegExp(`overlaps block ${made.id} \\(${day(40)} → ${day(45)}\\) of property ${s.ids.properties.flat}`),
      )
      expect(error.suggestion).to.equal(`pick other dates or delete block ${made.id}`)
      expect(error.details).to.include({conflictingBlockId: made.id})
      await createBooking(s.ctx, {property: properties.flat.name, guest: users.otherGuest.username, startDate: day(45), endDate: day(47)})
    })

    it('refuses a block overlapping another block of the property, not one of another property', async () => {
      const first = await block(properties.cabin.name, 50, 55)
      await expectRefused(s.db, () => block(properties.cabin.name, 54, 56), ConflictError, new RegExp(`overlaps block ${first.id}\\b`))
      await block(properties.flat.name, 50, 55)
    })

    it('refuses an imported booking on blocked nights', async () => {
      const made = await block(properties.flat.name, 60, 62)
      const row = {property: properties.flat.name, guest: users.otherGuest.username, startDate: day(61), endDate: day(63), status: 'confirmed'}
      const result = await importRows(s.ctx, {entity: 'bookings', rows: [row]})
      expect(result.rejected).to.equal(1)
      expect(result.rejections[0].reason).to.match(new RegExp(`overlaps block ${made.id}\\b.*delete block ${made.id}`))
    })

    it('frees the nights when the booking is cancelled, or the block deleted', async () => {
      await cancelBooking(s.ctx, s.ids.bookings.confirmedFuture, {refund: 'full'})
      const made = await block(properties.loft.name, 14, 17)
      await deleteBlock(s.ctx, made.id)
      expect(await countRows(s.db, 'audit_events', `action = 'block.delete' AND entity_id = '${made.id}'`)).to.equal(1)
      await createBooking(s.ctx, {property: properties.loft.name, guest: users.otherGuest.username, startDate: day(14), endDate: day(17)})
    })

    it('refuses bad dates and a source without its UID', async () => {
      await expectRefused(s.db, () => block(properties.loft.name, 25, 25), ValidationError, /must be after start date/)
      await expectRefused(s.db, () => createBlock(s.ctx, {property: properties.loft.name, startDate: 'soon', endDate: day(3)}), ValidationError)
      await expectRefused(
        s.db,
        () => createBlock(s.ctx, {property: properties.loft.name, startDate: day(30), endDate: day(31), source: FEED}),
        ValidationError,
        /both source and sourceUid/,
      )
    })
  })

  describe('with the rows they refer to', () => {
    it('a property deleted takes its blocks along; a user deleted leaves their blocks, made by no one', async () => {
      const {createProperty, deleteProperty} = await import('../../src/services/properties.js')
      const {createUser, deleteUser} = await import('../../src/services/users.js')
      const shed = await createProperty(s.ctx, {owner: users.host.username, name: 'Shed', address: 'Yard', pricePerNight: '10.00'})
      await block(String(shed.id), 20, 22)
      const helper = await createUser(s.ctx, {username: 'blocker', email: 'blocker@example.com', password: 'helper-password-1', isAdmin: true})
      const kept = await block(properties.flat.name, 20, 22, 'x', {...s.ctx, actor: {name: 'blocker', userId: helper.id, isAdmin: true}})
      expect(kept.createdById).to.equal(helper.id)
      await deleteProperty(s.ctx, shed.id)
      await deleteUser(s.ctx, helper.id)
      expect((await listBlocks(s.ctx)).items.map((b) => [b.id, b.createdById])).to.deep.equal([[kept.id, null]])
    })
  })

  describe('update', () => {
    it('moves a block to free nights, and refuses a move onto a booking (the block stays)', async () => {
      const made = await block(properties.loft.name, 20, 22)
      const moved = await updateBlock(s.ctx, made.id, {startDate: day(18), endDate: day(21), reason: 'owner stay'})
      expect(moved).to.include({startDate: day(18), endDate: day(21), reason: 'owner stay'})
      await expectRefused(s.db, () => updateBlock(s.ctx, made.id, {startDate: day(16)}), ConflictError, /overlaps booking/)
      expect(await countRows(s.db, 'audit_events', `action = 'block.update'`)).to.equal(1)
    })

    it('moving within its own nights is no overlap with itself', async () => {
      const made = await block(properties.loft.name, 20, 25)
      expect((await updateBlock(s.ctx, made.id, {endDate: day(23)})).nights).to.equal(3)
    })

    it('says so when there is no such block', async () => {
      await expectRefused(s.db, () => updateBlock(s.ctx, 9999, {reason: 'x'}), NotFoundError, /no block "9999"/)
      await expectRefused(s.db, () => deleteBlock(s.ctx, 'abc'), NotFoundError)
    })
  })

  describe('who may', () => {
    it('the host and admins manage and see the blocks of the property; guests may not', async () => {
      const made = await block(properties.loft.name, 20, 22, 'x', as('host'))
      await expectRefused(s.db, () => block(properties.loft.name, 30, 32, 'x', as('guest')), ForbiddenError, /only the host of property/)
      await expectRefused(s.db, () => updateBlock(as('guest'), made.id, {reason: 'mine'}), ForbiddenError)
      await expectRefused(s.db, () => deleteBlock(as('otherGuest'), made.id), ForbiddenError)
      await expectRefused(s.db, () => showBlock(as('guest'), made.id), ForbiddenError)
      expect((await showBlock(as('host'), made.id)).id).to.equal(made.id)
      expect((await listBlocks(as('host'))).items.map((b) => b.id)).to.deep.equal([made.id])
      expect((await listBlocks(as('guest'))).items).to.deep.equal([])
      const anonymous = {...s.ctx, actor: anonymousActor()}
      await expectRefused(s.db, () => listBlocks(anonymous), UnauthenticatedError)
      await expectRefused(s.db, () => block(properties.loft.name, 30, 32, 'x', anonymous), UnauthenticatedError)
      await deleteBlock(s.ctx, made.id)
    })
  })

  describe('list', () => {
    it('filters by property, source and dates', async () => {
      const a = await block(properties.loft.name, 20, 22)
      const b = await createBlock(s.ctx, {property: properties.cabin.name, startDate: day(40), endDate: day(42), source: FEED, sourceUid: 'e1'})
      const ids = async (input: Parameters<typeof listBlocks>[1]) => (await listBlocks(s.ctx, input)).items.map((x) => x.id)
      expect(await ids({})).to.deep.equal([a.id, b.id])
      expect(await ids({property: properties.cabin.name})).to.deep.equal([b.id])
      expect(await ids({source: FEED})).to.deep.equal([b.id])
      expect(await ids({from: day(22), to: day(40)})).to.deep.equal([])
      expect(await ids({from: day(21), to: day(41)})).to.deep.equal([a.id, b.id])
      expect(await ids({sort: '-startDate', limit: 1})).to.deep.equal([b.id])
    })
  })

  describe('availability search', () => {
    it('skips properties with a blocked night in the stay, not those blocked next to it', async () => {
      const names = async (from: number, to: number) =>
        (await listProperties(s.ctx, {availableFrom: day(from), availableTo: day(to)})).items.map((p) => p.name).sort()
      await block(properties.cabin.name, 60, 63)
      expect(await names(62, 64)).to.deep.equal([properties.flat.name, properties.loft.name].sort())
      expect(await names(63, 65)).to.deep.equal([properties.flat.name, properties.loft.name, properties.cabin.name].sort())
      expect(await names(58, 60)).to.have.length(3)
    })
  })

  describe('import and export', () => {
    const flat = properties.flat.name
    const row = (start: number, end: number, more: Record<string, string> = {}) => ({property: flat, startDate: day(start), endDate: day(end), ...more})

    it('exports blocks by natural keys, and imports them again unchanged', async () => {
      await block(flat, 40, 42, 'paint')
      await createBlock(s.ctx, {property: flat, startDate: day(50), endDate: day(52), source: FEED, sourceUid: 'e1', reason: 'Airbnb'})
      const page = await exportPage(s.ctx, {entity: 'blocks'})
      expect(page.columns).to.deep.equal(['property', 'propertyOwner', 'startDate', 'endDate', 'reason', 'source', 'sourceUid', 'createdAt'])
      const records = page.rows.map((cells) => Object.fromEntries(page.columns.map((c, i) => [c, cells[i]])))
      const before = (await listBlocks(s.ctx)).items.map(({startDate, endDate, reason, source, sourceUid}) => ({startDate, endDate, reason, source, sourceUid}))
      await s.db.sequelize.query('DELETE FROM blocks')
      const result = await importRows(s.ctx, {entity: 'blocks', rows: records})
      expect(result).to.include({inserted: 2, rejected: 0})
      const after = (await listBlocks(s.ctx)).items.map(({startDate, endDate, reason, source, sourceUid}) => ({startDate, endDate, reason, source, sourceUid}))
      expect(after).to.deep.equal(before)
      const [key] = (await s.db.sequelize.query(`SELECT source_key FROM blocks WHERE source_uid = 'e1'`))[0] as {source_key: string}[]
      expect(key.source_key).to.equal(sourceKey(FEED, 'e1'))
    })

    it('rejects rows on a live booking, on a block, or on an earlier row, each with its reason; takes the rest', async () => {
      const made = await block(flat, 40, 42)
      await createBooking(s.ctx, {property: flat, guest: users.guest.username, startDate: day(30), endDate: day(32)})
      const result = await importRows(s.ctx, {entity: 'blocks', rows: [row(31, 33), row(41, 43), row(60, 62), row(61, 63), row(70, 72)]})
      expect(result).to.include({inserted: 2, rejected: 3})
      expect(result.rejections.map((r) => [r.index, r.reason.replace(/\d{4}-\d{2}-\d{2}/g, 'D')])).to.deep.equal([
        [0, `D → D overlaps booking ${(await s.db.models.Booking.max('id')) as number} (D → D) of property ${s.ids.properties.flat}; pick other dates or cancel booking ${(await s.db.models.Booking.max('id')) as number}`],
        [1, `D → D overlaps block ${made.id} (D → D) of property ${s.ids.properties.flat}; pick other dates or delete block ${made.id}`],
        [3, `D → D overlaps the block on line 3 of property ${s.ids.properties.flat}`],
      ])
    })

    it('a block already there is refused without --upsert; with it, its reason (and a feed block its dates) change', async () => {
      await block(flat, 40, 42, 'paint')
      await createBlock(s.ctx, {property: flat, startDate: day(50), endDate: day(52), source: FEED, sourceUid: 'e1'})
      const rows = [row(40, 42, {reason: 'new paint'}), row(53, 55, {source: FEED, sourceUid: 'e1'})]
      const refused = await importRows(s.ctx, {entity: 'blocks', rows})
      expect(refused.rejections.map((r) => r.reason)).to.satisfy((reasons: string[]) => reasons.every((r) => r.endsWith('use --upsert to update it')))
      const upserted = await importRows(s.ctx, {entity: 'blocks', rows, upsert: true})
      expect(upserted).to.include({inserted: 0, updated: 2, rejected: 0})
      expect((await listBlocks(s.ctx)).items.map((b) => [b.startDate, b.reason])).to.deep.equal([
        [day(40), 'new paint'],
        [day(53), ''],
      ])
    })
  })

  describe('syncSourceBlocks', () => {
    const sync = (events: {uid: string; start: number; end: number; reason?: string}[], options: {source?: string; dryRun?: boolean; ctx?: ServiceContext} = {}) =>
      syncSourceBlocks(options.ctx ?? s.ctx, {
        property: properties.cabin.name,
        source: options.source ?? FEED,
        events: events.map((e) => ({uid: e.uid, start: day(e.start), end: day(e.end), reason: e.reason})),
        dryRun: options.dryRun,
      })
    const counts = (r: Awaited<ReturnType<typeof sync>>) => [r.added.length, r.moved.length, r.removed.length, r.unchanged.length, r.conflicts.length]

    it('adds a block per new event; run again with the same events, changes nothing', async () => {
      const events = [
        {uid: 'a@x', start: 40, end: 43, reason: 'Airbnb'},
        {uid: 'b@x', start: 43, end: 45},
      ]
      const first = await sync(events)
      expect(counts(first)).to.deep.equal([2, 0, 0, 0, 0])
      expect(first.added[0]).to.include({source: FEED, sourceUid: 'a@x', reason: 'Airbnb', startDate: day(40), endDate: day(43)})
      const [row] = (await s.db.sequelize.query(`SELECT source_key FROM blocks WHERE id = ${first.added[0].id}`))[0] as {source_key: string}[]
      expect(row.source_key).to.equal(sourceKey(FEED, 'a@x'))
      const again = await expectNoWrites(s.db, () => sync(events))
      expect(counts(again)).to.deep.equal([0, 0, 0, 2, 0])
    })

    it('moves the block of a changed event, removes those of events gone, freeing their nights', async () => {
      await sync([
        {uid: 'a', start: 40, end: 43},
        {uid: 'b', start: 50, end: 52},
      ])
      const result = await sync([
        {uid: 'a', start: 41, end: 44, reason: 'moved'},
        {uid: 'c', start: 60, end: 61},
      ])
      expect(counts(result)).to.deep.equal([1, 1, 1, 0, 0])
      expect(result.moved[0]).to.include({sourceUid: 'a', startDate: day(41), endDate: day(44), reason: 'moved'})
      expect(result.removed[0]).to.include({sourceUid: 'b', startDate: day(50)})
      await createBooking(s.ctx, {property: properties.cabin.name, guest: users.otherGuest.username, startDate: day(50), endDate: day(52)})
      expect(await countRows(s.db, 'audit_events', `action = 'block.update'`)).to.equal(1)
      expect(await countRows(s.db, 'audit_events', `action = 'block.delete'`)).to.equal(1)
    })

    it('records a feed URL in the audit trail without its secret parts (query, user info), as the feed itself; the block keeps it whole', async () => {
      const secret = 'https://user:Pass-w0rd@channel.example/ical/77.ics?s=Feed-secret-t0ken'
      await sync([{uid: 'a', start: 40, end: 43}, {uid: 'b', start: 50, end: 52}], {source: secret})
      const [kept] = await sync([{uid: 'a', start: 41, end: 44}], {source: secret}).then((r) => r.moved)
      expect(kept.source).to.equal(secret)
      const manual = await createBlock(s.ctx, {property: properties.cabin.name, startDate: day(70), endDate: day(71), source: secret, sourceUid: 'm'})
      await deleteBlock(s.ctx, manual.id)
      const named = await createBlock(s.ctx, {property: properties.cabin.name, startDate: day(80), endDate: day(81), source: 'file:cabin.ics', sourceUid: 'f'})
      const events = await s.db.models.AuditEvent.findAll({where: {entity: 'block'}, order: [['id', 'ASC']]})
      const recorded = events.map((e) => [e.action, (typeof e.changes === 'string' ? JSON.parse(e.changes) : e.changes).source])
      const shown = 'https://channel.example/ical/77.ics?…'
      expect(recorded).to.deep.equal([
        ['block.create', shown],
        ['block.create', shown],
        ['block.delete', shown],
        ['block.update', shown],
        ['block.create', shown],
        ['block.delete', shown],
        ['block.create', 'file:cabin.ics'],
      ])
      expect(named.source).to.equal('file:cabin.ics')
      expect(JSON.stringify(events.map((e) => e.changes))).not.to.match(/Pass-w0rd|Feed-secret/)
    })

    it('reports an event overlapping a booking, a manual block or another feed: written nowhere, the rest written', async () => {
      // pendingFuture holds the cabin from day 30 to day 33.
      const manual = await block(properties.cabin.name, 70, 72)
      await sync([{uid: 'o', start: 80, end: 82}], {source: OTHER_FEED})
      const result = await sync([
        {uid: 'booked', start: 32, end: 34},
        {uid: 'manual', start: 71, end: 73},
        {uid: 'other', start: 81, end: 83},
        {uid: 'free', start: 90, end: 91},
      ])
      expect(counts(result)).to.deep.equal([1, 0, 0, 0, 3])
      expect(result.conflicts.map((c) => [c.uid, c.overlaps.kind, c.overlaps.id])).to.deep.equal([
        ['booked', 'booking', s.ids.bookings.pendingFuture],
        ['manual', 'block', manual.id],
        ['other', 'block', result.conflicts[2].overlaps.id],
      ])
      expect(result.conflicts[0]).to.include({start: day(32), end: day(34)})
      expect(result.conflicts[0].reason).to.equal(`${day(32)} → ${day(34)} overlaps booking ${s.ids.bookings.pendingFuture} (${day(30)} → ${day(33)}) of property ${s.ids.properties.cabin}`)
      expect(await countRows(s.db, 'blocks', `source = '${FEED}'`)).to.equal(1)
    })

    it('reports two events of the feed that overlap each other; a conflicting move keeps the block where it was', async () => {
      const first = await sync([{uid: 'a', start: 40, end: 43}])
      const result = await sync([
        {uid: 'b', start: 50, end: 53},
        {uid: 'c', start: 52, end: 54},
        {uid: 'a', start: 31, end: 34},
      ])
      expect(result.conflicts.map((c) => [c.uid, c.overlaps.kind, c.overlaps.uid ?? c.overlaps.id])).to.deep.equal([
        ['c', 'block', 'b'],
        ['a', 'booking', s.ids.bookings.pendingFuture],
      ])
      expect((await listBlocks(s.ctx, {source: FEED})).items.map((b) => [b.sourceUid, b.startDate])).to.deep.equal([
        ['a', day(40)],
        ['b', day(50)],
      ])
      expect(first.added[0].id).to.equal((await listBlocks(s.ctx, {source: FEED})).items[0].id)
    })

    it('a dry run reports the same and writes nothing', async () => {
      const result = await expectNoWrites(s.db, () => sync([{uid: 'a', start: 40, end: 43}], {dryRun: true}))
      expect(counts(result)).to.deep.equal([1, 0, 0, 0, 0])
      expect(result.dryRun).to.equal(true)
    })

    it('an empty feed removes every block of its source, and only those', async () => {
      await sync([{uid: 'a', start: 40, end: 43}])
      await sync([{uid: 'a', start: 50, end: 53}], {source: OTHER_FEED})
      expect(counts(await sync([]))).to.deep.equal([0, 0, 1, 0, 0])
      expect(await countRows(s.db, 'blocks')).to.equal(1)
    })

    it('racing bookings and syncs of several feeds for the same nights: exactly one stay wins', async () => {
      const saved = process.env.STAYCTL_TEST_PAUSE
      // Every racer holds the window between its check and its write open, so that without the guard all would pass.
      process.env.STAYCTL_TEST_PAUSE = 'booking.checked=400,block.checked=400'
      try {
        const racers = Array.from({length: 6}, (_, i) =>
          i % 2 === 0
            ? createBooking(s.ctx, {property: properties.cabin.name, guest: users.otherGuest.username, startDate: day(60 + (i % 3)), endDate: day(64)})
            : sync([{uid: `race-${i}`, start: 60 + (i % 3), end: 64}], {source: `https://feed${i}.example/x.ics`}),
        )
        const results = await Promise.allSettled(racers)
        const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as Error)
        for (const error of refused) expect(error, error.message).to.be.instanceOf(ConflictError)
        const synced = results.filter((r) => r.status === 'fulfilled' && 'added' in (r.value as object)).map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof sync>>>).value)
        const held = (await countRows(s.db, 'bookings', `property_id = ${s.ids.properties.cabin} AND start_date >= '${day(60)}'`)) + (await countRows(s.db, 'blocks'))
        expect(held, results.map((r) => (r.status === 'rejected' ? String(r.reason) : JSON.stringify(r.value))).join('\n')).to.equal(1)
        expect(synced.flatMap((r) => r.conflicts).length + refused.length).to.equal(5)
      } finally {
        if (saved === undefined) delete process.env.STAYCTL_TEST_PAUSE
        else process.env.STAYCTL_TEST_PAUSE = saved
      }
    })

    it('refuses a repeated UID, bad dates and callers who are not the host', async () => {
      await expectRefused(s.db, () => sync([{uid: 'a', start: 40, end: 43}, {uid: 'a', start: 50, end: 51}]), ValidationError, /events\[1\]\.uid "a" repeats events\[0\]/)
      await expectRefused(s.db, () => sync([{uid: 'a', start: 43, end: 40}]), ValidationError, /events\[0\]\.end date/)
      await expectRefused(s.db, () => sync([{uid: 'a', start: 40, end: 43}], {source: ' '}), ValidationError, /source is blank/)
      await expectRefused(s.db, () => sync([{uid: 'a', start: 40, end: 43}], {ctx: as('guest')}), ForbiddenError)
      expect(counts(await sync([{uid: 'a', start: 40, end: 43}], {ctx: as('host')}))).to.deep.equal([1, 0, 0, 0, 0])
    })
  })
})
