import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersActivate extends BaseCommand<typeof UsersActivate> {
  static override summary = 'Let a user log in and book again'
  static override description = `Reactivates a deactivated user. Doing it twice is not an error.

Exit codes: 0, 4 no such user.`

  static override examples = ['<%= config.bin %> <%= command.id %> alice', '<%= config.bin %> <%= command.id %> 42 --json']

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}

  async run(): Promise<UserView> {
    const user = await (await this.backend()).users.activate(this.args.user)
    this.log(`User ${user.id} (${user.username}) is ${user.isActive ? 'active' : 'inactive'}.`)
    return user
  }
}
