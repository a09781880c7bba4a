import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {color} from '../../src/cli/render.js'
import {migrate, type DryRunMigrateResult, type MigrateResult} from '../../src/services/schema.js'

export default class DbMigrate extends BaseCommand<typeof DbMigrate> {
  static override summary = 'Apply pending migrations'
  static override createsDatabase = true
  static override description = `Applies the pending migrations in order, under the schema lock (on MySQL a lease row that a multi-primary cluster such as Galera certifies): when several runners start at once, on one server or on several nodes, each migration is applied exactly once and the others wait, then report "up to date". A runner killed at any moment is resumed by the next db migrate: the steps it did are skipped, and it takes the lock over as soon as the dead runner's connection is gone, or when its lease expires (STAYCTL_SCHEMA_LEASE_SECONDS, default 10).

Exit codes: 0 done, 4 unknown --to name, 7 database unreachable or lock timeout.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --to 2026.11.21T10.00.02.create-bookings',
    '<%= config.bin %> <%= command.id %> --database-url mysql://root@127.0.0.1:3306/stayctl --json',
  ]

  static override flags = {
    to: Flags.string({description: 'Apply migrations up to and including this one'}),
    'dry-run': Flags.boolean({description: 'Print the SQL that would run; change nothing'}),
    'lock-timeout': flags.lockTimeout,
  }

  async run(): Promise<MigrateResult | DryRunMigrateResult> {
    const db = await this.db()
    const result = await migrate(
      db,
      {to: this.flags.to, dryRun: this.flags['dry-run']},
      {
        lockTimeoutSeconds: this.flags['lock-timeout'],
        ...this.lockNotes(),
        onMigration: ({name, durationMs}) => {
          if (durationMs !== undefined) this.note(`${color.ok('✔')} ${name} ${color.dim(`(${durationMs} ms)`)}`)
        },
      },
    )
    if ('dryRun' in result) {
      if (result.pending.length === 0) this.log('-- Nothing to do: the database is up to date.')
      for (const migration of result.pending) {
        this.log(`-- ${migration.name}`)
        for (const statement of migration.statements) this.log(statement)
        this.log('')
      }
      return result
    }
    this.log(
      result.upToDate
        ? `Database is up to date (${result.database}).`
        : `Applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'} to ${result.database}.`,
    )
    return result
  }
}
