import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {blockColumns, defaultBlockColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import type {Block} from '../../src/domain.js'
import type {Page} from '../../src/services/pagination.js'

export default class BlocksList extends BaseCommand<typeof BlocksList> {
  static override summary = 'List blocked nights'
  static override description = `Lists the blocks of your properties (admins: of all), by property, source feed, and blocks overlapping a date range. Sort by id, startDate or createdAt.

Exit codes: 0, 3 bad filter or a property name several hosts use, 4 no such property.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --property 12',
    '<%= config.bin %> <%= command.id %> --from 2026-12-01 --to 2027-01-01 --sort startDate --csv',
  ]

  static override flags = {
    ...flags.list,
    property: Flags.string({description: 'Property id or exact name (a name several hosts use: its id)'}),
    source: Flags.string({description: 'Blocks of this feed URL only'}),
    from: Flags.string({description: 'Blocks overlapping from this date (YYYY-MM-DD)'}),
    to: Flags.string({description: 'Blocks overlapping until this date (exclusive)'}),
  }

  async run(): Promise<Page<Block>> {
    const f = this.flags
    const result = await (await this.backend()).blocks.list({
      property: f.property,
      source: f.source,
      from: f.from,
      to: f.to,
      sort: f.sort,
      limit: f.limit,
      cursor: f.cursor,
    })
    this.printPage(renderPage(result, blockColumns, f, defaultBlockColumns))
    return result
  }
}
