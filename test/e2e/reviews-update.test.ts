/**
 * `stayctl reviews show` and `stayctl reviews update` through the built binary: a review shown
 * (a block of lines, and --json, the review's shape), its comment moderated and removed by the
 * local operator (an admin), and the documented exit codes of the refusals (2 nothing to change
 * or --comment with --no-comment, 3 a bad rating, 4 no such review, 6 another user's rating, or
 * not the author: through `stayctl serve` and --api, logged in as that user), each one line on
 * stderr, or one JSON error under --json. The author changes their rating through --api. Data
 * is prepared in-process.
 */
import {expect} from 'chai'

import {testDialect} from '../support/db.js'
import {REVIEW, errorJson, expectErrorLine, expectExit, expectShape, okJson, useCliSuite, useServedLogins} from './helpers.js'

const TODAY = '2030-06-15'

describe(`e2e: reviews show and update (${testDialect})`, function () {
  this.timeout(180_000)

  const ids: Record<string, number> = {}
  const suite = useCliSuite('reviews_update', TODAY, async (backend) => {
    const host = await backend.users.create({username: 'reviewhost', email: 'reviewhost@example.com', password: 'host-password-1'})
    for (const username of ['author', 'stranger']) ids[username] = (await backend.users.create({username, email: `${username}@example.com`, password: 'guest-password-1'})).id
    const loft = await backend.properties.create({owner: host.id, name: 'Reviewed loft', address: '1 Quay', pricePerNight: '100.00'})
    ids.loft = loft.id
    const stay = await backend.bookings.create({property: loft.id, guest: 'author', startDate: '2030-06-01', endDate: '2030-06-04', allowPast: true})
    await backend.bookings.confirm(stay.id)
    ids.review = (await backend.reviews.create({property: loft.id, reviewer: 'author', rating: 4, comment: 'Lovely view'})).id
  })
  const run = suite.run

  /** The review as stored, and its review.update events: what a refused update must leave as it was. */
  async function stored() {
    const row = (await suite.scratch.db.models.Review.findByPk(ids.review, {raw: true}))!
    const events = await suite.scratch.db.models.AuditEvent.count({where: {action: 'review.update', entityId: String(ids.review)}})
    return {row, events}
  }

  it('shows a review: one line per field, and --json the review', async () => {
    const {stdout} = expectExit(await run(['reviews', 'show', String(ids.review)]), 0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines.slice(0, 5)).to.deep.equal([`ID        ${ids.review}`, `Property  ${ids.loft}`, `Reviewer  ${ids.author}`, 'Rating    4/5', 'Comment   Lovely view'])
    expect(lines[5]).to.match(/^Created {3}\d{4}-\d{2}-\d{2}T/)
    const review = okJson(await run(['reviews', 'show', String(ids.review), '--json']))
    expectShape(review, REVIEW, 'reviews show')
    expect(review).to.include({id: ids.review, propertyId: ids.loft, rating: 4, comment: 'Lovely view'})
  })

  it("changes the comment (the operator moderates), saying what it did on one line; --no-comment removes it (--json: the review)", async () => {
    const result = expectExit(await run(['reviews', 'update', String(ids.review), '--comment', 'Lovely view (edited by support)']), 0)
    expect(result.stdout.trim()).to.equal(`Updated review ${ids.review} of property ${ids.loft}: 4/5.`)
    expect(okJson(await run(['reviews', 'show', String(ids.review), '--json']))).to.include({comment: 'Lovely view (edited by support)'})
    const cleared = okJson(await run(['reviews', 'update', String(ids.review), '--no-comment', '--json']))
    expectShape(cleared, REVIEW, 'reviews update')
    expect(cleared).to.include({id: ids.review, rating: 4, comment: null})
    expect((await stored()).events).to.equal(2)
  })

  it("exit 6 for the operator changing the author's rating: an admin moderates the comment only; nothing written", async () => {
    const before = await stored()
    expectErrorLine(
      await run(['reviews', 'update', String(ids.review), '--rating', '1']),
      6,
      new RegExp(`^Error: only its author may change the rating of review ${ids.review}; leave the rating out: an admin may change the comment, or delete the review$`),
    )
    expect(errorJson(await run(['reviews', 'update', String(ids.review), '--rating', '1', '--comment', 'x', '--json']), 6).code).to.equal('FORBIDDEN')
    expect(await stored()).to.deep.equal(before)
  })

  it('exit 3 for a bad rating, 4 for no such review, 2 for nothing to change or both --comment and --no-comment', async () => {
    expectErrorLine(await run(['reviews', 'update', String(ids.review), '--rating', '6']), 3, /rating must be a whole number from 1 to 5, got 6/)
    expect(errorJson(await run(['reviews', 'update', '999999', '--comment', 'x', '--json']), 4)).to.include({code: 'NOT_FOUND', message: 'no review "999999"'})
    expect(errorJson(await run(['reviews', 'show', '999999', '--json']), 4).suggestion).to.equal('find reviews with `stayctl reviews list`')
    expectErrorLine(await run(['reviews', 'update', String(ids.review)]), 2, /nothing to change/)
    expectExit(await run(['reviews', 'update', String(ids.review), '--comment', 'x', '--no-comment']), 2)
  })

  describe('through `stayctl serve` and --api, logged in as a user who is not an admin', () => {
    /** A CLI logged in to `stayctl serve` (on the suite's database) as a user: its runs go through --api. */
    const loggedIn = useServedLogins(suite.env)

    it('another guest and the host: exit 6, not theirs to change; the review unchanged (both may read it)', async () => {
      for (const [username, password] of [['stranger', 'guest-password-1'], ['reviewhost', 'host-password-1']]) {
        const as = await loggedIn(username, password)
        const before = await stored()
        expectErrorLine(await as(['reviews', 'update', String(ids.review), '--comment', 'Fake']), 6, new RegExp(`^Error: review ${ids.review} is not yours to change$`))
        expect(errorJson(await as(['reviews', 'update', String(ids.review), '--rating', '1', '--json']), 6).code).to.equal('FORBIDDEN')
        expect(await stored()).to.deep.equal(before)
        expect(okJson(await as(['reviews', 'show', String(ids.review), '--json']))).to.include({id: ids.review, rating: 4})
      }
    })

    it('the author changes their rating and comment: the review, with one more review.update event', async () => {
      const asAuthor = await loggedIn('author', 'guest-password-1')
      const before = await stored()
      const review = okJson(await asAuthor(['reviews', 'update', String(ids.review), '--rating', '2', '--comment', 'The view is a car park now', '--json']))
      expectShape(review, REVIEW, 'reviews update --api')
      expect(review).to.include({id: ids.review, rating: 2, comment: 'The view is a car park now'})
      expect((await stored()).events).to.equal(before.events + 1)
      expectErrorLine(await asAuthor(['reviews', 'update', String(ids.review), '--rating', '0']), 3, /rating must be a whole number from 1 to 5, got 0/)
    })
  })
})
