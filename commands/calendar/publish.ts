import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {details} from '../../src/cli/render.js'
import type {PublishedCalendar} from '../../src/services/calendar/manage.js'

export default class CalendarPublish extends BaseCommand<typeof CalendarPublish> {
  static override summary = "Publish a listing's calendar at a secret URL (shown once)"
  static override description = `Creates a secret URL at which \`stayctl serve\` publishes the listing's feed (what \`calendar export\` writes), for other channels to import: GET <server>/calendars/<token>.ics, no login needed, with ETag and Last-Modified so they can poll cheaply. The token is printed once and stored only as a hash: copy the path now. Revoke it with \`calendar tokens revoke\` (the URL then answers 404).

Exit codes: 0, 4 no such property, 6 not its host or an admin.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12', 'URL=https://stays.example.com$(<%= config.bin %> <%= command.id %> 12 --json | jq -r .path)']

  static override args = {property: Args.string({description: 'Property id or name', required: true})}

  async run(): Promise<PublishedCalendar> {
    const published = await (await this.backend()).calendar.publish({property: this.args.property})
    this.log(details([['Path', published.path], ['Token id', published.id], ['Property', published.propertyId]]))
    this.note('Copy the path now: the token is not stored and cannot be shown again. Give the other channel <your server URL> + path.')
    return published
  }
}
