import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {defaultPaymentColumns, paymentColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import {PAYMENT_KINDS, PAYMENT_STATUSES} from '../../src/domain.js'
import type {Page} from '../../src/services/pagination.js'
import type {PaymentView} from '../../src/services/payments.js'

export default class PaymentsList extends BaseCommand<typeof PaymentsList> {
  static override summary = 'List payments and refunds'
  static override description = `Lists charges and refunds by booking, kind and status. Sort by id, paymentDate or createdAt.

Exit codes: 0, 3 bad filter.`

  static override examples = ['<%= config.bin %> <%= command.id %> --booking 42', '<%= config.bin %> <%= command.id %> --booking ext-001', '<%= config.bin %> <%= command.id %> --kind refund --sort -paymentDate --csv']

  static override flags = {
    ...flags.list,
    booking: Flags.string({description: 'Booking: its id or external reference'}),
    kind: Flags.string({description: 'Kind', options: [...PAYMENT_KINDS]}),
    status: Flags.string({description: 'Status', options: [...PAYMENT_STATUSES]}),
  }

  async run(): Promise<Page<PaymentView>> {
    const f = this.flags
    const result = await (await this.backend()).payments.list({
      booking: f.booking,
      kind: f.kind as PaymentView['kind'] | undefined,
      status: f.status as PaymentView['status'] | undefined,
      sort: f.sort,
      limit: f.limit,
      cursor: f.cursor,
    })
    this.printPage(renderPage(result, paymentColumns, f, defaultPaymentColumns))
    return result
  }
}
