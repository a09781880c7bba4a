import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {conflictLines, feedInput, fetchFlags, fetchLimits, importExitCode, importSummary, problemLines} from '../../src/cli/calendar.js'
import type {ImportCalendarResult} from '../../src/services/calendar/transfer.js'

export default class CalendarImport extends BaseCommand<typeof CalendarImport> {
  static override summary = "Import another channel's iCalendar feed into a listing's blocked dates"
  static override description = `Reads an iCalendar (RFC 5545) feed — a file, or an http(s) URL fetched with a timeout and a size limit — and makes the listing's blocks of that source match its events: new events add blocks, changed ones move them, events gone from the feed remove the blocks they made. The source is the URL, or file:<name> for a file; run it again and nothing changes. All-day events block their dates (DTEND exclusive, like a check-out); timed events the nights from the local date of DTSTART to that of DTEND (at least one); recurring events (RRULE, EXDATE) each occurrence from a year back to two years ahead; cancelled events nothing.
An event overlapping one of our bookings or another block is not written and is reported, one line each naming the event and what it overlaps; the rest is applied. Malformed lines and events are reported with their line numbers and left out; blocks they made before stay.
With --api, a FILE is read here and sent to the server (up to about 1 MiB); a URL is fetched by the server, from a public address only unless you are an admin.

Exit codes: 0 all applied; 5 some events conflicted (the rest applied); 8 parts of the feed were malformed and left out (the rest applied); 3 not a calendar, an unreadable file or a feed over --max-bytes (nothing written); 4 no such property; 6 not its host or an admin (or, with --api, a URL on a private network); 7 the URL could not be fetched (or timed out).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 12 --ics ./airbnb.ics',
    '<%= config.bin %> <%= command.id %> "Lake house" --ics https://www.airbnb.com/calendar/ical/123.ics?s=abc --dry-run',
    '<%= config.bin %> <%= command.id %> 12 --ics feed.ics --json',
  ]

  static override args = {property: Args.string({description: 'Property id or name', required: true})}
  static override flags = {
    ics: Flags.string({description: 'The feed: a .ics file or an http(s) URL', required: true}),
    'dry-run': Flags.boolean({description: 'Check and report everything, write nothing'}),
    ...fetchFlags,
  }

  async run(): Promise<ImportCalendarResult> {
    const f = this.flags
    const result = await (await this.backend()).calendar.import({
      property: this.args.property,
      ...feedInput(f.ics),
      dryRun: f['dry-run'],
      ...fetchLimits(f),
    })
    this.log(importSummary(result))
    for (const line of conflictLines(result)) this.log(line)
    for (const line of problemLines(result)) this.note(line)
    const code = importExitCode([result])
    if (code !== 0) {
      if (this.jsonEnabled()) this.logJson(result)
      this.exit(code)
    }
    return result
  }
}
