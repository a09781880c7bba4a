import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {setConfigValue, type ConfigChange} from '../../src/config/config-file.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Store a setting in the config file, or in a profile of it'
  static override description = `Stores a setting in the config file (STAYCTL_CONFIG, else <config dir>/config.json): at its top level, or with --profile in that named profile (created when new). The value is checked first (a database URL must parse, an API URL must be http(s), bcryptCost 4–31). The file is replaced atomically; a new one is readable by you only.

Settings are looked up flag → environment → the selected profile (--profile or STAYCTL_PROFILE) → the config file's top level → default. Settings: databaseUrl, bcryptCost, apiUrl (their flag names work too: database-url, api).

Exit codes: 0, 2 unknown setting, bad value or bad profile name.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> databaseUrl mysql://app:secret@db.internal:3306/stayctl',
    '<%= config.bin %> <%= command.id %> apiUrl https://staging.example.com/graphql --profile staging',
    '<%= config.bin %> <%= command.id %> bcryptCost 13',
  ]

  static override args = {
    key: Args.string({description: 'Setting: databaseUrl, bcryptCost or apiUrl', required: true}),
    value: Args.string({description: 'Its value', required: true}),
  }

  static override flags = {
    profile: Flags.string({description: 'Store it in this profile (created when new) instead of the top level'}),
  }

  async run(): Promise<ConfigChange> {
    const change = await setConfigValue(this.args.key, this.args.value, {profile: this.flags.profile})
    this.log(`Set ${change.key} = ${change.value}${change.profile ? ` in profile ${change.profile}` : ''} (${change.file}).`)
    return change
  }
}
