import {Args} from '@oclif/core'

import {BaseCommand} from '../../../src/cli/base-command.js'
import type {CalendarFeedView} from '../../../src/services/calendar/manage.js'

export default class CalendarFeedsAdd extends BaseCommand<typeof CalendarFeedsAdd> {
  static override summary = "Register another channel's feed for `calendar sync`"
  static override description = `Registers the iCalendar URL another channel (Airbnb, Booking.com, Vrbo…) publishes for this listing; \`calendar sync\` then imports it into blocked dates. http or https only; once per listing and URL. Nothing is fetched now: run \`calendar sync --property PROPERTY\` to do it at once.

Exit codes: 0, 3 not an http(s) URL, 4 no such property, 5 already registered, 6 not its host or an admin.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12 "https://www.airbnb.com/calendar/ical/123.ics?s=abc"']

  static override args = {
    property: Args.string({description: 'Property id or name', required: true}),
    url: Args.string({description: "The feed's http(s) URL", required: true}),
  }

  async run(): Promise<CalendarFeedView> {
    const feed = await (await this.backend()).calendar.addFeed({property: this.args.property, url: this.args.url})
    this.log(`Feed ${feed.id} of property ${feed.propertyId}: ${feed.url}`)
    return feed
  }
}
