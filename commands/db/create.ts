import {BaseCommand} from '../../src/cli/base-command.js'
import {createDatabase, type DatabaseLifecycleResult} from '../../src/services/schema.js'

export default class DbCreate extends BaseCommand<typeof DbCreate> {
  static override summary = 'Create the configured database if it does not exist'
  static override description = `On MySQL/MariaDB creates the database named in the URL (utf8mb4, utf8mb4_unicode_ci), connecting to the server without selecting a database. On SQLite creates the file and its folder. Doing nothing when it exists is not an error.

Exit codes: 0 created or already there, 7 server unreachable or access denied.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --database-url mysql://root@127.0.0.1:3306/stayctl',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  async run(): Promise<DatabaseLifecycleResult> {
    const result = await createDatabase(this.databaseTarget())
    this.log(result.created ? `Created ${result.database}.` : `${result.database} already exists.`)
    return result
  }
}
