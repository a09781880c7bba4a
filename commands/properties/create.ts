import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {CANCELLATION_POLICIES} from '../../src/domain.js'
import type {PropertyView} from '../../src/services/properties.js'

export default class PropertiesCreate extends BaseCommand<typeof PropertiesCreate> {
  static override aliases = ['listings:create']
  static override summary = 'List a new property'
  static override description = `Creates a property owned by a host. Cancellation policies (refund of what was paid, by days before check-in):
  flexible  100% up to the day before check-in; 0% on the day
  moderate  100% from 5 days before; 50% from 1 to 4 days; 0% on the day
  strict    100% from 14 days before; 50% from 7 to 13 days; 0% after

Exit codes: 0, 3 invalid value, 4 no such owner, 5 owner inactive.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --owner alice --name "Sea view loft" --address "1 Harbour St, Porto" --price 120',
    '<%= config.bin %> <%= command.id %> --owner 7 --name Cabin --address "Forest Rd 2" --price 89.50 --policy strict --json',
  ]

  static override flags = {
    owner: Flags.string({description: 'Host: user id, username or email', required: true}),
    name: Flags.string({description: 'Listing name', required: true}),
    address: Flags.string({description: 'Street address', required: true}),
    price: Flags.string({description: 'Price per night, e.g. 120.00', required: true}),
    description: Flags.string({description: 'Description'}),
    policy: Flags.string({description: 'Cancellation policy', options: [...CANCELLATION_POLICIES], default: 'moderate'}),
  }

  async run(): Promise<PropertyView> {
    const {owner, name, address, price, description, policy} = this.flags
    const property = await (await this.backend()).properties.create({
      owner,
      name,
      address,
      description,
      pricePerNight: price,
      cancellationPolicy: policy,
    })
    this.log(`Created property ${property.id} (${property.name}), ${property.pricePerNight} per night.`)
    return property
  }
}
