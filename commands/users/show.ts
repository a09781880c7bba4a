import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {details} from '../../src/cli/render.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersShow extends BaseCommand<typeof UsersShow> {
  static override summary = 'Show a user'
  static override description = `Shows one user, found by id, username or email (any case).

Exit codes: 0, 4 no such user.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 42',
    '<%= config.bin %> <%= command.id %> alice',
    '<%= config.bin %> <%= command.id %> Alice@Example.com --json',
  ]

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}

  async run(): Promise<UserView> {
    const user = await (await this.backend()).users.show(this.args.user)
    this.log(
      details([
        ['ID', user.id],
        ['Username', user.username],
        ['Email', user.email],
        ['Name', [user.firstName, user.lastName].filter(Boolean).join(' ')],
        ['Active', user.isActive ? 'yes' : 'no'],
        ['Admin', user.isAdmin ? 'yes' : 'no'],
        ['Created', user.createdAt],
        ['Updated', user.updatedAt],
      ]),
    )
    return user
  }
}
