/**
 * What the benchmarks on a seeded database share (bench/graphql.ts, bench/queries.ts): where
 * the database is, a seeded PRNG, row builders, multi-row inserts, and "seed once, then reuse".
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {parseDatabaseUrl, type DatabaseTarget} from '../src/config/database-url.js'
import type {Db} from '../src/db/index.js'
import {createDatabase, migrate, reset} from '../src/services/schema.js'

export interface BenchDatabase {
  target: DatabaseTarget
  /** The URL to hand to other processes (stayctl serve). */
  url: string
  /** Removes the temporary SQLite folder, when there is one. */
  cleanup(): void
}

/**
 * The database named by --database-url or STAYCTL_BENCH_DATABASE_URL (created if missing), or
 * a SQLite file in a temporary folder that cleanup() removes.
 */
export async function benchDatabase(url: string | undefined, prefix: string): Promise<BenchDatabase> {
  const given = url ?? process.env.STAYCTL_BENCH_DATABASE_URL
  const tempDir = given ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const resolved = given ?? `sqlite:${path.join(tempDir!, 'bench.sqlite')}`
  const target = parseDatabaseUrl(resolved)
  await createDatabase(target)
  return {target, url: resolved, cleanup: () => tempDir && fs.rmSync(tempDir, {recursive: true, force: true})}
}

/** mulberry32: a small seeded PRNG, so every run builds the same database. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** A users row (columns as in the table) that cannot log in. */
export function userRow(id: number, username: string, email: string, now: Date): Record<string, unknown> {
  return {
    id,
    username,
    email,
    first_name: null,
    last_name: null,
    password_hash: '!bench',
    is_active: true,
    is_admin: false,
    created_at: now,
    updated_at: now,
  }
}

export async function count(db: Db, table: string): Promise<number> {
  const [rows] = (await db.sequelize.query(`SELECT COUNT(*) AS n FROM ${db.sequelize.getQueryInterface().quoteIdentifier(table)}`)) as [
    {n: number | string}[],
    unknown,
  ]
  return Number(rows[0].n)
}

/**
 * Inserts the rows of each table in turn, 2,000 rows per INSERT: in one transaction on SQLite
 * (one fsync instead of hundreds); MySQL commits per statement.
 */
export async function insertTables(db: Db, tables: [table: string, rows: Record<string, unknown>[]][]): Promise<void> {
  const qi = db.sequelize.getQueryInterface()
  const insertAll = async () => {
    for (const [table, rows] of tables) {
      for (let i = 0; i < rows.length; i += 2_000) await qi.bulkInsert(table, rows.slice(i, i + 2_000))
    }
  }
  if (db.dialect === 'sqlite') await db.sequelize.transaction(insertAll)
  else await insertAll()
}

export interface SeedOnce {
  /** Drop everything and seed again. */
  fresh: boolean
  /** The table whose row count tells a seeded database, and that count. */
  table: string
  expected: number
  /** What the seed makes, for the log line ("2200 users, …"). */
  what: string
  seed(db: Db): Promise<void>
}

/**
 * Migrates (with `fresh`: drops and migrates) and seeds an empty database; a database seeded
 * by an earlier run is reused; one holding other data is refused.
 */
export async function seedOnce(db: Db, options: SeedOnce): Promise<void> {
  if (options.fresh) await reset(db)
  else await migrate(db, {})
  const existing = await count(db, options.table)
  if (existing === 0 && (await count(db, 'users')) === 0) {
    const started = performance.now()
    await options.seed(db)
    console.log(`Seeded ${options.what} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  } else if (existing !== options.expected) {
    throw new Error(`${db.target.display} already holds other data (${existing} ${options.table}); pass --fresh to drop it and seed again`)
  } else {
    console.log(`Reusing the seeded database (${existing} ${options.table}); --fresh seeds it again`)
  }
}
