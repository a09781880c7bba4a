/**
 * `db doctor`'s checks as pure functions of an engine's facts: each finding from a set of
 * variables as the engine's documentation describes it (MariaDB, Galera, Group Replication,
 * TiDB, Vitess, ProxySQL, SQLite), both ways where a check can pass and fail.
 */
import {expect} from 'chai'

import type {EngineFacts} from '../../src/db/engine-facts.js'
import {diagnose, identifyEngine, type DoctorInput, type DoctorStatus} from '../../src/services/doctor.js'

const MARIADB: EngineFacts = {
  dialect: 'mysql',
  version: '10.11.19-MariaDB-0+deb12u1-log',
  versionComment: 'Debian 12',
  global: {
    local_infile: 'ON',
    max_allowed_packet: String(16 * 1024 * 1024),
    sql_mode: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
    time_zone: 'SYSTEM',
    system_time_zone: 'UTC',
    transaction_isolation: 'REPEATABLE-READ',
    check_constraint_checks: 'ON',
    binlog_format: 'MIXED',
    innodb_autoinc_lock_mode: '1',
    wsrep_on: 'OFF',
    wsrep_provider: 'none',
  },
  session: {
    sql_mode: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
    time_zone: '+00:00',
    transaction_isolation: 'REPEATABLE-READ',
    check_constraint_checks: 'ON',
  },
  lease: null,
}
const GALERA: EngineFacts = {
  ...MARIADB,
  global: {...MARIADB.global, wsrep_on: 'ON', wsrep_provider: '/usr/lib/galera/libgalera_smm.so', binlog_format: 'ROW', innodb_autoinc_lock_mode: '2', wsrep_max_ws_rows: '0', wsrep_max_ws_size: '2147483647'},
}
const IMPORTS = {batchRows: 5000, batchBytes: 4 * 1024 * 1024}

/** The facts with some variables changed (null removes one), global and session alike. */
function withVars(facts: EngineFacts, changes: Record<string, string | null>, where: 'global' | 'session' | 'both' = 'both'): EngineFacts {
  const apply = (vars: Record<string, string>) => {
    const out = {...vars}
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete out[k]
      else out[k] = v
    }
    return out
  }
  return {...facts, global: where === 'session' ? facts.global : apply(facts.global), session: where === 'global' ? facts.session : apply(facts.session)}
}

function statusOf(facts: EngineFacts, check: string, extra: Partial<DoctorInput> = {}): DoctorStatus[] {
  return diagnose({facts, replicas: [], imports: IMPORTS, ...extra}).findings.filter((f) => f.check === check).map((f) => f.status)
}

