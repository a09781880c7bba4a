/**
 * The calendar gaps kernel on its own (no database): the free runs of nights its stays leave,
 * the open ends, the classes, and the search's branches (a gap holds [S, E) iff a branch
 * matches it), checked against brute force.
 */
import {expect} from 'chai'

import {addDays} from '../../../src/services/dates.js'
import {
  OPEN_AFTER,
  OPEN_BEFORE,
  OPEN_BOTH,
  OPEN_END,
  OPEN_START,
  calendarGaps,
  gapsWithin,
  propertiesFreeSql,
  spanClass,
  type Gap,
} from '../../../src/services/rules/gaps.js'

const ALL = {start: OPEN_START, end: OPEN_END}
const D = (n: number) => addDays('2030-01-01', n)
const stay = (from: number, to: number) => ({start: D(from), end: D(to)})
const gap = (start: string, end: string): Gap => ({start, end, spanClass: spanClass(start, end)})

describe('rules: calendar gaps', () => {
  it('an empty calendar is one gap open at both ends', () => {
    expect(gapsWithin(ALL, [])).to.deep.equal([{start: OPEN_START, end: OPEN_END, spanClass: OPEN_BOTH}])
    expect(calendarGaps([7, 8], [{propertyId: 8, ...stay(0, 2)}]).filter((r) => r.propertyId === 7)).to.deep.equal([
      {propertyId: 7, gap: {start: OPEN_START, end: OPEN_END, spanClass: OPEN_BOTH}},
    ])
  })

  it('one stay leaves a gap open before it and one open after it', () => {
    expect(gapsWithin(ALL, [stay(0, 3)])).to.deep.equal([
      {start: OPEN_START, end: D(0), spanClass: OPEN_BEFORE},
      {start: D(3), end: OPEN_END, spanClass: OPEN_AFTER},
    ])
  })

  it('adjacent stays leave no gap between them; overlapping ones are merged; order does not matter', () => {
    expect(gapsWithin(ALL, [stay(3, 5), stay(0, 3)])).to.deep.equal([gap(OPEN_START, D(0)), gap(D(5), OPEN_END)])
    expect(gapsWithin(ALL, [stay(0, 10), stay(2, 4), stay(8, 12), stay(15, 16)])).to.deep.equal([
      gap(OPEN_START, D(0)),
      gap(D(12), D(15)),
      gap(D(16), OPEN_END),
    ])
  })

  it('cuts the gaps at the window, whose edges are taken nights', () => {
    expect(gapsWithin({start: D(0), end: D(20)}, [stay(-5, 2), stay(6, 9), stay(18, 30)])).to.deep.equal([gap(D(2), D(6)), gap(D(9), D(18))])
    expect(gapsWithin({start: D(0), end: D(20)}, [])).to.deep.equal([gap(D(0), D(20))])
    expect(gapsWithin({start: D(0), end: D(20)}, [stay(-5, 25)])).to.deep.equal([])
  })

  it('classes a finite gap of n nights as floor(log2(n)), the open ones apart', () => {
    const cls = (n: number) => spanClass(D(0), D(n))
    expect([1, 2, 3, 4, 7, 8, 15, 16, 365, 1024].map(cls)).to.deep.equal([0, 1, 1, 2, 2, 3, 3, 4, 8, 10])
    expect(spanClass(OPEN_START, D(0))).to.equal(OPEN_BEFORE)
    expect(spanClass(D(0), OPEN_END)).to.equal(OPEN_AFTER)
    expect(spanClass(OPEN_START, OPEN_END)).to.equal(OPEN_BOTH)
  })

  it('the search matches exactly the gaps that hold the stay (brute force over gaps and stays)', () => {
    // Evaluates the SQL's branches over one gap, with the dates it quotes.
    const matches = (sql: string, g: Gap) => {
      const where = sql.slice(sql.indexOf('WHERE') + 6)
      return where.split(' OR ').some((branch) => {
        const terms = branch.replace(/[()]/g, '').split(' AND ')
        return terms.every((term) => {
          const [column, op, value] = term.trim().split(' ')
          const left = column === 'span_class' ? g.spanClass : column === 'start_date' ? g.start : g.end
          const right = column === 'span_class' ? Number(value) : value.replace(/'/g, '')
          return op === '=' ? left === right : op === '<=' ? left <= right : op === '>=' ? left >= right : op === '>' ? left > right : false
        })
      })
    }
    const gaps = [gap(OPEN_START, OPEN_END), gap(OPEN_START, D(40)), gap(D(-30), OPEN_END)]
    for (let s = -3; s < 40; s += 3) for (const n of [1, 2, 3, 5, 8, 13, 21, 34, 55, 100]) gaps.push(gap(D(s), D(s + n)))
    for (let s = -10; s < 50; s += 2) {
      for (const nights of [1, 2, 3, 4, 7, 8, 9, 16, 28, 31, 365]) {
        const [start, end] = [D(s), D(s + nights)]
        const sql = propertiesFreeSql(start, end, (date) => `'${date}'`)
        for (const g of gaps) {
          expect(matches(sql, g), `${g.start}→${g.end} holds ${start}→${end}`).to.equal(g.start <= start && g.end >= end)
        }
      }
    }
  })
})
