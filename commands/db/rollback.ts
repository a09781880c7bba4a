import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'
import {color} from '../../src/cli/render.js'
import {rollbackQuestion} from '../../src/cli/schema-confirmations.js'
import {rollback, type RollbackResult} from '../../src/services/schema.js'

export default class DbRollback extends BaseCommand<typeof DbRollback> {
  static override summary = 'Revert applied migrations'
  static override description = `Reverts the last migration, the last N (--step), every migration down to and including one (--to), or all of them (--all). Runs under the schema lock. Asks for confirmation on a terminal, saying what it reverts (and with --all the rows of the tables it drops); pass --yes in scripts.

Exit codes: 0 done (or not confirmed on a terminal), 2 not confirmed off a terminal, 4 unknown --to name, 5 --to names a migration that is not applied, 7 database unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --step 2',
    '<%= config.bin %> <%= command.id %> --to 2026.11.21T10.00.03.create-reviews',
    '<%= config.bin %> <%= command.id %> --all --yes',
  ]

  static override flags = {
    step: Flags.integer({description: 'How many migrations to revert', min: 1, exclusive: ['to', 'all']}),
    to: Flags.string({description: 'Revert down to and including this migration', exclusive: ['step', 'all']}),
    all: Flags.boolean({description: 'Revert every migration', exclusive: ['step', 'to']}),
    'lock-timeout': flags.lockTimeout,
    yes: flags.yes,
  }

  async run(): Promise<RollbackResult | {reverted: []; confirmed: false}> {
    const db = await this.db()
    const choice = {step: this.flags.step, to: this.flags.to, all: this.flags.all}
    const question = this.flags.yes ? undefined : await rollbackQuestion(db, choice)
    if (question !== undefined && !(await confirmOrFail(question, '--yes'))) {
      this.log('Nothing changed.')
      return {reverted: [], confirmed: false}
    }
    const result = await rollback(
      db,
      choice,
      {
        lockTimeoutSeconds: this.flags['lock-timeout'],
        ...this.lockNotes(),
        onMigration: ({name, durationMs}) => {
          if (durationMs !== undefined) this.note(`${color.warn('↩')} ${name} ${color.dim(`(${durationMs} ms)`)}`)
        },
      },
    )
    this.log(
      result.reverted.length === 0
        ? 'Nothing to roll back.'
        : `Reverted ${result.reverted.length} migration${result.reverted.length === 1 ? '' : 's'} on ${result.database}.`,
    )
    return result
  }
}
