import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {UsageError} from '../src/errors.js'
import type {ExportSummary} from '../src/services/export.js'

export default class Export extends BaseCommand<typeof Export> {
  static override summary = 'Export users, properties, bookings, reviews, payments or blocks as CSV, JSON or NDJSON'
  static override description = `Streams one entity out of the database in id order, page by page (memory stays flat however many rows), from one consistent snapshot. Rows carry natural keys rather than ids: usernames, a property's name and owner, a booking's externalRef and its property, guest and dates, a refund's charge by transaction id. So an export imports again unchanged with \`stayctl import\` (or \`stayctl import all\` on a folder of exports), into an empty database of either kind.

Password hashes are left out unless --include-password-hashes is given. Without them a users export cannot be imported as it is: the import needs a password or a passwordHash for every user. Give the flag to move users between databases (and keep the file safe: stayctl writes it for its owner alone, 0600).

In CSV, a cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a CR) starts with a ' (as OWASP advises against CSV injection), as does a cell starting with ' and one of those or another '; \`stayctl import\` removes exactly that quote, so exports import again byte for byte. JSON and NDJSON hold the values as they are.

A summary line goes to stderr (--json prints it as JSON, and needs --output). Timestamps are written in UTC with their milliseconds (none when they are .000).

Exit codes: 0, 2 bad flags or --where, 3 bad --where value, 7 database unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> users --include-password-hashes --output users.csv',
    '<%= config.bin %> <%= command.id %> bookings --where status=confirmed --where propertyOwner=alice > bookings.csv',
    '<%= config.bin %> <%= command.id %> payments --format ndjson --output payments.ndjson --json',
    'for e in users properties bookings reviews payments blocks; do <%= config.bin %> <%= command.id %> $e --include-password-hashes -o dump/$e.csv; done; <%= config.bin %> import all dump --database-url mysql://…',
  ]

  static override args = {
    entity: Args.string({description: 'What to export', required: true, options: ['users', 'properties', 'bookings', 'reviews', 'payments', 'blocks']}),
  }

  static override flags = {
    format: Flags.string({description: 'Output format (default: from the --output extension, else csv)', options: ['csv', 'json', 'ndjson']}),
    output: Flags.string({char: 'o', description: 'Write to this file (default: stdout); replaced only when the export is complete'}),
    where: Flags.string({description: 'Only rows whose field equals value, e.g. --where status=confirmed (repeatable, all must hold; field= for empty)', multiple: true}),
    'include-password-hashes': Flags.boolean({description: 'users: add the bcrypt hashes, so the file can be imported elsewhere'}),
  }

  async run(): Promise<ExportSummary> {
    const {entity} = this.args
    const f = this.flags
    if (this.jsonEnabled() && !f.output) throw new UsageError('--json prints the summary on stdout: give --output for the data')
    const backend = await this.backend()
    const summary = await backend.exports
      .entity({
        entity,
        format: f.format,
        output: f.output,
        stream: f.output ? undefined : process.stdout,
        where: f.where,
        includePasswordHashes: f['include-password-hashes'],
      })
      .catch((error: unknown) => {
        // The reader closed the pipe (`stayctl export users | head`): it has what it wanted.
        if ((error as {code?: string}).code === 'EPIPE') this.exit(0)
        throw error
      })
    this.note(`${summary.entity}: exported ${summary.rows} rows as ${summary.format} to ${summary.output ?? 'stdout'} in ${summary.seconds.toFixed(1)} s.`)
    if (summary.entity === 'users' && !summary.passwordHashes) {
      this.note('Password hashes left out: import needs them (or passwords); add --include-password-hashes to move users between databases.')
    }
    return summary
  }
}
