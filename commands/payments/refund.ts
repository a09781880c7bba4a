import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'
import type {RefundResult} from '../../src/services/payments.js'

export default class PaymentsRefund extends BaseCommand<typeof PaymentsRefund> {
  static override summary = 'Refund a charge, fully or in part'
  static override description = `Refunds a completed charge: the whole refundable remainder, or --amount of it. Refunds of one charge never add up to more than the charge, even when several run at once. With --idempotency-key, running the same refund again returns the first refund instead of refunding twice (safe to retry). A charge refunded in full becomes "refunded". Asks for confirmation on a terminal, saying how much it refunds; pass --yes in scripts.

Exit codes: 0 refunded (or replayed, or not confirmed on a terminal), 2 not confirmed off a terminal, 3 invalid amount, 4 no such payment, 5 not refundable or above the remainder.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 17',
    '<%= config.bin %> <%= command.id %> 17 --amount 30 --reason "late check-in" --idempotency-key ticket-4411 --yes',
    '<%= config.bin %> <%= command.id %> ch_3PQx2 --amount 12.50 --yes --json',
  ]

  static override args = {payment: Args.string({description: 'Charge: payment id or transaction id', required: true})}
  static override flags = {
    yes: flags.yes,
    amount: Flags.string({description: 'Amount to refund (default: all that remains)'}),
    reason: Flags.string({description: 'Why (kept with the refund)'}),
    'idempotency-key': Flags.string({description: 'Key that makes retries safe: the same key returns the first refund'}),
  }

  async run(): Promise<RefundResult | {refunded: false}> {
    const f = this.flags
    const backend = await this.backend()
    const refund = (dryRun: boolean) =>
      backend.payments.refund(this.args.payment, {amount: f.amount, reason: f.reason, idempotencyKey: f['idempotency-key'], dryRun})
    // On a terminal the question says how much (a dry run: every rule, nothing written).
    const what = async () => {
      const preview = await refund(true)
      return preview.replayed
        ? `It was already refunded with this idempotency key (${preview.refund.amount}); nothing would change.`
        : `It refunds ${preview.refund.amount}; ${preview.remaining} would remain refundable.`
    }
    if (!f.yes && !(await confirmOrFail(`Refund payment ${this.args.payment}?`, '--yes', what))) {
      this.log('Nothing changed.')
      return {refunded: false}
    }
    const result = await refund(false)
    this.log(
      result.replayed
        ? `Refund ${result.refund.id} of ${result.refund.amount} was already made with this idempotency key; nothing changed.`
        : `Refunded ${result.refund.amount} of payment ${result.charge.id} (refund ${result.refund.id}); ${result.remaining} remains refundable.`,
    )
    return result
  }
}
