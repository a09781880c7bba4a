import {Args} from '@oclif/core'

import {BaseCommand} from '../../../src/cli/base-command.js'
import type {CalendarTokenView} from '../../../src/services/calendar/manage.js'

export default class CalendarTokensRevoke extends BaseCommand<typeof CalendarTokensRevoke> {
  static override summary = "Revoke a secret URL of a listing's feed"
  static override description = `Revokes a calendar token: its URL answers 404 from now on, as an unknown one does. Revoking a revoked token changes nothing. Find the id with \`calendar tokens list\`.

Exit codes: 0, 4 no such token, 6 not the listing's host or an admin.`

  static override examples = ['<%= config.bin %> <%= command.id %> 3']

  static override args = {token: Args.integer({description: 'Calendar token id', required: true})}

  async run(): Promise<CalendarTokenView> {
    const token = await (await this.backend()).calendar.revokeToken(this.args.token)
    this.log(`Calendar token ${token.id} of property ${token.propertyId} is revoked since ${token.revokedAt}.`)
    return token
  }
}
