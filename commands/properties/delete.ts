import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'

export default class PropertiesDelete extends BaseCommand<typeof PropertiesDelete> {
  static override aliases = ['listings:delete']
  static override summary = 'Delete a property that never had bookings'
  static override description = `Deletes a property and its reviews. Refused while it has bookings (of any status): unlist it instead with \`properties update ID --unlist\`. Asks for confirmation on a terminal.

Exit codes: 0, 2 not confirmed off a terminal, 3 a name several hosts use, 4 no such property, 5 it has bookings.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12', '<%= config.bin %> <%= command.id %> 12 --yes --json']

  static override args = {property: Args.string({description: 'Property id or exact name (a name several hosts use: its id)', required: true})}
  static override flags = {yes: flags.yes}

  async run(): Promise<{id: number; deleted: true} | {cancelled: true}> {
    if (!this.flags.yes && !(await confirmOrFail(`Delete property ${this.args.property}?`, '--yes'))) {
      this.log('Nothing changed.')
      return {cancelled: true}
    }
    const result = await (await this.backend()).properties.delete(this.args.property)
    this.log(`Deleted property ${result.id}.`)
    return result
  }
}
