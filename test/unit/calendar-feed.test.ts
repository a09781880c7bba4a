/**
 * The calendar feed modules, without a database: parseFeed on feeds shaped like Airbnb's,
 * Booking.com's and Google's exports (the right nights, problems with line numbers), and
 * renderFeed (RFC 5545 shape, folding, no personal data), checked with an independent parser
 * (node-ical) and round-tripped through parseFeed.
 */
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'
import nodeIcal, {type VEvent} from 'node-ical'

import {defaultHorizon, parseFeed} from '../../src/services/calendar/parse.js'
import {foldLine, renderFeed, type FeedRange} from '../../src/services/calendar/render.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ical')
const fixture = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8')
const horizon = defaultHorizon('2026-12-06')
const ranges = (events: {uid: string; start: string; end: string}[]) => events.map((e) => [e.uid, e.start, e.end])

describe('calendar feeds (unit)', () => {
  describe('parseFeed', () => {
    it('reads an Airbnb feed: all-day reservations, one across a month boundary, folded description', () => {
      const parsed = parseFeed(fixture('airbnb.ics'), {horizon})
      expect(parsed.problems).to.deep.equal([])
      expect(ranges(parsed.events)).to.deep.equal([
        ['1418fb94e984-2b6e0b0b1a7c5f3a3f2d8b3b7ea0c1a4@airbnb.com', '2027-01-29', '2027-02-03'],
        ['7f3c1a2b9d4e-5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e@airbnb.com', '2027-02-12', '2027-02-15'],
      ])
      expect(parsed.events[1].summary).to.equal('Airbnb (Not available)')
      expect(parsed.events[0].line).to.equal(5)
    })

    it('reads a Booking.com feed with LF line ends and skips its cancelled event', () => {
      const parsed = parseFeed(fixture('booking-com.ics'), {horizon})
      expect(parsed.problems).to.deep.equal([])
      expect(ranges(parsed.events)).to.deep.equal([['a1b2c3d4e5f6@booking.com', '2027-03-01', '2027-03-05']])
    })

    it('reads a Google feed: time zones, UTC times, RRULE with EXDATE, folding; reports problems with line numbers', () => {
      const parsed = parseFeed(fixture('google.ics'), {horizon})
      expect(ranges(parsed.events)).to.deep.equal([
        // 22:00 on the 5th to 10:00 on the 8th in New York (VTIMEZONE): the nights of the 5th, 6th and 7th.
        ['ny-timed@google.com', '2027-04-05', '2027-04-08'],
        // 09:00–17:00 in Berlin (no VTIMEZONE): at least one night.
        ['berlin@google.com', '2027-04-20', '2027-04-21'],
        // 02:00Z on May 1st is 22:00 on April 30th in the calendar's X-WR-TIMEZONE (New York).
        ['utc@google.com', '2027-04-30', '2027-05-03'],
        ['weekly@google.com#2027-06-01', '2027-06-01', '2027-06-03'],
        ['weekly@google.com#2027-06-08', '2027-06-08', '2027-06-10'],
        ['weekly@google.com#2027-06-22', '2027-06-22', '2027-06-24'],
      ])
      expect(parsed.events[0].summary).to.equal('Owner stay with a summary long enough that Google folds it across two lines')
      expect(parsed.problems.map((p) => p.line)).to.deep.equal([54, 56, 66])
      expect(parsed.problems[1].message).to.match(/malformed line "DTEND;VALUE=DATE 20270705"/)
      expect(parsed.problems[0].message).to.match(/broken@google.com left out: its line 56 is malformed/)
      expect(parsed.problems[2].message).to.match(/nostart@google.com \(line 66\) left out: it has no DTSTART/)
      expect(parsed.troubledUids).to.have.members(['broken@google.com', 'nostart@google.com'])
    })

    it('expands an open-ended RRULE within the horizon only, and applies overrides (RECURRENCE-ID)', () => {
      const text = [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'BEGIN:VEVENT',
        'UID:monthly',
        'DTSTART;VALUE=DATE:20200110',
        'DTEND;VALUE=DATE:20200112',
        'RRULE:FREQ=MONTHLY',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:monthly',
        'RECURRENCE-ID;VALUE=DATE:20270110',
        'DTSTART;VALUE=DATE:20270115',
        'DTEND;VALUE=DATE:20270117',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:monthly',
        'RECURRENCE-ID;VALUE=DATE:20270210',
        'DTSTART;VALUE=DATE:20270210',
        'DTEND;VALUE=DATE:20270212',
        'STATUS:CANCELLED',
        'END:VEVENT',
        'END:VCALENDAR',
      ].join('\r\n')
      const parsed = parseFeed(text, {horizon: {from: '2026-12-01', to: '2027-04-01'}})
      expect(parsed.problems).to.deep.equal([])
      expect(ranges(parsed.events)).to.deep.equal([
        ['monthly#2026-12-10', '2026-12-10', '2026-12-12'],
        ['monthly#2027-01-10', '2027-01-15', '2027-01-17'],
        ['monthly#2027-03-10', '2027-03-10', '2027-03-12'],
      ])
    })

    it('says when the text is no calendar at all, and reports an unended event', () => {
      const html = parseFeed('<!doctype html><html><body>Login</body></html>\n', {horizon})
      expect(html.isCalendar).to.equal(false)
      expect(html.problems[0]).to.deep.include({line: 0})
      const cut = parseFeed('BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20270101\n', {horizon})
      expect(cut.events).to.deep.equal([])
      expect(cut.problems).to.deep.equal([{line: 2, message: 'BEGIN:VEVENT is never ended; left out'}])
    })

    it('reports a second event with the same UID and a DTEND before DTSTART', () => {
      const text = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'DTSTART;VALUE=DATE:20270101', 'END:VEVENT', 'BEGIN:VEVENT', 'UID:a', 'DTSTART;VALUE=DATE:20270105', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID:b', 'DTSTART;VALUE=DATE:20270110', 'DTEND;VALUE=DATE:20270108', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n')
      const parsed = parseFeed(text, {horizon})
      expect(ranges(parsed.events)).to.deep.equal([['a', '2027-01-01', '2027-01-02']])
      expect(parsed.problems.map((p) => [p.line, p.message])).to.deep.equal([
        [6, 'second event with the UID a (first at line 2); left out'],
        [10, 'event b (line 10) left out: it ends (DTEND) before it starts (DTSTART)'],
      ])
    })

    it('names the line of a date or rule that cannot be read', () => {
      const text = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'SUMMARY:x', 'DTSTART;VALUE=DATE:2027xx01', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID:b', 'DTSTART;VALUE=DATE:20270101', 'RRULE:FREQ=FORTNIGHTLY', 'END:VEVENT', 'END:VCALENDAR'].join('\n')
      const parsed = parseFeed(text, {horizon})
      expect(parsed.events).to.deep.equal([])
      expect(parsed.problems.map((p) => p.line)).to.deep.equal([5, 10])
      expect(parsed.problems[0].message).to.match(/^event a \(line 2\) left out: /)
      expect(parsed.problems[1].message).to.match(/^event b \(line 7\) left out: invalid frequency "FORTNIGHTLY"/)
    })
  })

  describe('renderFeed', () => {
    const property = {id: 7, name: 'Seaside loft with a very long name, a comma; and a semicolon — and more words to fold'}
    const feed: FeedRange[] = [
      {kind: 'booking', id: 12, start: '2027-01-29', end: '2027-02-03', updatedAt: new Date('2026-12-01T10:00:00.123Z')},
      {kind: 'block', id: 3, start: '2027-01-10', end: '2027-01-12', updatedAt: '2026-12-02T08:30:00.000Z'},
    ]

    it('writes RFC 5545: CRLF, folded at 75 octets, all-day events with exclusive DTEND and stable UIDs', () => {
      const text = renderFeed(property, feed)
      expect(text.endsWith('\r\n')).to.equal(true)
      expect(text.replace(/\r\n/g, '')).not.to.include('\n')
      for (const line of text.split('\r\n')) expect(Buffer.byteLength(line)).to.be.at.most(75)
      for (const needle of ['PRODID:', 'VERSION:2.0', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'UID:block-3@stayctl', 'UID:booking-12@stayctl', 'DTSTART;VALUE=DATE:20270129',
        'DTEND;VALUE=DATE:20270203', 'SUMMARY:Reserved', 'SUMMARY:Blocked', 'DTSTAMP:20261201T100000Z']) {
        expect(text).to.include(needle)
      }
      expect(text.indexOf('block-3')).to.be.lessThan(text.indexOf('booking-12'))
      expect(renderFeed(property, feed)).to.equal(text)
    })

    it('folds inside neither a UTF-8 sequence nor beyond 75 octets', () => {
      const folded = foldLine(`SUMMARY:${'é'.repeat(60)}`)
      for (const line of folded.split('\r\n')) expect(Buffer.byteLength(line)).to.be.at.most(75)
      expect(folded.replace(/\r\n /g, '')).to.equal(`SUMMARY:${'é'.repeat(60)}`)
    })

    it('parses with an independent parser (node-ical) to the same nights and names', () => {
      const parsed = nodeIcal.sync.parseICS(renderFeed(property, feed))
      const events = Object.values(parsed).filter((c) => c?.type === 'VEVENT') as VEvent[]
      const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
      expect(events.map((e) => [e.uid, e.datetype, day(e.start), day(e.end!), e.summary]).sort()).to.deep.equal([
        ['block-3@stayctl', 'date', '2027-01-10', '2027-01-12', 'Blocked'],
        ['booking-12@stayctl', 'date', '2027-01-29', '2027-02-03', 'Reserved'],
      ])
      const calendar = Object.values(parsed).find((c) => c?.type === 'VCALENDAR') as unknown as Record<string, unknown>
      expect(calendar['WR-CALNAME']).to.equal(`${property.name} (stayctl listing 7)`)
    })

    it('round-trips through parseFeed: the same nights', () => {
      const parsed = parseFeed(renderFeed(property, feed), {horizon})
      expect(parsed.problems).to.deep.equal([])
      expect(ranges(parsed.events)).to.deep.equal([
        ['block-3@stayctl', '2027-01-10', '2027-01-12'],
        ['booking-12@stayctl', '2027-01-29', '2027-02-03'],
      ])
    })
  })
})
