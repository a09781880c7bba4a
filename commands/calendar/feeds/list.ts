import {Args} from '@oclif/core'

import {BaseCommand} from '../../../src/cli/base-command.js'
import {tableOrRows} from '../../../src/cli/render.js'
import type {CalendarFeedView} from '../../../src/services/calendar/manage.js'

export default class CalendarFeedsList extends BaseCommand<typeof CalendarFeedsList> {
  static override summary = 'List the feeds a listing imports'
  static override description = `Lists the feeds registered with \`calendar feeds add\` and when each was last synced.

Exit codes: 0, 4 no such property, 6 not its host or an admin.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12']

  static override args = {property: Args.string({description: 'Property id or name', required: true})}

  async run(): Promise<CalendarFeedView[]> {
    const feeds = await (await this.backend()).calendar.listFeeds({property: this.args.property})
    this.log(
      tableOrRows(feeds, [
        {header: 'ID', get: (f) => f.id, align: 'right'},
        {header: 'URL', get: (f) => f.url},
        {header: 'Last synced', get: (f) => f.lastSyncedAt},
      ]),
    )
    return feeds
  }
}
