import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {color, tableOrRows} from '../../src/cli/render.js'
import {status, type StatusResult} from '../../src/services/schema-status.js'

export default class DbStatus extends BaseCommand<typeof DbStatus> {
  static override summary = 'Show the database in use, applied and pending migrations, and seeders'
  static override description = `Says which database stayctl is using and where that setting came from (flag, environment, config file or default), and which read replicas (--read-replica-url…) reads use now or skip and why, lists migrations and seeders as applied or pending, and warns about applied files that were edited afterwards or are missing. On MySQL it also names a migration whose runner died half-way ("interrupted": partly applied; \`db migrate\` finishes it), and one that another runner is applying now.

--json prints:
  {
    "database": {"url": "<password masked>", "dialect": "mysql" | "sqlite", "source": "default" | "flag --database-url" | "env DATABASE_URL" | …},
    "migrations": [{"name", "state": "applied" | "pending" | "interrupted" | "missing-file", "appliedAt": ISO-8601 | null, "edited": boolean}],
    "seeders":    [{… the same, plus "details": {size, randomSeed, rows…} | null}],
    "pendingMigrations": number, "pendingSeeders": number,
    "warnings": [string],
    "replicas": [{"url": "<password masked>", "state": "in use" | "down" | "lagging" | "unmeasured", "reason": string | null, "checkedAt": ISO-8601}]
  }

Exit codes: 0; with --check, 1 when a migration is pending; 7 database unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --check   # in CI: fail when a migration is pending',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  static override flags = {
    check: Flags.boolean({description: 'Exit with code 1 when any migration is pending'}),
  }

  async run(): Promise<StatusResult> {
    const target = this.databaseTarget()
    const db = await this.db({ifMissing: 'empty', replicas: true})
    const result = await status(db, this.databaseSetting().source)
    // A SQLite file that is not there was read as an empty database (base-command.ts): said, and not created.
    if (target.dialect === 'sqlite' && db.target.dialect === 'sqlite' && db.target.storage !== target.storage) {
      result.warnings.unshift(`${target.display} does not exist yet; \`stayctl db migrate\` creates it`)
    }
    this.log(`Database: ${result.database.url} ${color.dim(`(${result.database.source})`)}`)
    for (const replica of result.replicas) {
      this.log(`Read replica: ${replica.url} ${replica.state === 'in use' ? color.ok('in use') : color.warn(`skipped: ${replica.state}, ${replica.reason}`)}`)
    }
    const state = (s: string) => (s === 'applied' ? color.ok(s) : s === 'pending' ? color.warn(s) : color.bad(s))
    for (const [title, entries] of [
      ['Migrations', result.migrations],
      ['Seeders', result.seeders],
    ] as const) {
      // A blank line before each heading (and the summary): in a pipe no frame sets the sections apart.
      this.log(`\n${title}:`)
      this.log(
        tableOrRows(
          entries,
          [
            {header: 'Name', get: (e) => e.name},
            {header: 'State', get: (e) => state(e.state) + (e.edited ? color.bad(' (edited)') : '')},
            {header: 'Applied at', get: (e) => e.appliedAt ?? ''},
          ],
          {empty: '  (none)'},
        ),
      )
    }
    for (const warning of result.warnings) this.warn(warning)
    this.log('')
    this.log(
      result.pendingMigrations === 0
        ? 'Schema is up to date.'
        : `${result.pendingMigrations} migration(s) pending: run \`stayctl db migrate\`.`,
    )
    if (this.flags.check && result.pendingMigrations > 0) {
      if (this.jsonEnabled()) this.logJson(result)
      this.exit(1)
    }
    return result
  }
}
