import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'
import type {EraseUserResult} from '../../src/services/users.js'

export default class UsersErase extends BaseCommand<typeof UsersErase> {
  static override summary = 'Erase a user’s personal data (GDPR), keeping the books'
  static override description = `Answers an erasure request: username, email, names and password are replaced, review texts removed and API tokens deleted. Every username, email and name the user has had (before renames too, however short) is replaced by [erased] in the audit events that are the user's: those about the account, those the user made (while the name was theirs: a name given up and taken by someone else stays theirs), those about the user's bookings, payments, reviews and tokens, and in the reasons of the user's payments. Nothing is matched as a mere substring, and nobody else's events or payments are changed. Bookings, payments and ratings stay, so the accounts still add up. The account is deactivated. This cannot be undone; asks for confirmation on a terminal.

Exit codes: 0, 2 not confirmed off a terminal, 4 no such user.`

  static override examples = ['<%= config.bin %> <%= command.id %> alice', '<%= config.bin %> <%= command.id %> 42 --yes --json']

  static override args = {user: Args.string({description: 'User id, username or email', required: true})}
  static override flags = {yes: flags.yes}

  async run(): Promise<EraseUserResult | {cancelled: true}> {
    if (!this.flags.yes && !(await confirmOrFail(`Erase all personal data of user ${this.args.user}? This cannot be undone`, '--yes'))) {
      this.log('Nothing changed.')
      return {cancelled: true}
    }
    const result = await (await this.backend()).users.erase(this.args.user)
    this.log(`Erased user ${result.id} (now ${result.username}); ${result.reviewsScrubbed} review text(s) and ${result.auditEventsScrubbed} audit event(s) scrubbed.`)
    return result
  }
}
