import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersDeactivate extends BaseCommand<typeof UsersDeactivate> {
  static override summary = 'Stop a user from logging in and booking'
  static override description = `Deactivates a user: they can no longer log in or book; their data stays. Their sessions end, and so do the tokens made with them (activating the user again brings none back); API tokens made at the command line stop working until the user is activated. Doing it twice is not an error.

Exit codes: 0, 4 no such user.`

  static override examples = ['<%= config.bin %> <%= command.id %> alice', '<%= config.bin %> <%= command.id %> 42 --json']

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}

  async run(): Promise<UserView> {
    const user = await (await this.backend()).users.deactivate(this.args.user)
    this.log(`User ${user.id} (${user.username}) is ${user.isActive ? 'active' : 'inactive'}.`)
    return user
  }
}
