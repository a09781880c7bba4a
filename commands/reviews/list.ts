import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {reviewColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import type {Page} from '../../src/services/pagination.js'
import type {ReviewView} from '../../src/services/reviews.js'

export default class ReviewsList extends BaseCommand<typeof ReviewsList> {
  static override summary = 'List reviews'
  static override description = `Lists reviews by property, reviewer and minimum rating. Sort by id, rating or createdAt.

Exit codes: 0, 3 bad filter or a property name several hosts use, 4 no such property or reviewer.`

  static override examples = ['<%= config.bin %> <%= command.id %> --property 12', '<%= config.bin %> <%= command.id %> --reviewer alice --min-rating 4 --json']

  static override flags = {
    ...flags.list,
    property: Flags.string({description: 'Property id or exact name (a name several hosts use: its id)'}),
    reviewer: Flags.string({description: 'Reviewer: user id, username or email'}),
    'min-rating': Flags.integer({description: 'Lowest rating', min: 1, max: 5}),
  }

  async run(): Promise<Page<ReviewView>> {
    const f = this.flags
    const result = await (await this.backend()).reviews.list({
      property: f.property,
      reviewer: f.reviewer,
      minRating: f['min-rating'],
      sort: f.sort,
      limit: f.limit,
      cursor: f.cursor,
    })
    this.printPage(renderPage(result, reviewColumns, f))
    return result
  }
}
