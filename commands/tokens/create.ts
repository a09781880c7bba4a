import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {details} from '../../src/cli/render.js'
import type {CreatedToken} from '../../src/services/auth.js'

export default class TokensCreate extends BaseCommand<typeof TokensCreate> {
  static override summary = 'Create an API token for scripts (shown once)'
  static override description = `Creates a long-lived API token (stay_t_…) for a user, for scripts that call a stayctl server: send it as "Authorization: Bearer <token>". The token is printed once and stored only as a hash: copy it now. It expires after --expires-in-days (1–365, default 90) and can be revoked with \`tokens revoke\`. Run locally, say whose token it is with --user. A token made with a login session (with --api) ends when the password of the session's user changes or that user is deactivated; one made locally does not.

Exit codes: 0, 3 invalid name, days or no --user, 4 no such user, 5 user deactivated, 6 not allowed.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --name ci --user alice',
    '<%= config.bin %> <%= command.id %> --name nightly-export --user 42 --expires-in-days 30',
    'TOKEN=$(<%= config.bin %> <%= command.id %> --name backup --user ops@example.com --json | jq -r .token)',
  ]

  static override flags = {
    name: Flags.string({description: 'What the token is for (1–100 characters; not "session")', required: true}),
    'expires-in-days': Flags.integer({description: 'Days until the token expires (1–365)', default: 90}),
    user: Flags.string({description: 'Whose token: user id, username or email'}),
  }

  async run(): Promise<CreatedToken> {
    const f = this.flags
    const created = await (await this.backend()).tokens.create({name: f.name, expiresInDays: f['expires-in-days'], user: f.user})
    this.log(
      details([
        ['Token', created.token],
        ['ID', created.id],
        ['User', `${created.userId} (${created.username})`],
        ['Name', created.name],
        ['Expires', created.expiresAt],
      ]),
    )
    this.note('Copy the token now: it is not stored and cannot be shown again.')
    return created
  }
}
