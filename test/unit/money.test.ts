import {expect} from 'chai'

import {ValidationError} from '../../src/errors.js'
import {formatCents, parseAmount, toCents} from '../../src/services/money.js'
import {fixtures} from '../support/fixtures.js'

describe('money (unit)', () => {
  describe('parseAmount', () => {
    it('reads whole units, one or two decimals, and trims', () => {
      expect(parseAmount('12')).to.equal(1200)
      expect(parseAmount('12.5')).to.equal(1250)
      expect(parseAmount('12.50')).to.equal(1250)
      expect(parseAmount(' 0.01 ')).to.equal(1)
      expect(parseAmount('0')).to.equal(0)
      expect(parseAmount('9999999999.99')).to.equal(999_999_999_999)
      expect(parseAmount(12.5)).to.equal(1250)
    })

    it('never goes through a float: the classic traps come out exact', () => {
      // 0.29 * 100 = 28.999999999999996 and 1.15 * 100 = 114.99999999999999 in floats.
      for (const [text, cents] of [['0.29', 29], ['1.15', 115], ['4.35', 435], ['33.33', 3333], ['1.13', 113]] as const) {
        expect(parseAmount(text)).to.equal(cents)
        expect(parseAmount(Number(text))).to.equal(cents)
      }
    })

    it('refuses more than two decimals, signs, exponents and junk, naming the field', () => {
      for (const bad of ['1.005', '-1', '+1', '1e3', '', ' ', '.5', '12.', '1,50', 'abc', '12345678901']) {
        expect(() => parseAmount(bad, 'price per night'), bad).to.throw(ValidationError, /^price per night must be/)
      }
    })
  })

  describe('toCents', () => {
    it('reads DECIMAL values as MySQL (strings) and SQLite (numbers) return them', () => {
      expect(toCents('120.00')).to.equal(12_000)
      expect(toCents(120)).to.equal(12_000)
      expect(toCents(33.33)).to.equal(3333)
      expect(toCents('0.10')).to.equal(10)
      expect(toCents(0.1)).to.equal(10)
      expect(toCents('7.5')).to.equal(750)
      expect(toCents('-5.25')).to.equal(-525)
      expect(toCents(null)).to.equal(0)
      expect(toCents(undefined)).to.equal(0)
    })
  })

  describe('formatCents', () => {
    it('always prints two decimals', () => {
      expect(formatCents(0)).to.equal('0.00')
      expect(formatCents(5)).to.equal('0.05')
      expect(formatCents(100)).to.equal('1.00')
      expect(formatCents(99_999)).to.equal('999.99')
      expect(formatCents(-525)).to.equal('-5.25')
    })

    it('round-trips with parseAmount and toCents', () => {
      for (let cents = 0; cents < 20_000; cents += 37) {
        expect(parseAmount(formatCents(cents))).to.equal(cents)
        expect(toCents(formatCents(cents))).to.equal(cents)
      }
    })
  })

  it('prices 3 nights of the flat (33.33) at exactly 99.99', () => {
    expect(formatCents(3 * parseAmount(fixtures.properties.flat.pricePerNight))).to.equal('99.99')
    expect(formatCents(3 * parseAmount(fixtures.properties.cabin.pricePerNight))).to.equal('999.99')
  })
})
