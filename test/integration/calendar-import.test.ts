/**
 * Another channel's calendar coming in: `calendar import` and `calendar sync` turn a feed's
 * events into blocks through the blocks' sync (acceptance 2 and 3 of issue 18): the right
 * nights, idempotent, an event gone frees its nights, a moved one moves its block, an event
 * overlapping our booking is a conflict (the rest applied), malformed events keep the blocks
 * they made, a text that is no calendar writes nothing; sync uses conditional GETs. And the
 * round trip (acceptance 1): export → import into another listing → the same nights blocked.
 */
import {expect} from 'chai'

import {operations as op} from '../../src/backend.js'
import {ValidationError} from '../../src/errors.js'
import {createBooking} from '../../src/services/bookings.js'
import {day, fixtures} from '../support/fixtures.js'
import {expectNoWrites, expectRefused, useScenario} from '../support/integration.js'
import {stubServer, type StubServer} from '../support/stub-server.js'

const compact = (date: string) => date.replaceAll('-', '')

/** A feed of all-day events [uid, start, end] (dates YYYY-MM-DD), CRLF, as channels write them. */
function feed(events: [uid: string, start: string, end: string, extra?: string[]][]): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example Channel//EN']
  for (const [uid, start, end, extra = []] of events) {
    lines.push('BEGIN:VEVENT', `UID:${uid}`, `DTSTART;VALUE=DATE:${compact(start)}`, `DTEND;VALUE=DATE:${compact(end)}`, 'SUMMARY:Not available', ...extra, 'END:VEVENT')
  }
  return [...lines, 'END:VCALENDAR', ''].join('\r\n')
}

