import fs from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {CalendarExport} from '../../src/services/calendar/transfer.js'

export default class CalendarExportCommand extends BaseCommand<typeof CalendarExportCommand> {
  static override summary = "Write a listing's calendar as an iCalendar (.ics) feed"
  static override description = `Writes an RFC 5545 calendar of the listing's live bookings ("Reserved") and blocks ("Blocked") that end no earlier than 30 days ago: all-day events whose DTEND is the check-out day (exclusive), with stable UIDs (booking-<id>@stayctl, block-<id>@stayctl). No guest names, emails or any other personal data, nor the reasons of blocks. To stdout, or to --output FILE. To publish it at a secret URL other channels can poll, use \`calendar publish\`.

Exit codes: 0, 4 no such property, 6 not its host or an admin.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 12 --output lake-house.ics',
    '<%= config.bin %> <%= command.id %> "Lake house" > lake-house.ics',
  ]

  static override args = {property: Args.string({description: 'Property id or name', required: true})}
  static override flags = {output: Flags.string({char: 'o', description: 'Write the feed to this file instead of stdout'})}

  async run(): Promise<CalendarExport> {
    const exported = await (await this.backend()).calendar.export({property: this.args.property})
    if (this.flags.output) {
      fs.writeFileSync(this.flags.output, exported.ics)
      this.note(`Wrote ${exported.events} event(s) of property ${exported.propertyId} to ${this.flags.output}.`)
    } else if (!this.jsonEnabled()) process.stdout.write(exported.ics)
    return exported
  }
}
