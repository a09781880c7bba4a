import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {defaultUserColumns, userColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import type {Page} from '../../src/services/pagination.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersList extends BaseCommand<typeof UsersList> {
  static override summary = 'List users'
  static override description = `Lists users, filtered and sorted, one page at a time (keyset cursor). Sort by id, username, email or createdAt.

Exit codes: 0, 3 bad filter, sort or cursor.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --search alice --active',
    '<%= config.bin %> <%= command.id %> --admin --sort -createdAt --limit 10',
    '<%= config.bin %> <%= command.id %> --csv --columns id,username,email > users.csv',
  ]

  static override flags = {
    ...flags.list,
    active: Flags.boolean({description: 'Only active users (--no-active: only inactive)', allowNo: true}),
    admin: Flags.boolean({description: 'Only admins (--no-admin: only non-admins)', allowNo: true}),
    search: Flags.string({description: 'Text in username, email or name'}),
  }

  async run(): Promise<Page<UserView>> {
    const {active, admin, search, sort, limit, cursor} = this.flags
    const result = await (await this.backend()).users.list({active, admin, search, sort, limit, cursor})
    this.printPage(renderPage(result, userColumns, this.flags, defaultUserColumns))
    return result
  }
}
