import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {effectiveSetting, type SettingValue} from '../../src/config/config-file.js'

export default class ConfigGet extends BaseCommand<typeof ConfigGet> {
  static override summary = 'Print the value in effect of a setting'
  static override description = `Prints the value stayctl would use for a setting, looked up environment → the selected profile (--profile or STAYCTL_PROFILE) → the config file → default, and (to stderr) where it came from. Database passwords are printed as ****. Nothing is printed for a setting that has no value (apiUrl unset: commands run locally).

--json prints {"key", "value": string | null, "source", "description"}.

Exit codes: 0, 2 unknown setting or no such profile.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> apiUrl',
    '<%= config.bin %> <%= command.id %> databaseUrl --profile staging --json',
  ]

  static override args = {
    key: Args.string({description: 'Setting: databaseUrl, bcryptCost or apiUrl', required: true}),
  }

  static override flags = {
    profile: Flags.string({description: 'Look it up with this profile selected'}),
  }

  async run(): Promise<SettingValue> {
    const setting = effectiveSetting(this.args.key)
    if (setting.value !== null) this.log(setting.value)
    this.note(`${setting.key}: ${setting.source}`)
    return setting
  }
}
