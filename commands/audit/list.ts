import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {auditColumns} from '../../src/cli/columns.js'
import * as flags from '../../src/cli/flags.js'
import {renderPage} from '../../src/cli/list.js'
import type {AuditEventView} from '../../src/services/audit.js'
import type {Page} from '../../src/services/pagination.js'

export default class AuditList extends BaseCommand<typeof AuditList> {
  static override summary = 'List audit events'
  static override description = `Lists what was changed, by whom (the OS user for local runs, "os:<name>"), through which door, when, and the changes. Newest first by default.

Exit codes: 0, 3 bad filter.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --entity booking --entity-id 42',
    '<%= config.bin %> <%= command.id %> --action "payment.*" --since 2026-11-01 --json',
  ]

  static override flags = {
    ...flags.list,
    entity: Flags.string({description: 'Entity: user, property, booking, review or payment'}),
    'entity-id': Flags.string({description: 'Id of the entity'}),
    actor: Flags.string({description: 'Who did it'}),
    action: Flags.string({description: 'Action, e.g. booking.cancel; * is a wildcard'}),
    since: Flags.string({description: 'From this date (midnight UTC) or date-time with Z or an offset (inclusive)'}),
    until: Flags.string({description: 'Until this date (midnight UTC) or date-time with Z or an offset (inclusive)'}),
  }

  async run(): Promise<Page<AuditEventView>> {
    const f = this.flags
    const result = await (await this.backend()).audit.list({
      entity: f.entity,
      entityId: f['entity-id'],
      actor: f.actor,
      action: f.action,
      since: f.since,
      until: f.until,
      sort: f.sort,
      limit: f.limit,
      cursor: f.cursor,
    })
    this.printPage(renderPage(result, auditColumns, f, ['id', 'at', 'actor', 'via', 'action', 'entity', 'entityId']))
    return result
  }
}
