import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {unsetConfigValue, type ConfigChange} from '../../src/config/config-file.js'

export default class ConfigUnset extends BaseCommand<typeof ConfigUnset> {
  static override summary = 'Remove a setting from the config file, or from a profile of it'
  static override description = `Removes a setting from the top level of the config file, or with --profile from that profile (a profile left empty is removed). Removing a setting that is not there changes nothing and is no error.

Exit codes: 0, 2 unknown setting or no such profile.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> databaseUrl',
    '<%= config.bin %> <%= command.id %> apiUrl --profile staging',
  ]

  static override args = {
    key: Args.string({description: 'Setting: databaseUrl, bcryptCost or apiUrl', required: true}),
  }

  static override flags = {
    profile: Flags.string({description: 'Remove it from this profile instead of the top level'}),
  }

  async run(): Promise<ConfigChange> {
    const change = await unsetConfigValue(this.args.key, {profile: this.flags.profile})
    const where = `${change.profile ? `profile ${change.profile} of ` : ''}${change.file}`
    this.log(change.changed ? `Removed ${change.key} from ${where}.` : `${change.key} was not set in ${where}; nothing changed.`)
    return change
  }
}
