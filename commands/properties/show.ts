import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {details, tableOrRows} from '../../src/cli/render.js'
import type {PropertyDetails} from '../../src/services/properties.js'

export default class PropertiesShow extends BaseCommand<typeof PropertiesShow> {
  static override aliases = ['listings:show']
  static override summary = 'Show a property with its upcoming bookings and rating'
  static override description = `Shows a property (by id or exact name), its owner, average rating and its next 10 bookings that are not cancelled.

Exit codes: 0, 3 a name several hosts use, 4 no such property.`

  static override examples = ['<%= config.bin %> <%= command.id %> 12', '<%= config.bin %> <%= command.id %> "Sea view loft" --json']

  static override args = {property: Args.string({description: 'Property id or exact name (a name several hosts use: its id)', required: true})}

  async run(): Promise<PropertyDetails> {
    const p = await (await this.backend()).properties.show(this.args.property)
    this.log(
      details([
        ['ID', p.id],
        ['Name', p.name],
        ['Owner', `${p.owner.username} (${p.owner.id})`],
        ['Address', p.address],
        ['Price/night', p.pricePerNight],
        ['Policy', p.cancellationPolicy],
        ['Listed', p.isListed ? 'yes' : 'no'],
        ['Rating', p.averageRating === null ? 'no reviews' : `${p.averageRating.toFixed(2)} (${p.reviewCount} reviews)`],
        ['Description', p.description],
      ]),
    )
    if (p.upcomingBookings.length > 0) {
      this.log('\nUpcoming bookings:')
      this.log(
        tableOrRows(
          p.upcomingBookings,
          [
            {header: 'ID', get: (b) => b.id, align: 'right'},
            {header: 'Check-in', get: (b) => b.startDate},
            {header: 'Check-out', get: (b) => b.endDate},
            {header: 'Status', get: (b) => b.status},
            {header: 'Guest', get: (b) => b.guestId, align: 'right'},
          ],
          {fit: true},
        ),
      )
    }
    return p
  }
}
