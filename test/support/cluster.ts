/**
 * The cluster tier: a multi-primary MySQL cluster (a 3-node MariaDB Galera cluster in CI,
 * `galera-cluster start`), named by STAYCTL_TEST_CLUSTER as comma-separated mysql:// URLs, one
 * per node. Every call to freshClusterDatabase() gets a database of its own, created on the
 * first node (DDL replicates to all) and reached through every node by its own URL, so a test
 * spreads its processes over the nodes and really races across them.
 */
import mysql from 'mysql2/promise'

import {parseDatabaseUrl, type DatabaseTarget} from '../../src/config/database-url.js'
import {openDb, type Db} from '../../src/db/index.js'

/** The node URLs, from STAYCTL_TEST_CLUSTER; empty when the tier is not configured. */
export const clusterNodes: string[] = (process.env.STAYCTL_TEST_CLUSTER ?? '')
  .split(',')
  .map((url) => url.trim())
  .filter(Boolean)

export interface ClusterDatabase {
  name: string
  /** The database through each node, in node order. */
  urls: string[]
  targets: DatabaseTarget[]
  /** The URL of node i modulo the number of nodes: for spreading process i over the nodes. */
  urlFor(i: number): string
  /** Opens the database through node i (modulo). */
  open(i?: number): Promise<Db>
  drop(): Promise<void>
}

let counter = 0

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** A connection to node i's server, no database selected. */
export function nodeConnection(i: number): Promise<mysql.Connection> {
  const target = parseDatabaseUrl(clusterNodes[i % clusterNodes.length])
  if (target.dialect !== 'mysql') throw new Error('STAYCTL_TEST_CLUSTER must list mysql:// URLs')
  return mysql.createConnection({host: target.host, port: target.port, user: target.user, password: target.password})
}

export async function freshClusterDatabase(label: string): Promise<ClusterDatabase> {
  if (clusterNodes.length === 0) throw new Error('STAYCTL_TEST_CLUSTER names no cluster nodes')
  counter += 1
  const name = `c_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}_${counter}`.slice(0, 64)
  const first = await nodeConnection(0)
  try {
    await first.query(`DROP DATABASE IF EXISTS \`${name}\``)
    await first.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await first.end()
  }
  const urls = clusterNodes.map((url) => withDatabase(url, name))
  return {
    name,
    urls,
    targets: urls.map((url) => parseDatabaseUrl(url)),
    urlFor: (i) => urls[i % urls.length],
    open: (i = 0) => openDb(parseDatabaseUrl(urls[i % urls.length])),
    drop: async () => {
      const c = await nodeConnection(0)
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      } finally {
        await c.end()
      }
    },
  }
}

/** `describe` for the cluster tier: skipped (and said so) when no cluster is configured. */
export function describeCluster(title: string, fn: (this: Mocha.Suite) => void): void {
  if (clusterNodes.length === 0) describe.skip(`${title} (no STAYCTL_TEST_CLUSTER)`, fn)
  else describe(`${title} (cluster of ${clusterNodes.length})`, fn)
}

/**
 * A connection to `database` through node i whose reads wait until the node has applied
 * everything the cluster committed before them (wsrep_sync_wait): what a test checks after the
 * racers are done, and what it reads before sending a node work prepared through another.
 */
export async function syncedConnection(cluster: ClusterDatabase, i = 0): Promise<mysql.Connection> {
  const target = cluster.targets[i % cluster.targets.length]
  if (target.dialect !== 'mysql') throw new Error('unreachable')
  const connection = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
  })
  await connection.query('SET SESSION wsrep_sync_wait = 1')
  return connection
}

/** Waits until every node has applied what was committed so far (through any node). */
export async function syncNodes(cluster: ClusterDatabase): Promise<void> {
  for (let i = 0; i < cluster.urls.length; i++) {
    const connection = await syncedConnection(cluster, i)
    try {
      await connection.query('SELECT 1 FROM SequelizeMeta LIMIT 1')
    } finally {
      await connection.end()
    }
  }
}
