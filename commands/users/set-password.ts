import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {newPassword} from '../../src/cli/prompts.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersSetPassword extends BaseCommand<typeof UsersSetPassword> {
  static override summary = 'Set a user’s password'
  static override description = `Replaces a user's password: asked twice without echo on a terminal, or read from stdin with --password-stdin. 8 characters to 72 bytes (longer ones are refused, not cut). Every session of the user ends, and so does every token made with one; API tokens made at the command line stay.

Exit codes: 0, 2 no password off a terminal, 3 password too short or too long, 4 no such user.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> alice',
    'printf %s "$NEW_PASSWORD" | <%= config.bin %> <%= command.id %> alice --password-stdin',
  ]

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}
  static override flags = {'password-stdin': Flags.boolean({description: 'Read the password from stdin'})}

  async run(): Promise<UserView> {
    const password = await newPassword(this.flags['password-stdin'])
    const user = await (await this.backend()).users.setPassword(this.args.user, password)
    this.log(`Password of user ${user.id} (${user.username}) changed.`)
    return user
  }
}
