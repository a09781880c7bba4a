import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {typedConfigValueWarning, warnOnStderr} from '../../src/cli/secret-warnings.js'
import {setConfigValue, type ConfigChange} from '../../src/config/config-file.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Store a setting in the config file, or in a profile of it'
  static override description = `Stores a setting in the config file (STAYCTL_CONFIG, else <config dir>/config.json): at its top level, or with --profile in that named profile (created when new). The value is checked first (a database URL must parse, an API URL must be http(s), bcryptCost 4–31). The file is replaced atomically; a new one is readable by you only, and one that holds a password is made so (its group and other bits removed).

A value with a password in it (mysql://user:pass@…) is in the process list and your shell's history once typed here: a warning on stderr says so. To keep it off the command line, write it into the config file with an editor, or set the environment variable (STAYCTL_DATABASE_URL).

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
    const warning = typedConfigValueWarning(this.args.key, this.args.value)
    if (warning !== undefined) await warnOnStderr(warning)
    const change = await setConfigValue(this.args.key, this.args.value, {profile: this.flags.profile})
    this.log(`Set ${change.key} = ${change.value}${change.profile ? ` in profile ${change.profile}` : ''} (${change.file}).`)
    return change
  }
}
