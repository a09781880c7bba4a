/**
 * `db doctor` on the primary/replica pair, and on that primary set up to trigger findings:
 * local_infile OFF and a sql_mode that is not strict fail (exit 9, with the setting to change);
 * a replica behind the lag limit is a warning. The settings are the pair's own servers' and are
 * put back after each test.
 */
import {expect} from 'chai'

import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {describeReplica, freshReplicaDatabase, type ReplicaDatabase} from '../support/replica.js'

interface Report {
  engine: {name: string}
  findings: {check: string; status: string; message: string; fix: string | null}[]
  fail: number
}

describeReplica('db doctor on the primary and replica', function () {
  let database: ReplicaDatabase
  let env: NodeJS.ProcessEnv
  const doctor = (extra: string[] = []) => runCli(['db', 'doctor', '--json', ...extra], {env})
  const report = (result: CliResult) => JSON.parse(result.stdout) as Report
  const statuses = (r: Report, check: string) => r.findings.filter((f) => f.check === check).map((f) => f.status)

  before(async function () {
    database = await freshReplicaDatabase('doctor')
    env = isolatedEnv({STAYCTL_DATABASE_URL: database.primaryUrl, STAYCTL_READ_REPLICA_URLS: database.replicaUrl})
    expect((await runCli(['db', 'migrate'], {env})).code).to.equal(0)
  })
  after(async function () {
    await database?.sql(1, 'START SLAVE').catch(() => {})
    await database?.drop()
  })

  it('passes on the pair as set up, with the replica in use', async function () {
    const result = await doctor()
    expect(result.code, result.stderr).to.equal(0)
    expect(report(result).engine.name).to.equal('MariaDB')
    expect(statuses(report(result), 'replica')).to.deep.equal(['ok'])
    expect(statuses(report(result), 'local-infile')).to.deep.equal(['ok'])
  })

  it('local_infile OFF on the server fails, exit 9, naming the setting', async function () {
    await database.sql(0, 'SET GLOBAL local_infile = OFF')
    try {
      const result = await doctor()
      expect(result.code).to.equal(9)
      const [finding] = report(result).findings.filter((f) => f.check === 'local-infile')
      expect(finding).to.include({status: 'fail'})
      expect(finding.fix).to.match(/local_infile=ON/)
    } finally {
      await database.sql(0, 'SET GLOBAL local_infile = ON')
    }
  })

  it('a sql_mode that is not strict fails, exit 9', async function () {
    const [{mode}] = (await database.sql(0, 'SELECT @@global.sql_mode AS mode')) as {mode: string}[]
    await database.sql(0, "SET GLOBAL sql_mode = 'NO_ENGINE_SUBSTITUTION'")
    try {
      const result = await doctor()
      expect(result.code).to.equal(9)
      expect(statuses(report(result), 'sql-mode')).to.deep.equal(['fail'])
    } finally {
      await database.sql(0, 'SET GLOBAL sql_mode = ?', [mode])
    }
  })

  it('a replica behind the lag limit is a warning (exit 0), and one line on stderr', async function () {
    await database.sql(1, 'STOP SLAVE')
    try {
      await database.sql(0, 'CREATE TABLE doctor_lag (id INT PRIMARY KEY)')
      const result = await doctor(['--max-replica-lag', '1'])
      expect(result.code, result.stderr).to.equal(0)
      expect(statuses(report(result), 'replica')).to.deep.equal(['warn'])
      expect(result.stderr.split('\n').filter((l) => /read replica/.test(l))).to.have.length(1)
    } finally {
      await database.sql(1, 'START SLAVE')
    }
  })
})
