/**
 * Imports on a Galera node keep within its write-set limits: batches are cut to fit
 * wsrep_max_ws_rows, and an import in one transaction that would outgrow it stops before the
 * cluster refuses it, having written nothing. The limit is lowered on one node for the test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {migrate} from '../../src/services/schema.js'
import {isolatedEnv, runCli} from '../support/cli.js'
import {describeCluster, freshClusterDatabase, nodeConnection, syncedConnection, type ClusterDatabase} from '../support/cluster.js'

const NODE = 2
const MAX_ROWS = 200
const USERS = 1000

describeCluster('imports within the write-set limits of a Galera node', function () {
  this.timeout(600_000)

  let cluster: ClusterDatabase
  let db: Db
  let work: string
  let file: string
  let saved: string

  before(async () => {
    cluster = await freshClusterDatabase('writeset')
    db = await cluster.open(0)
    await migrate(db, {})
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-writeset-'))
    file = path.join(work, 'users.csv')
    const lines = ['username,email,password']
    for (let i = 0; i < USERS; i++) lines.push(`ws${i},ws${i}@example.com,password-${i}-long`)
    fs.writeFileSync(file, lines.join('\n') + '\n')
    const node = await nodeConnection(NODE)
    try {
      const [rows] = await node.query<import('mysql2').RowDataPacket[]>("SHOW VARIABLES LIKE 'wsrep_max_ws_rows'")
      saved = String(rows[0].Value)
      await node.query(`SET GLOBAL wsrep_max_ws_rows = ${MAX_ROWS}`)
    } finally {
      await node.end()
    }
  })

  after(async () => {
    if (saved !== undefined) {
      const node = await nodeConnection(NODE)
      await node.query(`SET GLOBAL wsrep_max_ws_rows = ${Number(saved)}`).finally(() => node.end())
    }
    await db?.close()
    await cluster?.drop()
    if (work) fs.rmSync(work, {recursive: true, force: true})
  })

  const users = async () => {
    const connection = await syncedConnection(cluster, 0)
    try {
      const [rows] = await connection.query<import('mysql2').RowDataPacket[]>("SELECT COUNT(*) AS n FROM users WHERE username LIKE 'ws%'")
      return Number(rows[0].n)
    } finally {
      await connection.end()
    }
  }

  const env = () => isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(NODE)})

  it('refuses an atomic import that would outgrow one write set, before writing anything', async () => {
    const result = await runCli(['import', 'users', file, '--atomic', '--json'], {env: env(), timeoutMs: 240_000})
    expect(result.code, result.stdout + result.stderr).to.equal(2)
    const {error} = JSON.parse(result.stdout) as {error: {message: string}}
    expect(error.message).to.contain(`too large for one transaction on this Galera node (wsrep_max_ws_rows ${MAX_ROWS}`)
    expect(await users()).to.equal(0)
  })

  it(`imports ${USERS} users batch by batch, each batch within the limit`, async () => {
    const result = await runCli(['import', 'users', file, '--json'], {env: env(), timeoutMs: 240_000})
    expect(result.code, result.stdout + result.stderr).to.equal(0)
    expect((JSON.parse(result.stdout) as {inserted: number}).inserted).to.equal(USERS)
    expect(await users()).to.equal(USERS)
  })
})
