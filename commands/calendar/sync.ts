import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {conflictLines, fetchFlags, fetchLimits, importSummary, problemLines, syncExitCode} from '../../src/cli/calendar.js'
import type {SyncCalendarsResult} from '../../src/services/calendar/transfer.js'

export default class CalendarSync extends BaseCommand<typeof CalendarSync> {
  static override summary = 'Pull every registered feed once into blocked dates (for cron)'
  static override description = `Fetches each feed registered with \`calendar feeds add\` (of one listing with --property; else every feed the caller may manage: all of them for an admin or a local run) and imports it as \`calendar import\` does. Each fetch is conditional (If-None-Match / If-Modified-Since with what the feed last answered): a 304 changes nothing. One feed failing does not stop the others. Running it twice in a row changes nothing the second time.

Exit codes: 0 all synced; 7 a feed could not be fetched or read (the others synced); 5 some events conflicted; 8 parts of a feed were malformed and left out; 4 no such property; 6 not allowed.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '*/30 * * * * <%= config.bin %> <%= command.id %> --json >> /var/log/stayctl-sync.ndjson',
    '<%= config.bin %> <%= command.id %> --property 12',
  ]

  static override flags = {
    property: Flags.string({description: 'Only the feeds of this property (id or name)'}),
    ...fetchFlags,
  }

  async run(): Promise<SyncCalendarsResult> {
    const f = this.flags
    const result = await (await this.backend()).calendar.sync({property: f.property, ...fetchLimits(f)})
    if (result.feeds.length === 0) this.log('No feeds are registered: add one with `calendar feeds add PROPERTY URL`.')
    for (const feed of result.feeds) {
      const head = `feed ${feed.id} (property ${feed.propertyId})`
      if (feed.status === 'failed') this.log(`${head}: failed: ${feed.error}`)
      else if (feed.status === 'not-modified') this.log(`${head}: not modified since the last sync`)
      else if (feed.result) {
        this.log(`${head}: ${importSummary(feed.result)}`)
        for (const line of conflictLines(feed.result)) this.log(line)
        for (const line of problemLines(feed.result)) this.note(`feed ${feed.id}: ${line}`)
      }
    }
    const code = syncExitCode(result)
    if (code !== 0) {
      if (this.jsonEnabled()) this.logJson(result)
      this.exit(code)
    }
    return result
  }
}