describe('db doctor checks', function () {
  it('identifies MariaDB, a Galera node, Group Replication, TiDB, Vitess, ProxySQL and SQLite', function () {
    expect(identifyEngine(MARIADB)).to.deep.equal({name: 'MariaDB', version: '10.11.19', cluster: null, proxy: null})
    expect(identifyEngine(GALERA).cluster).to.equal('galera')
    expect(identifyEngine({...MARIADB, version: '8.0.36', global: {group_replication_group_name: 'aaaaaaaa-bbbb'}})).to.include({name: 'MySQL', cluster: 'group-replication'})
    expect(identifyEngine({...MARIADB, version: '8.0.11-TiDB-v7.5.0'})).to.include({name: 'TiDB', version: '8.0.11'})
    expect(identifyEngine({...MARIADB, version: '8.0.30-Vitess'})).to.include({name: 'Vitess'})
    expect(identifyEngine({...MARIADB, versionComment: '(ProxySQL)'})).to.include({proxy: 'proxysql'})
    expect(identifyEngine({dialect: 'sqlite', version: '3.45.0', versionComment: '', global: {}, session: {}, lease: null})).to.include({name: 'SQLite'})
  })

  it('a well-set single MariaDB passes every check, and exits 0 (no fail)', function () {
    const report = diagnose({facts: MARIADB, replicas: [], imports: IMPORTS})
    expect(report.findings.filter((f) => f.status !== 'ok')).to.deep.equal([])
    expect(report.fail).to.equal(0)
  })

  it('local_infile: OFF fails (imports use LOAD DATA LOCAL), ProxySQL fails, Vitess warns', function () {
    expect(statusOf(withVars(MARIADB, {local_infile: 'OFF'}, 'global'), 'local-infile')).to.deep.equal(['fail'])
    expect(statusOf({...MARIADB, versionComment: '(ProxySQL)'}, 'local-infile')).to.deep.equal(['fail'])
    expect(statusOf({...MARIADB, version: '8.0.30-Vitess'}, 'local-infile')).to.deep.equal(['warn'])
    const [finding] = diagnose({facts: withVars(MARIADB, {local_infile: 'OFF'}, 'global'), replicas: [], imports: IMPORTS}).findings.filter((f) => f.check === 'local-infile')
    expect(finding.fix).to.match(/local_infile=ON/)
  })

  it('max_allowed_packet: below a batch fails, below two warns', function () {
    expect(statusOf(withVars(MARIADB, {max_allowed_packet: String(1024 * 1024)}, 'global'), 'max-allowed-packet')).to.deep.equal(['fail'])
    expect(statusOf(withVars(MARIADB, {max_allowed_packet: String(6 * 1024 * 1024)}, 'global'), 'max-allowed-packet')).to.deep.equal(['warn'])
  })

  it('sql_mode: not strict fails; STRICT_ALL_TABLES passes', function () {
    expect(statusOf(withVars(MARIADB, {sql_mode: 'NO_ENGINE_SUBSTITUTION'}), 'sql-mode')).to.deep.equal(['fail'])
    expect(statusOf(withVars(MARIADB, {sql_mode: ''}), 'sql-mode')).to.deep.equal(['fail'])
    expect(statusOf(withVars(MARIADB, {sql_mode: 'STRICT_ALL_TABLES'}), 'sql-mode')).to.deep.equal(['ok'])
  })

  it('time_zone: a session not in UTC fails', function () {
    expect(statusOf(withVars(MARIADB, {time_zone: 'Europe/Paris'}, 'session'), 'time-zone')).to.deep.equal(['fail'])
    expect(statusOf(withVars(MARIADB, {time_zone: 'Europe/Paris'}, 'global'), 'time-zone')).to.deep.equal(['ok'])
  })

  it('isolation: READ-UNCOMMITTED fails, SERIALIZABLE warns, READ-COMMITTED passes; tx_isolation of older servers is read', function () {
    expect(statusOf(withVars(MARIADB, {transaction_isolation: 'READ-UNCOMMITTED'}), 'isolation')).to.deep.equal(['fail'])
    expect(statusOf(withVars(MARIADB, {transaction_isolation: 'SERIALIZABLE'}), 'isolation')).to.deep.equal(['warn'])
    expect(statusOf(withVars(MARIADB, {transaction_isolation: 'READ-COMMITTED'}), 'isolation')).to.deep.equal(['ok'])
    expect(statusOf(withVars(MARIADB, {transaction_isolation: null, tx_isolation: 'READ-UNCOMMITTED'}), 'isolation')).to.deep.equal(['fail'])
  })

  it('CHECK constraints: check_constraint_checks OFF, MariaDB before 10.2.1, MySQL before 8.0.16 and TiDB without the switch fail', function () {
    expect(statusOf(withVars(MARIADB, {check_constraint_checks: 'OFF'}, 'session'), 'check-constraints')).to.deep.equal(['fail'])
    expect(statusOf({...MARIADB, version: '10.1.48-MariaDB'}, 'check-constraints')).to.deep.equal(['fail'])
    expect(statusOf({...MARIADB, version: '8.0.15'}, 'check-constraints')).to.deep.equal(['fail'])
    expect(statusOf({...MARIADB, version: '8.0.16'}, 'check-constraints')).to.deep.equal(['ok'])
    const tidb = {...MARIADB, version: '8.0.11-TiDB-v7.5.0'}
    expect(statusOf(tidb, 'check-constraints')).to.deep.equal(['fail'])
    expect(statusOf(withVars(tidb, {tidb_enable_check_constraint: 'ON'}, 'global'), 'check-constraints')).to.deep.equal(['ok'])
  })

  it('clusters: binlog_format other than ROW fails, Galera needs innodb_autoinc_lock_mode 2; a single server is not asked', function () {
    expect(statusOf(GALERA, 'binlog-format')).to.deep.equal(['ok'])
    expect(statusOf(withVars(GALERA, {binlog_format: 'STATEMENT'}, 'global'), 'binlog-format')).to.deep.equal(['fail'])
    expect(statusOf(withVars(GALERA, {innodb_autoinc_lock_mode: '1'}, 'global'), 'autoinc-lock-mode')).to.deep.equal(['fail'])
    expect(statusOf(MARIADB, 'binlog-format')).to.deep.equal([])
  })

  it('write sets: tiny Galera limits warn; a Group Replication size limit below a batch fails; TiDB warns about its 100 MB cap', function () {
    expect(statusOf(GALERA, 'write-set')).to.deep.equal(['ok'])
    expect(statusOf(withVars(GALERA, {wsrep_max_ws_rows: '50'}, 'global'), 'write-set')).to.deep.equal(['warn'])
    const gr = {...MARIADB, version: '8.0.36', global: {...MARIADB.global, group_replication_group_name: 'g', binlog_format: 'ROW'}}
    expect(statusOf(withVars(gr, {group_replication_transaction_size_limit: String(4 * 1024 * 1024)}, 'global'), 'write-set')).to.deep.equal(['fail'])
    expect(statusOf(withVars(gr, {group_replication_transaction_size_limit: '150000000'}, 'global'), 'write-set')).to.deep.equal(['ok'])
    expect(statusOf({...MARIADB, version: '8.0.11-TiDB-v7.5.0'}, 'write-set')).to.deep.equal(['warn'])
  })

  it('named locks and AUTO_INCREMENT: Vitess and ProxySQL warn, Vitess ids fail, TiDB ids warn', function () {
    expect(statusOf(MARIADB, 'named-locks')).to.deep.equal(['ok'])
    expect(statusOf(GALERA, 'named-locks')).to.deep.equal(['ok'])
    expect(statusOf({...MARIADB, version: '8.0.30-Vitess'}, 'named-locks')).to.deep.equal(['warn'])
    expect(statusOf({...MARIADB, versionComment: '(ProxySQL)'}, 'named-locks')).to.deep.equal(['warn'])
    expect(statusOf({...MARIADB, version: '8.0.30-Vitess'}, 'auto-increment')).to.deep.equal(['fail'])
    expect(statusOf({...MARIADB, version: '8.0.11-TiDB-v7.5.0'}, 'auto-increment')).to.deep.equal(['warn'])
  })

  it('the migration lease: an interrupted migration warns', function () {
    const lease = {holder: null, step: {name: '2026.x.add', direction: 'up' as const, startedAt: null, by: 'ci'}, interrupted: true}
    expect(statusOf({...MARIADB, lease}, 'migration-lease')).to.deep.equal(['warn'])
    expect(statusOf({...MARIADB, lease: {...lease, step: null, interrupted: false}}, 'migration-lease')).to.deep.equal(['ok'])
  })

  it('replicas: one finding each, a skipped one warns with what to do', function () {
    const replicas = [
      {url: 'mysql://app@r1/db', state: 'in use' as const, reason: null, checkedAt: null},
      {url: 'mysql://app@r2/db', state: 'lagging' as const, reason: 'more than 5 s behind', checkedAt: null},
    ]
    expect(statusOf(MARIADB, 'replica', {replicas})).to.deep.equal(['ok', 'warn'])
  })

  it('SQLite: a journal other than WAL warns, foreign keys off fail', function () {
    const sqlite: EngineFacts = {dialect: 'sqlite', version: '3.45.0', versionComment: '', global: {}, session: {}, lease: null, sqlite: {journalMode: 'wal', foreignKeys: true}}
    expect(diagnose({facts: sqlite, replicas: [], imports: IMPORTS}).findings.map((f) => f.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok'])
    expect(statusOf({...sqlite, sqlite: {journalMode: 'delete', foreignKeys: true}}, 'sqlite-journal')).to.deep.equal(['warn'])
    expect(statusOf({...sqlite, sqlite: {journalMode: 'wal', foreignKeys: false}}, 'sqlite-foreign-keys')).to.deep.equal(['fail'])
  })

  it('calendar gaps: properties without gap rows fail with their ids (ten, then how many more); not examined, no finding', function () {
    const gaps = (withoutGaps: number[], repaired = 0) =>
      diagnose({facts: MARIADB, replicas: [], imports: IMPORTS, calendars: {withoutGaps, repaired}}).findings.filter((f) => f.check === 'calendar-gaps')
    expect(statusOf(MARIADB, 'calendar-gaps')).to.deep.equal([])
    expect(gaps([]).map((f) => [f.status, f.message])).to.deep.equal([['ok', 'every property has its free-gap rows (read by availability searches)']])
    expect(gaps([], 1)[0].message).to.match(/; --repair gave 1 property its gap rows$/)
    const one = gaps([7])[0]
    expect([one.status, one.message]).to.deep.equal(['fail', '1 property has no free-gap rows (id 7): made outside stayctl, availability searches miss it until one of its stays is written'])
    expect(one.fix).to.match(/stayctl db doctor --repair/)
    const many = gaps(Array.from({length: 12}, (_, i) => i + 1))[0].message
    expect(many).to.match(/^12 properties have no free-gap rows \(id 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … \(2 more\)\): .* miss them until one of their stays/)
  })
})