describe('calendar import and sync (integration)', () => {
  const s = useScenario('calendar_import')
  const blocksOf = async (propertyId: number) =>
    (await s.db.models.Block.findAll({where: {propertyId}, order: [['startDate', 'ASC']]})).map((b) => [b.sourceUid, String(b.startDate), String(b.endDate)])

  it('imports the right nights, and running it again changes nothing', async () => {
    const {flat} = s.ids.properties
    const text = feed([
      ['a@channel', day(20), day(23)],
      // Across a month boundary.
      ['b@channel', '2027-06-29', '2027-07-03'],
    ])
    const first = await op.calendar.import(s.ctx, {property: flat, ics: text, fileName: 'channel.ics'})
    expect(first).to.deep.include({source: 'file:channel.ics', events: 2, added: 2, moved: 0, removed: 0, unchanged: 0, conflicts: [], problems: []})
    expect(await blocksOf(flat)).to.deep.equal([
      ['b@channel', '2027-06-29', '2027-07-03'],
      ['a@channel', day(20), day(23)],
    ])
    const again = await expectNoWrites(s.db, () => op.calendar.import(s.ctx, {property: flat, ics: text, fileName: 'channel.ics'}))
    expect(again).to.deep.include({added: 0, moved: 0, removed: 0, unchanged: 2})
  })

  it('moves a changed event, and an event gone from the feed frees its nights', async () => {
    const {flat} = s.ids.properties
    await op.calendar.import(s.ctx, {property: flat, ics: feed([['a', day(20), day(23)], ['b', day(30), day(32)]]), fileName: 'c.ics'})
    const changed = await op.calendar.import(s.ctx, {property: flat, ics: feed([['a', day(21), day(24)]]), fileName: 'c.ics'})
    expect(changed).to.deep.include({added: 0, moved: 1, removed: 1, unchanged: 0})
    expect(await blocksOf(flat)).to.deep.equal([['a', day(21), day(24)]])
    // The nights of b are free again.
    await createBooking(s.ctx, {property: String(flat), guest: fixtures.users.guest.username, startDate: day(30), endDate: day(32)})
  })

  it('reports an event overlapping our booking, naming both, and applies the rest', async () => {
    const {loft} = s.ids.properties
    const result = await op.calendar.import(s.ctx, {property: loft, ics: feed([['clash', day(15), day(18)], ['fine', day(40), day(41)]]), fileName: 'c.ics'})
    expect(result.added).to.equal(1)
    expect(result.conflicts).to.have.length(1)
    expect(result.conflicts[0]).to.deep.include({uid: 'clash', start: day(15), end: day(18)})
    expect(result.conflicts[0].overlaps).to.deep.include({kind: 'booking', id: s.ids.bookings.confirmedFuture})
    expect(result.conflicts[0].reason).to.match(new RegExp(`booking ${s.ids.bookings.confirmedFuture}`))
    expect(await blocksOf(loft)).to.deep.equal([['fine', day(40), day(41)]])
  })

  it('keeps the block of an event that turned malformed, and reports the line', async () => {
    const {flat} = s.ids.properties
    await op.calendar.import(s.ctx, {property: flat, ics: feed([['a', day(20), day(23)], ['b', day(30), day(32)]]), fileName: 'c.ics'})
    const broken = feed([['a', day(20), day(23), ['DESCRIPTION no colon here']], ['b', day(30), day(32)]])
    const result = await op.calendar.import(s.ctx, {property: flat, ics: broken, fileName: 'c.ics'})
    expect(result).to.deep.include({added: 0, moved: 0, removed: 0, unchanged: 1})
    expect(result.problems.map((p) => p.line)).to.deep.equal([4, 9])
    expect(result.problems[1].message).to.match(/malformed line "DESCRIPTION no colon here"/)
    expect(await blocksOf(flat)).to.deep.equal([
      ['a', day(20), day(23)],
      ['b', day(30), day(32)],
    ])
  })

  it('refuses a text that is no calendar and writes nothing', async () => {
    const {flat} = s.ids.properties
    await op.calendar.import(s.ctx, {property: flat, ics: feed([['a', day(20), day(23)]]), fileName: 'c.ics'})
    await expectRefused(s.db, () => op.calendar.import(s.ctx, {property: flat, ics: '<html>Sign in</html>', fileName: 'c.ics'}), ValidationError, /no iCalendar feed/)
  })

  it('round-trips: export of one listing → import into another → the same nights blocked', async () => {
    const {loft, cabin} = s.ids.properties
    await op.blocks.create(s.ctx, {property: String(loft), startDate: day(60), endDate: day(65), reason: 'Roof repair by Guinevere'})
    const exported = await op.calendar.export(s.ctx, {property: loft})
    expect(exported.ics).to.include('SUMMARY:Blocked')
    expect(exported.ics).not.to.include('Guinevere')
    const result = await op.calendar.import(s.ctx, {property: cabin, ics: exported.ics, fileName: 'loft.ics'})
    expect(result).to.deep.include({events: 3, added: 3, conflicts: [], problems: []})
    const nights = (await blocksOf(cabin)).map(([, start, end]) => [start, end])
    expect(nights).to.deep.equal([
      [day(-10), day(-7)],
      [day(14), day(17)],
      [day(60), day(65)],
    ])
  })

  describe('sync', () => {
    let server: StubServer
    let body: string
    const etags: string[] = []
    before(async () => {
      server = await stubServer((req, res) => {
        etags.push(String(req.headers['if-none-match'] ?? ''))
        const etag = `"${Buffer.from(body).toString('base64').slice(-12)}"`
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, {etag})
          return res.end()
        }
        res.writeHead(200, {'content-type': 'text/calendar; charset=utf-8', etag})
        res.end(body)
      })
    })
    after(() => server.close())

    it('pulls every registered feed with a conditional GET: twice in a row changes nothing', async () => {
      const {flat} = s.ids.properties
      const url = server.url.replace('/graphql', '/flat.ics')
      body = feed([['a', day(20), day(23)]])
      await op.calendar.addFeed(s.ctx, {property: flat, url})
      etags.length = 0
      const first = await op.calendar.sync(s.ctx, {})
      expect(first.feeds.map((f) => [f.status, f.result?.added])).to.deep.equal([['synced', 1]])
      const second = await op.calendar.sync(s.ctx, {})
      expect(second.feeds.map((f) => f.status)).to.deep.equal(['not-modified'])
      expect(etags[0]).to.equal('')
      expect(etags[1]).to.match(/^".+"$/)
      body = feed([])
      const emptied = await op.calendar.sync(s.ctx, {property: flat})
      expect(emptied.feeds[0].result).to.deep.include({removed: 1})
      expect(await blocksOf(flat)).to.deep.equal([])
      await op.calendar.removeFeed(s.ctx, {property: flat, url})
      expect(await op.calendar.listFeeds(s.ctx, {property: flat})).to.deep.equal([])
    })

    it('fetches a feed that had conflicts in full again, and reports them again (no 304 hiding them)', async () => {
      const {loft} = s.ids.properties
      const url = server.url.replace('/graphql', '/loft.ics')
      body = feed([['clash', day(15), day(16)]])
      await op.calendar.addFeed(s.ctx, {property: loft, url})
      const first = await op.calendar.sync(s.ctx, {property: loft})
      const second = await op.calendar.sync(s.ctx, {property: loft})
      for (const run of [first, second]) {
        expect(run.feeds[0].status).to.equal('synced')
        expect(run.feeds[0].result?.conflicts.map((c) => c.uid)).to.deep.equal(['clash'])
      }
    })
  })
})
