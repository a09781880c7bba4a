import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {UsageError} from '../../src/errors.js'
import type {BookingView} from '../../src/services/bookings.js'

export default class BookingsUpdate extends BaseCommand<typeof BookingsUpdate> {
  static override summary = "Move a booking's stay or change its total"
  static override description = `Moves a booking to a new check-in (--from) and/or check-out (--to, exclusive), checked like a new booking: refused when the new nights overlap another booking that is not cancelled or a block (the message names it). Nights before today never change: once the stay has begun (after its check-in day) its check-in stays, though its check-out may move (a stay under way lengthened or shortened, not to before today); a stay that has ended keeps its dates. Status and guest stay as they are; a cancelled booking cannot be changed. Safe under concurrency: of a move and a booking (or another move) of the same nights at once, exactly one succeeds.
The total becomes nights × the property's price now, as for a new booking, unless --total-price is given; it never goes below what is already charged to the booking (refund first).
Who: the property's host or an admin, as for confirming (the nights are the host's calendar); --total-price is for admins. A guest asks the host, or cancels and books again.

Exit codes: 0, 2 nothing to change, 3 invalid dates or amount, 4 no such booking, 5 overlap, cancelled, begun or ended, total below what is charged, 6 not your property or not an admin.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 42 --from 2026-12-22 --to 2026-12-29',
    '<%= config.bin %> <%= command.id %> ext-1 --to 2026-12-31 --json',
    '<%= config.bin %> <%= command.id %> 42 --total-price 450.00',
  ]

  static override args = {booking: Args.string({description: 'Booking id or external reference', required: true})}

  static override flags = {
    from: Flags.string({description: 'New check-in date, YYYY-MM-DD'}),
    to: Flags.string({description: 'New check-out date, YYYY-MM-DD (exclusive)'}),
    'total-price': Flags.string({description: "New total (admins); without it a move is priced at the property's price now"}),
  }

  async run(): Promise<BookingView> {
    const f = this.flags
    const changes = {startDate: f.from, endDate: f.to, totalPrice: f['total-price']}
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new UsageError('nothing to change', {suggestion: 'pass --from, --to or --total-price'})
    }
    const booking = await (await this.backend()).bookings.update(this.args.booking, changes)
    this.log(`Updated booking ${booking.id}: property ${booking.propertyId}, ${booking.startDate} → ${booking.endDate} (${booking.nights} nights), ${booking.totalPrice}, ${booking.status}.`)
    return booking
  }
}
