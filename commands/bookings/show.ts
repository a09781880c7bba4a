import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {defaultPaymentColumns, paymentColumns} from '../../src/cli/columns.js'
import {pickColumns} from '../../src/cli/list.js'
import {details, tableOrRows} from '../../src/cli/render.js'
import type {BookingDetails} from '../../src/services/bookings.js'

export default class BookingsShow extends BaseCommand<typeof BookingsShow> {
  static override summary = 'Show a booking with its payments'
  static override description = `Shows a booking (by id or external reference), with its charges and refunds.

Exit codes: 0, 4 no such booking.`

  static override examples = ['<%= config.bin %> <%= command.id %> 42', '<%= config.bin %> <%= command.id %> ext-2026-0042 --json']

  static override args = {booking: Args.string({description: 'Booking id or external reference', required: true})}

  async run(): Promise<BookingDetails> {
    const b = await (await this.backend()).bookings.show(this.args.booking)
    this.log(
      details([
        ['ID', b.id],
        ['Property', `${b.property.name} (${b.propertyId})`],
        ['Guest', `${b.guest.username} (${b.guestId})`],
        ['Stay', `${b.startDate} → ${b.endDate} (${b.nights} nights)`],
        ['Status', b.status],
        ['Total', b.totalPrice],
        ['Paid', b.paid],
        ['Refunded', b.refunded],
        ['External ref', b.externalRef],
      ]),
    )
    if (b.payments.length > 0) {
      this.log('\nPayments:')
      this.log(tableOrRows(b.payments, pickColumns(paymentColumns, undefined, defaultPaymentColumns), {fit: true}))
    }
    return b
  }
}
