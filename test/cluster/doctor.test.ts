/**
 * `db doctor` on a node of the Galera cluster: it names the engine and the cluster, and checks
 * what Galera changes for stayctl (binlog format, autoinc lock mode, the write-set limits against
 * the import's batches, named locks); with the write-set limit lowered on one node (the finding
 * it triggers), that node's report warns, with the setting to raise, and still exits 0.
 */
import {expect} from 'chai'

import {migrate} from '../../src/services/schema.js'
import {isolatedEnv, runCli} from '../support/cli.js'
import {describeCluster, freshClusterDatabase, nodeConnection, type ClusterDatabase} from '../support/cluster.js'

interface Report {
  engine: {name: string; cluster: string | null}
  findings: {check: string; status: string; message: string; fix: string | null}[]
  fail: number
}

const NODE = 1

describeCluster('db doctor on a Galera node', function () {
  this.timeout(300_000)
  let cluster: ClusterDatabase

  before(async () => {
    cluster = await freshClusterDatabase('doctor')
    const db = await cluster.open(0)
    await migrate(db, {})
    await db.close()
  })
  after(async () => cluster?.drop())

  const doctor = async () => {
    const result = await runCli(['db', 'doctor', '--json'], {env: isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(NODE)})})
    return {code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr}
  }
  const find = (report: Report, check: string) => report.findings.find((f) => f.check === check)

  it('names MariaDB and the Galera cluster, and checks what Galera changes', async () => {
    const {code, report, stderr} = await doctor()
    expect(code, stderr).to.equal(report.fail > 0 ? 9 : 0)
    expect(report.engine).to.include({name: 'MariaDB', cluster: 'galera'})
    for (const check of ['binlog-format', 'autoinc-lock-mode', 'write-set', 'named-locks']) expect(find(report, check), check).to.not.equal(undefined)
    expect(find(report, 'named-locks')!.message).to.match(/Galera does not replicate GET_LOCK/)
    expect(find(report, 'write-set')).to.include({status: 'ok'})
    expect(find(report, 'binlog-format')).to.include({status: 'ok'})
    expect(find(report, 'autoinc-lock-mode')).to.include({status: 'ok'})
  })

  it('warns on that node when its write-set limit is tiny, naming the setting; exit 0', async () => {
    const node = await nodeConnection(NODE)
    const [rows] = await node.query<import('mysql2').RowDataPacket[]>("SHOW VARIABLES LIKE 'wsrep_max_ws_rows'")
    const saved = Number(rows[0].Value)
    try {
      await node.query('SET GLOBAL wsrep_max_ws_rows = 50')
      const {code, report} = await doctor()
      expect(find(report, 'write-set')).to.include({status: 'warn'})
      expect(find(report, 'write-set')!.message).to.match(/wsrep_max_ws_rows=50/)
      expect(find(report, 'write-set')!.fix).to.match(/raise wsrep_max_ws_rows/)
      expect(code).to.equal(report.fail > 0 ? 9 : 0)
    } finally {
      await node.query(`SET GLOBAL wsrep_max_ws_rows = ${saved}`).finally(() => node.end())
    }
  })
})
