import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {askEmail, askUsername, newPassword} from '../../src/cli/prompts.js'
import type {UserView} from '../../src/services/users.js'

export default class UsersCreate extends BaseCommand<typeof UsersCreate> {
  static override summary = 'Create a user account'
  static override description = `Creates a user. Missing values are asked for on a terminal; in scripts pass them as flags and the password on stdin with --password-stdin. Usernames and emails are unique regardless of case; passwords have 8 characters to 72 bytes.

Exit codes: 0 created, 2 a value is missing off a terminal, 3 invalid value, 5 username or email taken.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'echo "$PASSWORD" | <%= config.bin %> <%= command.id %> --username alice --email alice@example.com --password-stdin',
    'echo "$PASSWORD" | <%= config.bin %> <%= command.id %> --username root2 --email ops@example.com --admin --password-stdin --json',
  ]

  static override flags = {
    username: Flags.string({description: 'Login name (3–50 letters, digits, . _ -)'}),
    email: Flags.string({description: 'Email address (stored lower-case)'}),
    'first-name': Flags.string({description: 'First name'}),
    'last-name': Flags.string({description: 'Last name'}),
    admin: Flags.boolean({description: 'Give the user admin rights'}),
    'password-stdin': Flags.boolean({description: 'Read the password from stdin'}),
  }

  async run(): Promise<UserView> {
    const username = this.flags.username ?? (await askUsername())
    const email = this.flags.email ?? (await askEmail())
    const password = await newPassword(this.flags['password-stdin'])
    const user = await (await this.backend()).users.create({
      username,
      email,
      password,
      firstName: this.flags['first-name'],
      lastName: this.flags['last-name'],
      isAdmin: this.flags.admin,
    })
    this.log(`Created user ${user.id} (${user.username}${user.isAdmin ? ', admin' : ''}).`)
    return user
  }
}
