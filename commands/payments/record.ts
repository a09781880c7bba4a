import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import type {PaymentView} from '../../src/services/payments.js'

export default class PaymentsRecord extends BaseCommand<typeof PaymentsRecord> {
  static override summary = 'Record a charge for a booking'
  static override description = `Records a payment (a charge) made for a booking, with the payment provider's transaction id, which must be unique. A booking's charges never add up to more than its total; cancelled bookings take no charges.

Exit codes: 0, 3 invalid amount, 4 no such booking, 5 duplicate transaction id, cancelled booking or above the total.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --booking 42 --amount 840.00 --transaction-id ch_3PQx2',
    '<%= config.bin %> <%= command.id %> --booking 42 --amount 100 --transaction-id ch_9 --status pending --json',
    '<%= config.bin %> <%= command.id %> --booking ext-001 --amount 60 --transaction-id ch_10',
  ]

  static override flags = {
    booking: Flags.string({description: 'Booking id or external reference', required: true}),
    amount: Flags.string({description: 'Amount, e.g. 840.00', required: true}),
    'transaction-id': Flags.string({description: 'Unique transaction id from the payment provider', required: true}),
    status: Flags.string({description: 'Status', options: ['completed', 'pending', 'failed'], default: 'completed'}),
    date: Flags.string({description: 'When it was paid: a date (YYYY-MM-DD, midnight UTC) or a date-time with Z or an offset (2027-06-15T10:30:00Z); default now'}),
  }

  async run(): Promise<PaymentView> {
    const f = this.flags
    const payment = await (await this.backend()).payments.record({
      booking: f.booking,
      amount: f.amount,
      transactionId: f['transaction-id'],
      status: f.status as 'completed' | 'pending' | 'failed',
      paymentDate: f.date,
    })
    this.log(`Recorded payment ${payment.id}: ${payment.amount} for booking ${payment.bookingId} (${payment.status}).`)
    return payment
  }
}
