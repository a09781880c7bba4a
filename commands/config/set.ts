import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {secretInput} from '../../src/cli/prompts.js'
import {typedConfigValueWarning, warnOnStderr} from '../../src/cli/secret-warnings.js'
import {setConfigValue, type ConfigChange} from '../../src/config/config-file.js'
import {UsageError} from '../../src/errors.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Store a setting in the config file, or in a profile of it'
  static override description = `Stores a setting in the config file (STAYCTL_CONFIG, else <config dir>/config.json): at its top level, or with --profile in that named profile (created when new). The value is checked first (a database URL must parse, an API URL must be http(s), bcryptCost 4–31). The file is replaced atomically; a new one is readable by you only, and one that holds a password is made so (its group and other bits removed).

A value typed as an argument is in the process list and your shell's history: for one with a password in it (mysql://user:pass@…) a warning on stderr says so. To keep it off the command line, pipe it in with --value-stdin, or leave the value out on a terminal to be asked for it without echo.

Settings are looked up flag → environment → the selected profile (--profile or STAYCTL_PROFILE) → the config file's top level → default. Settings: databaseUrl, bcryptCost, apiUrl (their flag names work too: database-url, api).

Exit codes: 0, 2 unknown setting, bad value, bad profile name, or no value (off a terminal, without --value-stdin).`

  static override examples = [
    'printf %s "$DATABASE_URL" | <%= config.bin %> <%= command.id %> databaseUrl --value-stdin',
    '<%= config.bin %> <%= command.id %> databaseUrl sqlite:./stayctl.db',
    '<%= config.bin %> <%= command.id %> apiUrl https://staging.example.com/graphql --profile staging',
    '<%= config.bin %> <%= command.id %> bcryptCost 13',
  ]

  static override args = {
    key: Args.string({description: 'Setting: databaseUrl, bcryptCost or apiUrl', required: true}),
    value: Args.string({description: 'Its value (else --value-stdin, or asked without echo on a terminal)'}),
  }

  static override flags = {
    profile: Flags.string({description: 'Store it in this profile (created when new) instead of the top level'}),
    'value-stdin': Flags.boolean({description: 'Read the value from stdin: a password stays out of the process list and shell history'}),
  }

  async run(): Promise<ConfigChange> {
    const {key, value: typed} = this.args
    if (typed !== undefined && this.flags['value-stdin']) throw new UsageError('the value is given twice: as an argument and with --value-stdin', {suggestion: 'keep one'})
    const warning = typed === undefined ? undefined : typedConfigValueWarning(key, typed)
    if (warning !== undefined) await warnOnStderr(warning)
    const value = typed ?? (await secretInput(this.flags['value-stdin'], {message: `${key}:`, what: 'a value', flag: '--value-stdin'}))
    const change = await setConfigValue(key, value, {profile: this.flags.profile})
    this.log(`Set ${change.key} = ${change.value}${change.profile ? ` in profile ${change.profile}` : ''} (${change.file}).`)
    return change
  }
}
