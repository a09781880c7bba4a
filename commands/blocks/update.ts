import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {Block} from '../../src/domain.js'
import {UsageError} from '../../src/errors.js'

export default class BlocksUpdate extends BaseCommand<typeof BlocksUpdate> {
  static override summary = 'Move a block or change its reason'
  static override description = `Moves a block to new dates (checked like a new block: refused when they overlap a booking that is not cancelled or another block) or changes its reason. The property's host or an admin.

Exit codes: 0, 2 nothing to change, 3 invalid dates, 4 no such block, 5 overlap, 6 not your property.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 7 --to 2026-12-29',
    '<%= config.bin %> <%= command.id %> 7 --reason "owner stay"',
  ]

  static override args = {block: Args.string({description: 'Block id', required: true})}

  static override flags = {
    from: Flags.string({description: 'New first night, YYYY-MM-DD'}),
    to: Flags.string({description: 'New end, YYYY-MM-DD (exclusive)'}),
    reason: Flags.string({description: 'New reason ("" clears it)'}),
  }

  async run(): Promise<Block> {
    const f = this.flags
    const changes = {startDate: f.from, endDate: f.to, reason: f.reason}
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nothing to change', {suggestion: 'pass --from, --to or --reason'})
    }
    const block = await (await this.backend()).blocks.update(this.args.block, changes)
    this.log(`Updated block ${block.id}: property ${block.propertyId}, ${block.startDate} → ${block.endDate} (${block.nights} nights).`)
    return block
  }
}
