/**
 * The replica tier: a MariaDB primary and an asynchronous read replica (`mariadb-replica start`:
 * 127.0.0.1:3321 and :3322, GTID, the replica read_only), named by STAYCTL_TEST_REPLICA as two
 * mysql:// URLs, primary first, for user app, which cannot write to a read_only replica: a write
 * sent there fails loudly. Root (no password, same hosts) makes the rows one server alone has.
 */
import net from 'node:net'

import mysql from 'mysql2/promise'

export const replicaPair: string[] = (process.env.STAYCTL_TEST_REPLICA ?? '')
  .split(',')
  .map((url) => url.trim())
  .filter(Boolean)

/** `describe` for the replica tier: skipped (and said so) when no pair is configured. */
export function describeReplica(title: string, fn: (this: Mocha.Suite) => void): void {
  if (replicaPair.length < 2) describe.skip(`${title} (no STAYCTL_TEST_REPLICA)`, fn)
  else describe(`${title} (primary and replica)`, fn)
}

/** Root on server i of the pair (0 primary, 1 replica), in `database` when given. */
export function rootOn(i: number, database?: string): Promise<mysql.Connection> {
  const url = new URL(replicaPair[i])
  return mysql.createConnection({host: url.hostname, port: Number(url.port || 3306), user: 'root', database, dateStrings: true})
}

export interface ReplicaDatabase {
  name: string
  primaryUrl: string
  replicaUrl: string
  /** Runs SQL as root on the primary (0) or the replica (1), in this database. */
  sql(i: number, statement: string, values?: unknown[]): Promise<unknown[]>
  /** Waits until the replica has applied everything the primary has now. */
  synced(): Promise<void>
  drop(): Promise<void>
}

/** A database of its own on the pair, created on the primary (and so on the replica). */
export async function freshReplicaDatabase(label: string): Promise<ReplicaDatabase> {
  const name = `r_${label}_${process.pid}`.replace(/[^a-z0-9_]/gi, '_').slice(0, 64)
  const at = (i: number) => {
    const url = new URL(replicaPair[i])
    url.pathname = `/${name}`
    return url.toString()
  }
  const sql = async (i: number, statement: string, values: unknown[] = [], inDatabase = true) => {
    const c = await rootOn(i, inDatabase ? name : undefined)
    try {
      const [rows] = await c.query(statement, values)
      return rows as unknown[]
    } finally {
      await c.end()
    }
  }
  const synced = async () => {
    const [row] = (await sql(0, 'SELECT @@global.gtid_binlog_pos AS pos', [], false)) as {pos: string}[]
    const [wait] = (await sql(1, 'SELECT MASTER_GTID_WAIT(?, 30) AS w', [row.pos], false)) as {w: number}[]
    if (Number(wait.w) !== 0) throw new Error('the replica did not catch up within 30 s')
  }
  await sql(0, `DROP DATABASE IF EXISTS \`${name}\``, [], false)
  await sql(0, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`, [], false)
  const drop = async () => void (await sql(0, `DROP DATABASE IF EXISTS \`${name}\``, [], false))
  const database: ReplicaDatabase = {name, primaryUrl: at(0), replicaUrl: at(1), sql: (i, statement, values) => sql(i, statement, values), synced, drop}
  await synced()
  return database
}

/**
 * A TCP forwarder on a fixed port of its own to a server: `down()` closes the port (connections
 * are refused, open ones reset), `up()` opens it again, as a replica that stops and restarts.
 */
export async function switchableProxy(target: {host: string; port: number}) {
  const sockets = new Set<net.Socket>()
  const server = () =>
    net.createServer((client) => {
      const upstream = net.connect(target.port, target.host)
      for (const s of [client, upstream]) {
        sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => sockets.delete(s))
      }
      client.pipe(upstream).pipe(client)
    })
  let current = server()
  await new Promise<void>((resolve) => current.listen(0, '127.0.0.1', resolve))
  const port = (current.address() as net.AddressInfo).port
  return {
    port,
    async down() {
      for (const s of sockets) s.resetAndDestroy()
      await new Promise<void>((resolve) => current.close(() => resolve()))
    },
    async up() {
      current = server()
      await new Promise<void>((resolve) => current.listen(port, '127.0.0.1', resolve))
    },
    close() {
      for (const s of sockets) s.destroy()
      current.close()
    },
  }
}
