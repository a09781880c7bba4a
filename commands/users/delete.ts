import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'
import type {DeleteUserResult} from '../../src/services/users.js'

export default class UsersDelete extends BaseCommand<typeof UsersDelete> {
  static override summary = 'Delete a user who owns and booked nothing'
  static override description = `Deletes a user. Refused while the user owns properties or has bookings or payments (the books keep them); deactivate such users, or pass --erase to erase their personal data instead (see \`users erase\`). Asks for confirmation on a terminal.

Exit codes: 0, 2 not confirmed off a terminal, 4 no such user, 5 refused (holdings).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> alice',
    '<%= config.bin %> <%= command.id %> 42 --yes',
    '<%= config.bin %> <%= command.id %> bob --erase --yes',
  ]

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}
  static override flags = {
    yes: flags.yes,
    erase: Flags.boolean({description: 'If the user has holdings, erase their personal data instead of refusing'}),
  }

  async run(): Promise<DeleteUserResult | {cancelled: true}> {
    if (!this.flags.yes && !(await confirmOrFail(`Delete user ${this.args.user}?`, '--yes'))) {
      this.log('Nothing changed.')
      return {cancelled: true}
    }
    const result = await (await this.backend()).users.delete(this.args.user, {erase: this.flags.erase})
    this.log(result.deleted ? `Deleted user ${result.id}.` : `User ${result.id} has holdings: personal data erased, rows kept.`)
    return result
  }
}
