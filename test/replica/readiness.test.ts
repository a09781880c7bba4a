/**
 * `serve`'s /readyz reads the schema's state on the primary, as `db status` does: a server
 * started before `db migrate` (a rolling deploy) is ready once the migration commits there, also
 * while the replica has not replayed it (replication stopped here, so the window is held open
 * rather than hoped for). Reads of requests still fall back to the primary while a replica lags.
 */
import {expect} from 'chai'

import {isolatedEnv, runCli} from '../support/cli.js'
import {freshReplicaDatabase, describeReplica, type ReplicaDatabase} from '../support/replica.js'
import {serve, type Served} from '../support/serve.js'

describeReplica('readiness with a lagging replica', function () {
  let database: ReplicaDatabase
  let served: Served | undefined

  before(async () => {
    database = await freshReplicaDatabase('ready')
  })

  after(async () => {
    served?.child.kill('SIGKILL')
    await database?.sql(1, 'START SLAVE').catch(() => {})
    await database?.drop()
  })

  it('is ready as soon as `db migrate` commits on the primary, while the replica has not replayed it', async () => {
    const env = isolatedEnv({STAYCTL_DATABASE_URL: database.primaryUrl, STAYCTL_READ_REPLICA_URLS: database.replicaUrl})
    served = await serve(env)
    const ready = async () => (await fetch(`${served!.base}/readyz`)).status
    expect(await ready()).to.equal(503)
    await database.sql(1, 'STOP SLAVE')
    try {
      const migrated = await runCli(['db', 'migrate'], {env})
      expect(migrated.code, migrated.stderr).to.equal(0)
      // The replica has no migration table yet: read there, every migration would be pending.
      expect(await database.sql(1, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'SequelizeMeta'")).to.deep.equal([])
      expect(await ready()).to.equal(200)
    } finally {
      await database.sql(1, 'START SLAVE')
    }
  })
})
