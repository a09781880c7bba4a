import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {defaultPaymentColumns, paymentColumns} from '../../src/cli/columns.js'
import {pickColumns} from '../../src/cli/list.js'
import {details, tableOrRows} from '../../src/cli/render.js'
import type {PaymentDetails} from '../../src/services/payments.js'

export default class PaymentsShow extends BaseCommand<typeof PaymentsShow> {
  static override summary = 'Show a payment with its refunds and what remains refundable'
  static override description = `Shows a payment (by id or transaction id); for a charge, its refunds and the refundable remainder.

Exit codes: 0, 4 no such payment.`

  static override examples = ['<%= config.bin %> <%= command.id %> 17', '<%= config.bin %> <%= command.id %> ch_3PQx2 --json']

  static override args = {payment: Args.string({description: 'Payment id or transaction id', required: true})}

  async run(): Promise<PaymentDetails> {
    const p = await (await this.backend()).payments.show(this.args.payment)
    this.log(
      details([
        ['ID', p.id],
        ['Kind', p.kind],
        ['Booking', p.bookingId],
        ['Amount', p.amount],
        ['Status', p.status],
        ['Transaction', p.transactionId],
        ['Date', p.paymentDate],
        ['Refund of', p.refundOfId],
        ['Reason', p.reason],
        ['Refundable', p.refundable],
      ]),
    )
    if (p.refunds.length > 0) {
      this.log('\nRefunds:')
      this.log(tableOrRows(p.refunds, pickColumns(paymentColumns, undefined, [...defaultPaymentColumns, 'reason']), {fit: true}))
    }
    return p
  }
}
