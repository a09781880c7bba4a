import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {UsageError} from '../../src/errors.js'
import type {ReviewView} from '../../src/services/reviews.js'

export default class ReviewsUpdate extends BaseCommand<typeof ReviewsUpdate> {
  static override summary = "Change a review's rating or comment"
  static override description = `Changes a review's rating (a whole number from 1 to 5) and/or its comment (--no-comment removes it); what is not given stays.
Who: the review's author, or an admin moderating its comment. The rating is the author's alone: an admin (the local operator too) may not change another user's rating. Hosts change no review.

Exit codes: 0, 2 nothing to change, 3 bad rating or comment, 4 no such review, 6 not your review, or another user's rating.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 7 --comment "Lovely view, noisy street"',
    '<%= config.bin %> <%= command.id %> 7 --no-comment --json',
    '<%= config.bin %> <%= command.id %> 7 --rating 4 --api https://stay.example.com/graphql   # its author, logged in with stayctl login',
  ]

  static override args = {review: Args.integer({description: 'Review id', required: true})}

  static override flags = {
    rating: Flags.integer({description: 'New rating from 1 to 5 (its author only)'}),
    comment: Flags.string({description: 'New text of the review', exclusive: ['no-comment']}),
    'no-comment': Flags.boolean({description: 'Remove the text of the review', exclusive: ['comment']}),
  }

  async run(): Promise<ReviewView> {
    const f = this.flags
    const changes = {rating: f.rating, comment: f['no-comment'] ? null : f.comment}
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nothing to change', {suggestion: 'pass --rating, --comment or --no-comment'})
    }
    const review = await (await this.backend()).reviews.update(this.args.review, changes)
    this.log(`Updated review ${review.id} of property ${review.propertyId}: ${review.rating}/5${review.comment === null ? ', no comment' : ''}.`)
    return review
  }
}
