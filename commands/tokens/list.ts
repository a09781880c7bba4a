import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {defaultTokenColumns, tokenColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import type {TokenView} from '../../src/services/auth.js'
import type {Page} from '../../src/services/pagination.js'

export default class TokensList extends BaseCommand<typeof TokensList> {
  static override summary = 'List API tokens and login sessions'
  static override description = `Lists API tokens and login sessions (kind "session"), newest first: never the token or its hash. Live ones only unless --all (then revoked and expired ones too). Sort by id, createdAt, expiresAt or lastUsedAt.

Exit codes: 0, 3 bad sort or cursor, 4 no such user, 6 not allowed.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --user alice --all',
    '<%= config.bin %> <%= command.id %> --sort -lastUsedAt --columns id,username,name,lastUsedAt --csv',
  ]

  static override flags = {
    ...flags.list,
    user: Flags.string({description: 'Only this user’s tokens: user id, username or email'}),
    all: Flags.boolean({description: 'Include revoked and expired tokens'}),
  }

  async run(): Promise<Page<TokenView>> {
    const f = this.flags
    const result = await (await this.backend()).tokens.list({user: f.user, all: f.all, sort: f.sort ?? '-id', limit: f.limit, cursor: f.cursor})
    this.printPage(renderPage(result, tokenColumns, f, defaultTokenColumns))
    return result
  }
}
