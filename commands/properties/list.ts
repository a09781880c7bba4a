import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {defaultPropertyColumns, propertyColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import type {Page} from '../../src/services/pagination.js'
import type {PropertyView} from '../../src/services/properties.js'

export default class PropertiesList extends BaseCommand<typeof PropertiesList> {
  static override aliases = ['listings:list']
  static override summary = 'Search properties'
  static override description = `Lists properties by owner, price range, text, and availability: with --available-from and --available-to, only those free for the whole stay (check-out exclusive). Sort by id, name, pricePerNight or createdAt.

Exit codes: 0, 3 bad filter, 4 no such owner.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --available-from 2026-12-20 --available-to 2026-12-27 --max-price 150',
    '<%= config.bin %> <%= command.id %> --owner alice --sort -pricePerNight',
    '<%= config.bin %> <%= command.id %> --search loft --csv',
  ]

  static override flags = {
    ...flags.list,
    owner: Flags.string({description: 'Host: user id, username or email'}),
    'min-price': Flags.string({description: 'Lowest price per night'}),
    'max-price': Flags.string({description: 'Highest price per night'}),
    search: Flags.string({description: 'Text in name, address or description'}),
    'available-from': Flags.string({description: 'Check-in date (YYYY-MM-DD)', dependsOn: ['available-to']}),
    'available-to': Flags.string({description: 'Check-out date (YYYY-MM-DD)', dependsOn: ['available-from']}),
    listed: Flags.boolean({description: 'Only listed (--no-listed: only unlisted)', allowNo: true}),
  }

  async run(): Promise<Page<PropertyView>> {
    const f = this.flags
    const result = await (await this.backend()).properties.list({
      owner: f.owner,
      minPrice: f['min-price'],
      maxPrice: f['max-price'],
      search: f.search,
      availableFrom: f['available-from'],
      availableTo: f['available-to'],
      listed: f.listed,
      sort: f.sort,
      limit: f.limit,
      cursor: f.cursor,
    })
    this.printPage(renderPage(result, propertyColumns, f, defaultPropertyColumns))
    return result
  }
}
