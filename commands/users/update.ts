import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {UsageError} from '../../src/errors.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersUpdate extends BaseCommand<typeof UsersUpdate> {
  static override summary = 'Change a user’s username, email, names or admin right'
  static override description = `Updates the given fields of a user; the others stay as they are. Use set-password for passwords and activate/deactivate for access.

Exit codes: 0, 2 nothing to change, 3 invalid value, 4 no such user, 5 username or email taken.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> alice --email alice@new.example.com',
    '<%= config.bin %> <%= command.id %> 42 --admin',
    '<%= config.bin %> <%= command.id %> bob --no-admin --first-name Robert',
  ]

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}

  static override flags = {
    username: Flags.string({description: 'New username'}),
    email: Flags.string({description: 'New email'}),
    'first-name': Flags.string({description: 'First name ("" clears it)'}),
    'last-name': Flags.string({description: 'Last name ("" clears it)'}),
    admin: Flags.boolean({description: 'Grant (--admin) or revoke (--no-admin) admin rights', allowNo: true}),
  }

  async run(): Promise<UserView> {
    const {username, email, admin} = this.flags
    const changes = {username, email, firstName: this.flags['first-name'], lastName: this.flags['last-name'], isAdmin: admin}
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nothing to change', {suggestion: 'pass --username, --email, --first-name, --last-name or --admin/--no-admin'})
    }
    const user = await (await this.backend()).users.update(this.args.user, changes)
    this.log(`Updated user ${user.id} (${user.username}).`)
    return user
  }
}
