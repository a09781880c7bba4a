import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {CANCELLATION_POLICIES} from '../../src/domain.js'
import {UsageError} from '../../src/errors.js'
import type {PropertyView} from '../../src/services/properties.js'

export default class PropertiesUpdate extends BaseCommand<typeof PropertiesUpdate> {
  static override aliases = ['listings:update']
  static override summary = 'Change a property, or unlist it'
  static override description = `Updates the given fields of a property. --unlist hides it from new bookings (existing ones stay); --list shows it again. A new price applies to new bookings only.

Exit codes: 0, 2 nothing to change, 3 invalid value or a name several hosts use, 4 no such property.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 12 --price 135',
    '<%= config.bin %> <%= command.id %> 12 --unlist',
    '<%= config.bin %> <%= command.id %> 12 --policy strict --name "Sea view loft (renovated)"',
  ]

  static override args = {property: Args.string({description: 'Property id or exact name (a name several hosts use: its id)', required: true})}

  static override flags = {
    name: Flags.string({description: 'New name'}),
    address: Flags.string({description: 'New address'}),
    description: Flags.string({description: 'New description ("" clears it)'}),
    price: Flags.string({description: 'New price per night'}),
    policy: Flags.string({description: 'Cancellation policy', options: [...CANCELLATION_POLICIES]}),
    list: Flags.boolean({description: 'List it (bookable)', exclusive: ['unlist']}),
    unlist: Flags.boolean({description: 'Unlist it (no new bookings)', exclusive: ['list']}),
  }

  async run(): Promise<PropertyView> {
    const f = this.flags
    const changes = {
      name: f.name,
      address: f.address,
      description: f.description,
      pricePerNight: f.price,
      cancellationPolicy: f.policy,
      isListed: f.list ? true : f.unlist ? false : undefined,
    }
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nothing to change', {suggestion: 'pass --name, --address, --description, --price, --policy, --list or --unlist'})
    }
    const property = await (await this.backend()).properties.update(this.args.property, changes)
    this.log(`Updated property ${property.id} (${property.name}).`)
    return property
  }
}
