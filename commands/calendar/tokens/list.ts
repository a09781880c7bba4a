import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../../src/cli/base-command.js'
import {tableOrRows} from '../../../src/cli/render.js'
import type {CalendarTokenView} from '../../../src/services/calendar/manage.js'

export default class CalendarTokensList extends BaseCommand<typeof CalendarTokensList> {
  static override summary = "List the secret URLs of a listing's feed"
  static override description = `Lists the calendar tokens of a listing (\`calendar publish\`), newest first: never the token itself. Live ones only unless --all.

Exit codes: 0, 4 no such property, 6 not its host or an admin.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12', '<%= config.bin %> <%= command.id %> 12 --all --json']

  static override args = {property: Args.string({description: 'Property id or name', required: true})}
  static override flags = {all: Flags.boolean({description: 'Include revoked tokens'})}

  async run(): Promise<CalendarTokenView[]> {
    const tokens = await (await this.backend()).calendar.listTokens({property: this.args.property, all: this.flags.all})
    this.log(
      tableOrRows(tokens, [
        {header: 'ID', get: (t) => t.id, align: 'right'},
        {header: 'Status', get: (t) => t.status},
        {header: 'Created', get: (t) => t.createdAt},
        {header: 'Last used', get: (t) => t.lastUsedAt},
        {header: 'Revoked', get: (t) => t.revokedAt},
      ]),
    )
    return tokens
  }
}
