import {Args} from '@oclif/core'

import {BaseCommand} from '../../../src/cli/base-command.js'

export default class CalendarFeedsRemove extends BaseCommand<typeof CalendarFeedsRemove> {
  static override summary = 'Stop importing a feed, and free the nights its blocks held'
  static override description = `Removes a feed registered with \`calendar feeds add\` and the blocks it made: the other channel no longer speaks for those nights.

Exit codes: 0, 3 not an http(s) URL, 4 no such property or feed, 6 not its host or an admin.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12 "https://www.airbnb.com/calendar/ical/123.ics?s=abc"']

  static override args = {
    property: Args.string({description: 'Property id or name', required: true}),
    url: Args.string({description: "The feed's URL, as registered", required: true}),
  }

  async run(): Promise<{id: number; removed: true; blocksRemoved: number}> {
    const removed = await (await this.backend()).calendar.removeFeed({property: this.args.property, url: this.args.url})
    this.log(`Feed ${removed.id} removed, with ${removed.blocksRemoved} block(s).`)
    return removed
  }
}
