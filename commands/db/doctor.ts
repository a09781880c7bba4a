import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {color, tableOrRows} from '../../src/cli/render.js'
import {ERROR_CATALOGUE} from '../../src/errors.js'
import type {DoctorReport} from '../../src/services/doctor.js'

export default class DbDoctor extends BaseCommand<typeof DbDoctor> {
  static override summary = 'Check what the database engine allows against what stayctl relies on'
  static override description = `Identifies the engine (MySQL or MariaDB and its version, a Galera or Group Replication cluster, TiDB, Vitess, a ProxySQL in front, or SQLite) and checks what stayctl needs there: local_infile (imports use LOAD DATA LOCAL INFILE), max_allowed_packet against an import batch, a strict sql_mode, UTC sessions, the isolation level, CHECK constraints enforced, binlog format and autoinc lock mode on clusters, write-set limits against the import batch, named locks, AUTO_INCREMENT across servers, the migration lease, each read replica (--read-replica-url) and its lag, on SQLite the journal mode and foreign keys, and in the data that every property has its free-gap rows (which availability searches read; a property inserted outside stayctl has none). Each check is ok, warn or fail, with the setting to change.

--repair first repairs what it can: properties without free-gap rows get them, computed from their bookings and blocks (a few hundred properties per transaction, under their calendars' guard, each transaction with a calendar.repair audit event); then it reports as without.

With --api it examines the server's own database (admins only).

--json prints {"engine": {"name", "version", "cluster": "galera" | "group-replication" | null, "proxy": "proxysql" | null}, "findings": [{"check", "status": "ok" | "warn" | "fail", "message", "fix": string | null}], "ok", "warn", "fail"}.

Exit codes: 0 no check fails (warnings allowed), 9 a check fails (for CI gates), 6 not an admin (--api), 7 database unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json   # in CI: exit 9 when a check fails',
    '<%= config.bin %> <%= command.id %> --api https://admin.example.com/graphql',
    '<%= config.bin %> <%= command.id %> --repair   # give properties inserted outside stayctl their free-gap rows',
  ]

  static override flags = {
    repair: Flags.boolean({description: 'Repair what can be repaired (properties without free-gap rows), then report'}),
  }

  async run(): Promise<DoctorReport> {
    const report = await (await this.backend()).database.doctor({repair: this.flags.repair})
    const {engine} = report
    this.log(`Engine: ${engine.name} ${engine.version}${engine.cluster ? ` (${engine.cluster})` : ''}${engine.proxy ? ` through ${engine.proxy}` : ''}`)
    const mark = (status: string) => (status === 'ok' ? color.ok('ok') : status === 'warn' ? color.warn('warn') : color.bad('FAIL'))
    this.log(
      tableOrRows(report.findings, [
        {header: 'Check', get: (f) => f.check},
        {header: 'Status', get: (f) => mark(f.status)},
        {header: 'Finding', get: (f) => f.message + (f.fix ? `\nfix: ${f.fix}` : '')},
      ]),
    )
    this.log(`${report.ok} ok, ${report.warn} warnings, ${report.fail} failing.`)
    if (report.fail > 0) {
      if (this.jsonEnabled()) this.logJson(report)
      this.exit(ERROR_CATALOGUE.DOCTOR_FAILED.exit)
    }
    return report
  }
}
