import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {color, tableOrRows} from '../../src/cli/render.js'
import {listConfig, type ConfigListing} from '../../src/config/config-file.js'

export default class ConfigList extends BaseCommand<typeof ConfigList> {
  static override summary = 'List the settings in effect, where each comes from, and the profiles'
  static override description = `Lists every setting with the value stayctl would use and where it comes from (environment, profile, config file or default), with the selected profile (--profile or STAYCTL_PROFILE) applied, then the profiles the config file holds. Database passwords are shown as ****.

--json prints {"file", "profile": string | null, "profiles": [string], "settings": [{"key", "value", "source", "description"}]}.

Exit codes: 0, 2 no such profile or an unreadable config file.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile staging --json']

  static override flags = {
    profile: Flags.string({description: 'Show the settings with this profile selected'}),
  }

  async run(): Promise<ConfigListing> {
    const listing = listConfig()
    this.log(`Config file: ${listing.file}${listing.profile ? `, profile ${listing.profile}` : ''}`)
    this.log(
      tableOrRows(listing.settings, [
        {header: 'Setting', get: (s) => s.key},
        {header: 'Value', get: (s) => s.value ?? color.dim('(unset)')},
        {header: 'Source', get: (s) => s.source},
      ]),
    )
    this.log(`Profiles: ${listing.profiles.length > 0 ? listing.profiles.join(', ') : color.dim('(none)')}`)
    return listing
  }
}
