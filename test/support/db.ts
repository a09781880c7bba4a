/**
 * Test databases. STAYCTL_TEST_DATABASE_URL picks the server (a mysql:// URL, or "sqlite",
 * the default); every call to freshDatabase() gets a database of its own: a new SQLite file
 * in a temporary folder, or a new MySQL database named after the base one, dropped after.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import mysql from 'mysql2/promise'

import {parseDatabaseUrl, type DatabaseTarget} from '../../src/config/database-url.js'
import {openDb, type Db, type OpenDbOptions} from '../../src/db/index.js'
import {migrate} from '../../src/services/schema.js'

export const testDialect: 'mysql' | 'sqlite' = (process.env.STAYCTL_TEST_DATABASE_URL ?? '').startsWith('mysql')
  ? 'mysql'
  : 'sqlite'

/** The dialects a test may use: SQLite always, MySQL when STAYCTL_TEST_DATABASE_URL names a server. */
export const availableDialects: ('mysql' | 'sqlite')[] = testDialect === 'mysql' ? ['sqlite', 'mysql'] : ['sqlite']

export interface TestDatabase {
  url: string
  target: DatabaseTarget
  /** Removes the database (and the SQLite folder). */
  drop(): Promise<void>
}

let counter = 0

export async function freshDatabase(label = 'db', dialect: 'mysql' | 'sqlite' = testDialect): Promise<TestDatabase> {
  counter += 1
  const slug = `${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}_${counter}`
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-test-'))
    const url = `sqlite:${path.join(dir, `${slug}.sqlite`)}`
    return {url, target: parseDatabaseUrl(url), drop: async () => fs.rmSync(dir, {recursive: true, force: true})}
  }
  const base = parseDatabaseUrl(process.env.STAYCTL_TEST_DATABASE_URL!)
  if (base.dialect !== 'mysql') throw new Error('unreachable')
  const name = `${base.database}_${slug}`.slice(0, 64)
  const server = () =>
    mysql.createConnection({host: base.host, port: base.port, user: base.user, password: base.password})
  const connection = await server()
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await connection.end()
  const url = new URL(process.env.STAYCTL_TEST_DATABASE_URL!)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    target: parseDatabaseUrl(url.toString()),
    drop: async () => {
      const c = await server()
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    },
  }
}

/**
 * The read replica URL of a test database, when STAYCTL_TEST_READ_REPLICA names a replica of the
 * test server (a mysql:// URL; its database part is replaced by the test database's name): CLI
 * runs of the tests then read from it (see test/e2e/helpers.ts cliEnv).
 */
export function readReplicaUrlFor(database: TestDatabase): string | undefined {
  const replica = process.env.STAYCTL_TEST_READ_REPLICA
  if (!replica || database.target.dialect !== 'mysql') return undefined
  const url = new URL(replica)
  url.pathname = `/${database.target.database}`
  return url.toString()
}

/**
 * Opens a test database: with STAYCTL_TEST_READ_REPLICA, its reads outside writes go to the
 * replica, causal (each request of a server reads every write finished before it).
 */
export function openTestDb(database: TestDatabase, options: OpenDbOptions = {}): Promise<Db> {
  const replica = readReplicaUrlFor(database)
  const target = replica ? parseDatabaseUrl(replica) : undefined
  if (target?.dialect !== 'mysql') return openDb(database.target, options)
  return openDb(database.target, {readReplicas: [target], replicaConsistency: 'causal', maxReplicaLagSeconds: 30, ...options})
}

/** A fresh, migrated database, opened. Close it and drop it in `after`. */
export async function migratedDatabase(label = 'db', dialect: 'mysql' | 'sqlite' = testDialect): Promise<{db: Db; database: TestDatabase}> {
  const database = await freshDatabase(label, dialect)
  const db = await openDb(database.target)
  try {
    await migrate(db, {})
  } catch (error) {
    // The caller never gets it to drop: a failed migration leaves no database behind.
    await db.close()
    await database.drop()
    throw error
  }
  return {db, database}
}

/** Opens `database`, runs fn, closes it. */
export async function withDb<T>(database: TestDatabase, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(database.target)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}
