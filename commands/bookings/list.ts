import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {bookingColumns, defaultBookingColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import {BOOKING_STATUSES} from '../../src/domain.js'
import type {BookingView} from '../../src/services/bookings.js'
import type {Page} from '../../src/services/pagination.js'

export default class BookingsList extends BaseCommand<typeof BookingsList> {
  static override summary = 'List bookings'
  static override description = `Lists bookings by property, guest, status, and stays overlapping a date range. Sort by id, startDate or createdAt.

Exit codes: 0, 3 bad filter or a property name several hosts use, 4 no such property or guest.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --property 12',
    '<%= config.bin %> <%= command.id %> --guest alice --status confirmed --sort -startDate',
    '<%= config.bin %> <%= command.id %> --from 2026-12-01 --to 2027-01-01 --csv',
  ]

  static override flags = {
    ...flags.list,
    property: Flags.string({description: 'Property id or exact name (a name several hosts use: its id)'}),
    guest: Flags.string({description: 'Guest: user id, username or email'}),
    status: Flags.string({description: 'Status', options: [...BOOKING_STATUSES]}),
    from: Flags.string({description: 'Stays overlapping from this date (YYYY-MM-DD)'}),
    to: Flags.string({description: 'Stays overlapping until this date (exclusive)'}),
  }

  async run(): Promise<Page<BookingView>> {
    const f = this.flags
    const result = await (await this.backend()).bookings.list({
      property: f.property,
      guest: f.guest,
      status: f.status as BookingView['status'] | undefined,
      from: f.from,
      to: f.to,
      sort: f.sort,
      limit: f.limit,
      cursor: f.cursor,
    })
    this.printPage(renderPage(result, bookingColumns, f, defaultBookingColumns))
    return result
  }
}
