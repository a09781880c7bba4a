import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {BookingView} from '../../src/services/bookings.js'

export default class BookingsCreate extends BaseCommand<typeof BookingsCreate> {
  static override summary = 'Book a stay'
  static override description = `Creates a pending booking of a property for a guest from check-in (--from) to check-out (--to, exclusive). The total is nights × the property's price now. Refused when the dates overlap another booking that is not cancelled (the message names it), when the guest owns the property or is inactive, or when the property is unlisted. Safe under concurrency: of many simultaneous requests for overlapping dates exactly one succeeds.

Exit codes: 0, 3 invalid dates or a property name several hosts use, 4 no such property or guest, 5 overlap or not allowed.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --property 12 --guest alice --from 2026-12-20 --to 2026-12-27',
    '<%= config.bin %> <%= command.id %> --property "Sea view loft" --guest bob@example.com --from 2027-01-03 --to 2027-01-05 --json',
  ]

  static override flags = {
    property: Flags.string({description: 'Property id or exact name (a name several hosts use: its id)', required: true}),
    guest: Flags.string({description: 'Guest: user id, username or email', required: true}),
    from: Flags.string({description: 'Check-in date, YYYY-MM-DD', required: true}),
    to: Flags.string({description: 'Check-out date, YYYY-MM-DD (exclusive)', required: true}),
    'external-ref': Flags.string({description: 'Your own unique reference for this booking'}),
    'allow-past': Flags.boolean({description: 'Allow a stay that starts before today (back-filling)'}),
  }

  async run(): Promise<BookingView> {
    const f = this.flags
    const booking = await (await this.backend()).bookings.create({
      property: f.property,
      guest: f.guest,
      startDate: f.from,
      endDate: f.to,
      externalRef: f['external-ref'],
      allowPast: f['allow-past'],
    })
    this.log(`Created booking ${booking.id}: property ${booking.propertyId}, ${booking.startDate} → ${booking.endDate} (${booking.nights} nights), ${booking.totalPrice}, ${booking.status}.`)
    return booking
  }
}
