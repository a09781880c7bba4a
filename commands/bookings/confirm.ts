import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {BookingView} from '../../src/services/bookings.js'

export default class BookingsConfirm extends BaseCommand<typeof BookingsConfirm> {
  static override summary = 'Confirm a pending booking'
  static override description = `Moves a booking from pending to confirmed. Any other state is refused.

Exit codes: 0, 4 no such booking, 5 not pending.`

  static override examples = ['<%= config.bin %> <%= command.id %> 42', '<%= config.bin %> <%= command.id %> 42 --json']

  static override args = {booking: Args.string({description: 'Booking id or external reference', required: true})}

  async run(): Promise<BookingView> {
    const booking = await (await this.backend()).bookings.confirm(this.args.booking)
    this.log(`Booking ${booking.id} is confirmed.`)
    return booking
  }
}
