import {expect} from 'chai'

import {ValidationError} from '../../src/errors.js'
import {addDays, daysBetween, parseDate, parseInstant, parseStay, today} from '../../src/services/dates.js'
import {TODAY, day} from '../support/fixtures.js'

describe('dates (unit)', () => {
  describe('parseDate', () => {
    it('accepts calendar dates, trimmed', () => {
      expect(parseDate('2027-06-15', 'd')).to.equal('2027-06-15')
      expect(parseDate(' 2028-02-29 ', 'd')).to.equal('2028-02-29')
    })

    it('refuses days that do not exist and other formats, naming the field', () => {
      for (const bad of ['2027-02-29', '2027-02-30', '2027-13-01', '2027-00-10', '2027-1-5', '27-01-05', '2027/01/05', '2027-01-05T00:00:00Z', '']) {
        expect(() => parseDate(bad, 'start date'), bad).to.throw(ValidationError, /^start date must be a calendar date/)
      }
    })
  })

  describe('parseInstant (issue 12, item 3)', () => {
    it('takes ISO 8601 dates (midnight UTC) and date-times with Z or an offset, to the millisecond', () => {
      const cases: [string, string][] = [
        ['2027-02-28', '2027-02-28T00:00:00.000Z'],
        ['2028-02-29', '2028-02-29T00:00:00.000Z'],
        ['2027-06-15T10:30Z', '2027-06-15T10:30:00.000Z'],
        ['2027-06-15T10:30:00Z', '2027-06-15T10:30:00.000Z'],
        [' 2027-06-15T10:30:00.5Z ', '2027-06-15T10:30:00.500Z'],
        ['2027-06-15T10:30:00.301Z', '2027-06-15T10:30:00.301Z'],
        ['2027-06-15T12:30:00+02:00', '2027-06-15T10:30:00.000Z'],
        ['2027-06-15T12:30:00.250+0200', '2027-06-15T10:30:00.250Z'],
        ['2027-06-15T05:30:00-05', '2027-06-15T10:30:00.000Z'],
        ['2027-01-01T00:30:00+01:00', '2026-12-31T23:30:00.000Z'],
        ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
        ['1000-01-01', '1000-01-01T00:00:00.000Z'],
      ]
      for (const [text, iso] of cases) expect(parseInstant(text, 'paymentDate').toISOString(), text).to.equal(iso)
    })

    it('refuses what Date would guess at, naming the field and saying why', () => {
      const cases: [string, RegExp][] = [
        ['2027-02-30', /names no day of the calendar/],
        ['2027-02-29', /names no day of the calendar/],
        ['2027-13-01', /names no day of the calendar/],
        ['1', /is not an ISO 8601 date or date-time/],
        ['2027', /is not an ISO 8601 date or date-time/],
        ['March 7', /is not an ISO 8601 date or date-time/],
        ['Mon, 07 Mar 2027 10:00:00 GMT', /is not an ISO 8601 date or date-time/],
        ['2027-03-07 10:00:00', /is not an ISO 8601 date or date-time/],
        ['2027/03/07', /is not an ISO 8601 date or date-time/],
        ['1700000000000', /is not an ISO 8601 date or date-time/],
        ['2027-06-15T10:30:00', /has no time zone/],
        ['2027-06-15T10:30', /has no time zone/],
        ['2027-06-15T24:00:00Z', /is not a time of day/],
        ['2027-06-15T10:60:00Z', /is not a time of day/],
        ['2027-06-15T10:30:60Z', /is not a time of day/],
        ['2027-06-15T10:30:00.1234Z', /finer than milliseconds/],
        ['2027-06-15T10:30:00+24:00', /offset/],
        ['0999-12-31T23:59:59Z', /outside the years 1000 to 9999/],
        ['0050-01-01', /outside the years 1000 to 9999/],
        ['9999-12-31T23:00:00-05:00', /outside the years 1000 to 9999/],
        ['+010000-01-01T00:00:00Z', /is not an ISO 8601/],
        ['', /is not an ISO 8601/],
      ]
      for (const [text, why] of cases) {
        let caught: unknown
        try {
          parseInstant(text, 'paymentDate')
        } catch (error) {
          caught = error
        }
        expect(caught, text).to.be.instanceOf(ValidationError)
        expect((caught as ValidationError).message, text).to.match(/^paymentDate "/).and.match(why)
        expect((caught as ValidationError).details).to.deep.equal({field: 'paymentDate'})
      }
    })
  })

  describe('today', () => {
    let saved: string | undefined
    beforeEach(() => (saved = process.env.STAYCTL_TODAY))
    afterEach(() => {
      if (saved === undefined) delete process.env.STAYCTL_TODAY
      else process.env.STAYCTL_TODAY = saved
    })

    it('is STAYCTL_TODAY when set (how tests fix the calendar)', () => {
      process.env.STAYCTL_TODAY = TODAY
      expect(today()).to.equal(TODAY)
    })

    it('refuses a malformed STAYCTL_TODAY', () => {
      process.env.STAYCTL_TODAY = '15/06/2027'
      expect(() => today()).to.throw(ValidationError, /STAYCTL_TODAY/)
    })

    it('is the UTC date otherwise', () => {
      delete process.env.STAYCTL_TODAY
      const before = new Date().toISOString().slice(0, 10)
      const value = today()
      expect([before, new Date().toISOString().slice(0, 10)]).to.include(value)
    })
  })

  describe('daysBetween and addDays', () => {
    it('count whole UTC days across months, years, leap days and DST changes', () => {
      expect(daysBetween('2027-06-15', '2027-06-15')).to.equal(0)
      expect(daysBetween('2027-12-30', '2028-01-02')).to.equal(3)
      expect(daysBetween('2028-02-28', '2028-03-01')).to.equal(2)
      expect(daysBetween('2027-03-27', '2027-03-29')).to.equal(2)
      expect(daysBetween('2027-10-30', '2027-11-01')).to.equal(2)
      expect(daysBetween('2027-06-15', '2027-06-01')).to.equal(-14)
      expect(addDays('2027-12-31', 1)).to.equal('2028-01-01')
      expect(addDays('2028-03-01', -1)).to.equal('2028-02-29')
      expect(day(-10)).to.equal('2027-06-05')
    })

    it('agree with Date arithmetic on every day around leap centuries and at the ends of the four-digit years', () => {
      // parseDate, daysBetween and addDays count by integer arithmetic; Date is the reference.
      const viaDate = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
      for (const start of ['0000-01-01', '1599-12-01', '1899-12-01', '1999-12-01', '2099-12-01', '9997-10-01']) {
        for (let n = 0; n < 800; n++) {
          const date = viaDate(start, n)
          // A DATE column holds the years 1000 to 9999: earlier days are calendar days, and refused.
          if (date < '1000') expect(() => parseDate(date, 'd'), date).to.throw(ValidationError, /^d must be a date of the years 1000 to 9999/)
          else expect(parseDate(date, 'd')).to.equal(date)
          expect(addDays(start, n), `${start} + ${n}`).to.equal(date)
          expect(addDays(date, -n), `${date} - ${n}`).to.equal(start)
          expect(daysBetween(start, date), `${start} → ${date}`).to.equal(n)
        }
      }
      for (const bad of ['1900-02-29', '2100-02-29', '2027-04-31', '2027-06-31', '2027-09-31', '2027-11-31', '2027-01-32']) {
        expect(() => parseDate(bad, 'd'), bad).to.throw(ValidationError)
      }
      expect(parseDate('2000-02-29', 'd')).to.equal('2000-02-29')
      expect(parseDate('1600-02-29', 'd')).to.equal('1600-02-29')
      expect(parseDate('1000-01-01', 'd')).to.equal('1000-01-01')
      expect(parseDate('9999-12-31', 'd')).to.equal('9999-12-31')
    })
  })

  describe('parseStay', () => {
    it('counts nights with an exclusive check-out', () => {
      expect(parseStay('2027-06-15', '2027-06-18')).to.deep.equal({startDate: '2027-06-15', endDate: '2027-06-18', nights: 3})
      expect(parseStay('2027-01-01', '2028-01-01').nights).to.equal(365)
    })

    it('refuses a check-out on or before the check-in, and stays over 365 nights', () => {
      expect(() => parseStay('2027-06-15', '2027-06-15')).to.throw(ValidationError, /must be after start date/)
      expect(() => parseStay('2027-06-15', '2027-06-14')).to.throw(ValidationError, /must be after start date/)
      expect(() => parseStay('2028-01-01', '2029-01-01')).to.throw(ValidationError, /366 nights is too long/)
      expect(() => parseStay('2027-06-15', 'soon')).to.throw(ValidationError, /end date/)
    })
  })
})
