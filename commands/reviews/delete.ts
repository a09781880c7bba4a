import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'

export default class ReviewsDelete extends BaseCommand<typeof ReviewsDelete> {
  static override summary = 'Delete a review (moderation)'
  static override description = `Deletes a review. Asks for confirmation on a terminal.

Exit codes: 0, 2 not confirmed off a terminal, 4 no such review.`

  static override examples = ['<%= config.bin %> <%= command.id %> 7', '<%= config.bin %> <%= command.id %> 7 --yes --json']

  static override args = {review: Args.integer({description: 'Review id', required: true})}
  static override flags = {yes: flags.yes}

  async run(): Promise<{id: number; deleted: true} | {cancelled: true}> {
    if (!this.flags.yes && !(await confirmOrFail(`Delete review ${this.args.review}?`, '--yes'))) {
      this.log('Nothing changed.')
      return {cancelled: true}
    }
    const result = await (await this.backend()).reviews.delete(this.args.review)
    this.log(`Deleted review ${result.id}.`)
    return result
  }
}
