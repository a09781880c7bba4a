import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {ReviewView} from '../../src/services/reviews.js'

export default class ReviewsCreate extends BaseCommand<typeof ReviewsCreate> {
  static override summary = 'Review a property after a stay'
  static override description = `Records a guest's review. Only a guest whose confirmed stay at the property has ended may review it, once; the rating is a whole number from 1 to 5.

Exit codes: 0, 3 bad rating or a property name several hosts use, 4 no such property or user, 5 not eligible or already reviewed.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --property 12 --reviewer alice --rating 5 --comment "Lovely view"',
    '<%= config.bin %> <%= command.id %> --property 12 --reviewer 7 --rating 3 --json',
  ]

  static override flags = {
    property: Flags.string({description: 'Property id or exact name (a name several hosts use: its id)', required: true}),
    reviewer: Flags.string({description: 'Guest: user id, username or email', required: true}),
    rating: Flags.integer({description: 'Rating from 1 to 5', required: true}),
    comment: Flags.string({description: 'Text of the review'}),
  }

  async run(): Promise<ReviewView> {
    const f = this.flags
    const review = await (await this.backend()).reviews.create({property: f.property, reviewer: f.reviewer, rating: f.rating, comment: f.comment})
    this.log(`Created review ${review.id} of property ${review.propertyId}: ${review.rating}/5.`)
    return review
  }
}
