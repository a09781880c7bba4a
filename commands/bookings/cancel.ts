import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import * as flags from '../../src/cli/flags.js'
import {confirmOrFail} from '../../src/cli/prompts.js'
import {REFUND_MODES, type RefundMode} from '../../src/domain.js'
import type {CancelBookingResult} from '../../src/services/bookings.js'

export default class BookingsCancel extends BaseCommand<typeof BookingsCancel> {
  static override summary = 'Cancel a booking, refunding by policy, in full, or not at all'
  static override description = `Cancels a pending or confirmed booking whose stay has not begun, and refunds its completed charges:
  --refund policy  what the property's cancellation policy gives for the days left before check-in (default)
  --refund full    everything paid and not yet refunded
  --refund none    nothing
Status change and refunds commit together. Asks for confirmation on a terminal when money is refunded.

Exit codes: 0, 2 not confirmed off a terminal, 4 no such booking, 5 already cancelled or stay begun.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> 42',
    '<%= config.bin %> <%= command.id %> 42 --refund full --reason "host cancelled" --yes',
    '<%= config.bin %> <%= command.id %> 42 --refund none --json',
  ]

  static override args = {booking: Args.string({description: 'Booking id or external reference', required: true})}
  static override flags = {
    refund: Flags.string({description: 'How much to refund', options: [...REFUND_MODES], default: 'policy'}),
    reason: Flags.string({description: 'Reason, stored with the refunds'}),
    yes: flags.yes,
  }

  async run(): Promise<CancelBookingResult | {cancelled: false}> {
    const refund = this.flags.refund as RefundMode
    const backend = await this.backend()
    const cancel = (dryRun: boolean) => backend.bookings.cancel(this.args.booking, {refund, reason: this.flags.reason, dryRun})
    // On a terminal the question says what the cancellation refunds now (a dry run: every rule, nothing written).
    const what = async () => {
      const preview = await cancel(true)
      return `It refunds ${preview.refunded} (${refundedHow(preview, refund)}).`
    }
    if (refund !== 'none' && !this.flags.yes && !(await confirmOrFail(`Cancel booking ${this.args.booking} with a ${refund} refund?`, '--yes', what))) {
      this.log('Nothing changed.')
      return {cancelled: false}
    }
    const result = await cancel(false)
    this.log(`Booking ${result.booking.id} is cancelled; refunded ${result.refunded} (${refundedHow(result, refund)}).`)
    return result
  }
}

const refundedHow = (result: CancelBookingResult, refund: RefundMode) =>
  result.policyPercent === null ? refund : `${result.policyPercent}% by policy, ${result.daysBeforeCheckIn} days before check-in`
