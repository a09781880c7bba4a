import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {inputOrFail} from '../../src/cli/prompts.js'
import {confirmationName, dropDatabase, type DatabaseLifecycleResult} from '../../src/services/schema.js'

export default class DbDrop extends BaseCommand<typeof DbDrop> {
  static override summary = 'Drop the configured database (all data is lost)'
  static override description = `On MySQL/MariaDB drops the database named in the URL; on SQLite deletes the file. You must type the database name (the file name for SQLite) to confirm, or pass it with --confirm.

Exit codes: 0 dropped or already absent, 2 confirmation missing or wrong, 7 server unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --confirm stayctl_test --database-url mysql://root@127.0.0.1:3306/stayctl_test',
  ]

  static override flags = {
    confirm: Flags.string({description: 'The database name (SQLite: the file name), to confirm without a prompt'}),
  }

  async run(): Promise<DatabaseLifecycleResult> {
    const target = this.databaseTarget()
    const expected = confirmationName(target)
    const confirm =
      this.flags.confirm ?? (await inputOrFail(`Type "${expected}" to drop ${target.display}:`, `--confirm ${expected}`))
    const result = await dropDatabase(target, confirm.trim())
    this.log(result.dropped ? `Dropped ${result.database}.` : `${result.database} did not exist.`)
    return result
  }
}
