import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {details} from '../../src/cli/render.js'
import type {ReviewView} from '../../src/services/reviews.js'

export default class ReviewsShow extends BaseCommand<typeof ReviewsShow> {
  static override summary = 'Show a review'
  static override description = `Shows a review: its property, reviewer, rating and comment. Anyone may read reviews, as far as they see the property (an unlisted one: its host, its guests and admins).

Exit codes: 0, 4 no such review.`

  static override examples = ['<%= config.bin %> <%= command.id %> 7', '<%= config.bin %> <%= command.id %> 7 --json']

  static override args = {review: Args.integer({description: 'Review id', required: true})}

  async run(): Promise<ReviewView> {
    const r = await (await this.backend()).reviews.show(this.args.review)
    this.log(
      details([
        ['ID', r.id],
        ['Property', r.propertyId],
        ['Reviewer', r.reviewerId],
        ['Rating', `${r.rating}/5`],
        ['Comment', r.comment],
        ['Created', r.createdAt],
        ['Updated', r.updatedAt],
      ]),
    )
    return r
  }
}
