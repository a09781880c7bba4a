import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {details} from '../../src/cli/render.js'
import type {Block} from '../../src/domain.js'

export default class BlocksShow extends BaseCommand<typeof BlocksShow> {
  static override summary = 'Show a block'
  static override description = `Shows a block of nights: its property's host and admins.

Exit codes: 0, 4 no such block, 6 not on your property.`

  static override examples = ['<%= config.bin %> <%= command.id %> 7', '<%= config.bin %> <%= command.id %> 7 --json']

  static override args = {block: Args.string({description: 'Block id', required: true})}

  async run(): Promise<Block> {
    const b = await (await this.backend()).blocks.show(this.args.block)
    this.log(
      details([
        ['ID', b.id],
        ['Property', b.propertyId],
        ['Nights', `${b.startDate} → ${b.endDate} (${b.nights} nights)`],
        ['Reason', b.reason],
        ['Source', b.source],
        ['Event UID', b.sourceUid],
        ['Created', b.createdAt],
      ]),
    )
    return b
  }
}
