import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'
import {reset} from '../../src/services/schema.js'

export default class DbReset extends BaseCommand<typeof DbReset> {
  static override summary = 'Drop every table, then migrate from scratch'
  static override createsDatabase = true
  static override description = `Destroys all data in the configured database: every table is dropped (foreign key checks off), then all migrations are applied. Asks for confirmation on a terminal; pass --yes in scripts.

Exit codes: 0 done, 2 not confirmed off a terminal, 7 database unreachable.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --yes']

  static override flags = {
    yes: flags.yes,
    'lock-timeout': flags.lockTimeout,
  }

  async run() {
    // Ask before opening: a refusal must not even create an empty SQLite file.
    const target = this.databaseTarget()
    if (!this.flags.yes) {
      const yes = await confirmOrFail(`Drop every table of ${target.display} and migrate again?`, '--yes')
      if (!yes) {
        this.log('Nothing changed.')
        return {database: target.display, dropped: [], applied: [], upToDate: false, cancelled: true}
      }
    }
    const result = await reset(await this.db(), {lockTimeoutSeconds: this.flags['lock-timeout'], ...this.lockNotes()})
    this.log(`Dropped ${result.dropped.length} table(s) and applied ${result.applied.length} migration(s) on ${result.database}.`)
    return result
  }
}
