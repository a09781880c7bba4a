import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {CANCELLATION_POLICIES, type CancellationPolicy} from '../../src/domain.js'
import {ValidationError} from '../../src/errors.js'
import {checkPolicy, policyRefundCents, refundPercent} from '../../src/services/policies.js'
import {root} from '../support/cli.js'
import {fixtures} from '../support/fixtures.js'

/** The documented rules, written out by hand: percent refunded by days before check-in. */
function documented(policy: CancellationPolicy, days: number): number {
  if (days < 1) return 0
  if (policy === 'flexible') return 100
  if (policy === 'moderate') return days >= 5 ? 100 : 50
  return days >= 14 ? 100 : days >= 7 ? 50 : 0
}

describe('policies (unit)', () => {
  describe('refundPercent', () => {
    for (const policy of CANCELLATION_POLICIES) {
      it(`follows the documented ${policy} rules from 0 to 60 days`, () => {
        for (let days = 0; days <= 60; days++) expect(refundPercent(policy, days), `${days} days`).to.equal(documented(policy, days))
      })
    }

    it('gives nothing once check-in has passed', () => {
      for (const policy of CANCELLATION_POLICIES) expect(refundPercent(policy, -1)).to.equal(0)
    })

    it('matches the table in the header of src/services/policies.ts', () => {
      const source = fs.readFileSync(path.join(root, 'src/services/policies.ts'), 'utf8')
      // Columns: ≥ 14 days | 7–13 | 5–6 | 1–4 | check-in day; one day from each.
      const columns = [14, 7, 5, 1, 0]
      for (const policy of CANCELLATION_POLICIES) {
        const line = source.split('\n').find((l) => new RegExp(`^ \\* \\| ${policy}\\s*\\|`).test(l))
        expect(line, `a table row for ${policy}`).to.be.a('string')
        const cells = line!.split('|').slice(2, 7).map((cell) => Number(cell.replace('%', '').trim()))
        expect(cells).to.deep.equal(columns.map((days) => refundPercent(policy, days)))
        // And each column's range really is uniform.
        for (const [low, high] of [[7, 13], [5, 6], [1, 4]]) expect(refundPercent(policy, high)).to.equal(refundPercent(policy, low))
      }
    })
  })

  describe('policyRefundCents', () => {
    it('floors to the cent, never in the guest’s favour', () => {
      expect(policyRefundCents('moderate', 2, 99_999)).to.equal(49_999)
      expect(policyRefundCents('strict', 7, 3)).to.equal(1)
      expect(policyRefundCents('strict', 10, 1)).to.equal(0)
      expect(policyRefundCents('moderate', 4, 33_333)).to.equal(16_666)
    })

    it('refunds all or nothing at the ends', () => {
      expect(policyRefundCents('flexible', 1, 99_999)).to.equal(99_999)
      expect(policyRefundCents('flexible', 0, 99_999)).to.equal(0)
      expect(policyRefundCents('strict', 14, 12_345_678)).to.equal(12_345_678)
      expect(policyRefundCents('moderate', 30, 0)).to.equal(0)
    })

    it('uses the policy of the fixture properties', () => {
      const cabin = checkPolicy(fixtures.properties.cabin.cancellationPolicy)
      expect(policyRefundCents(cabin, 10, 99_999)).to.equal(49_999)
    })
  })

  it('checkPolicy accepts the three policies and refuses others', () => {
    for (const policy of CANCELLATION_POLICIES) expect(checkPolicy(policy)).to.equal(policy)
    for (const bad of ['Strict', 'lenient', '']) expect(() => checkPolicy(bad)).to.throw(ValidationError, /flexible, moderate, strict/)
  })
})
