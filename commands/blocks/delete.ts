import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'

export default class BlocksDelete extends BaseCommand<typeof BlocksDelete> {
  static override summary = 'Delete a block, freeing its nights'
  static override description = `Deletes a block of nights. The property's host or an admin. Asks for confirmation on a terminal. A block that came from a feed comes back at the next sync while its event is in the feed.

Exit codes: 0, 2 not confirmed off a terminal, 4 no such block, 6 not your property.`

  static override examples = ['<%= config.bin %> <%= command.id %> 7', '<%= config.bin %> <%= command.id %> 7 --yes --json']

  static override args = {block: Args.string({description: 'Block id', required: true})}
  static override flags = {yes: flags.yes}

  async run(): Promise<{id: number; deleted: true} | {cancelled: true}> {
    if (!this.flags.yes && !(await confirmOrFail(`Delete block ${this.args.block}?`, '--yes'))) {
      this.log('Nothing changed.')
      return {cancelled: true}
    }
    const result = await (await this.backend()).blocks.delete(this.args.block)
    this.log(`Deleted block ${result.id}.`)
    return result
  }
}
