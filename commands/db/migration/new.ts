import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../../src/cli/base-command.js'
import {newMigration, type NewMigrationResult} from '../../../src/services/schema.js'

export default class DbMigrationNew extends BaseCommand<typeof DbMigrationNew> {
  static override summary = 'Scaffold a new, timestamped migration'
  static override description = `Writes migrations/<UTC timestamp>.<name>.ts with typed up() and down() functions that receive the queryInterface. Rebuild (npm run build) before running it.

An installed stayctl (under node_modules) does not write into its own package: give --dir.

Exit codes: 0 written, 2 installed package without --dir, 3 unusable name, 5 file exists.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> add-index-to-bookings',
    '<%= config.bin %> <%= command.id %> "add guest count" --dir ./migrations',
  ]

  static override args = {
    name: Args.string({description: 'What the migration does, e.g. add-guest-count', required: true}),
  }

  static override flags = {
    dir: Flags.string({description: 'Folder to write to (default: the migrations folder of this checkout of stayctl; needed when stayctl is an installed package)'}),
  }

  async run(): Promise<NewMigrationResult> {
    const result = newMigration(this.args.name, {dir: this.flags.dir})
    this.log(`Created ${result.path}`)
    return result
  }
}
