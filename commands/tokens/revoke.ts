import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {TokenView} from '../../src/services/auth.js'

export default class TokensRevoke extends BaseCommand<typeof TokensRevoke> {
  static override summary = 'Revoke an API token or a login session'
  static override description = `Revokes a token (an API token or a login session) at once: requests carrying it are refused from now on. Revoking a revoked token changes nothing. Find the id with \`tokens list\`.

Exit codes: 0, 4 no such token, 6 not allowed.`

  static override examples = ['<%= config.bin %> <%= command.id %> 17', '<%= config.bin %> <%= command.id %> 17 --json']

  static override args = {token: Args.integer({description: 'Token id (from `tokens list`)', required: true})}

  async run(): Promise<TokenView> {
    const token = await (await this.backend()).tokens.revoke(this.args.token)
    this.log(`Token ${token.id} (${token.name}, user ${token.userId}) is revoked${token.revokedAt ? ` since ${token.revokedAt}` : ''}.`)
    return token
  }
}
