import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {Block} from '../../src/domain.js'

export default class BlocksCreate extends BaseCommand<typeof BlocksCreate> {
  static override summary = 'Block nights of a property'
  static override description = `Blocks a property's nights from --from to --to (exclusive, like a check-out) so that no one can book them: maintenance, your own stay, a booking taken on another channel. The property's host or an admin. Refused when the nights overlap a booking that is not cancelled or another block (the message names it); a block ending on a check-in day is fine. Safe under concurrency: of simultaneous bookings and blocks of the same nights exactly one succeeds.

Exit codes: 0, 3 invalid dates or a property name several hosts use, 4 no such property, 5 overlap, 6 not your property.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --property 12 --from 2026-12-20 --to 2026-12-27 --reason "repainting"',
    '<%= config.bin %> <%= command.id %> --property "Sea view loft" --from 2027-01-03 --to 2027-01-05 --json',
  ]

  static override flags = {
    property: Flags.string({description: 'Property id or exact name (a name several hosts use: its id)', required: true}),
    from: Flags.string({description: 'First night blocked, YYYY-MM-DD', required: true}),
    to: Flags.string({description: 'The day after the last night, YYYY-MM-DD (exclusive)', required: true}),
    reason: Flags.string({description: 'Why (at most 500 characters)'}),
    source: Flags.string({description: 'The feed the block comes from (with --source-uid)', dependsOn: ['source-uid']}),
    'source-uid': Flags.string({description: "The event's UID in that feed (with --source)", dependsOn: ['source']}),
  }

  async run(): Promise<Block> {
    const f = this.flags
    const block = await (await this.backend()).blocks.create({
      property: f.property,
      startDate: f.from,
      endDate: f.to,
      reason: f.reason,
      source: f.source,
      sourceUid: f['source-uid'],
    })
    this.log(`Created block ${block.id}: property ${block.propertyId}, ${block.startDate} → ${block.endDate} (${block.nights} nights).`)
    return block
  }
}
