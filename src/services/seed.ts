/**
 * Demo data: runs the pending seeders of `seeders/` under the schema lock with the options
 * of this run, and undoes them. Each seeder records in SequelizeData what it inserted, in the
 * transaction of its data (with the lock's fence), so a second run inserts nothing, also after
 * a runner was killed, and undo removes exactly those rows. The admin's password is
 * resolved and hashed here; the seeders never see it in clear.
 */
import crypto from 'node:crypto'
import os from 'node:os'

import bcrypt from 'bcrypt'
import {QueryTypes} from 'sequelize'

import {resolveIntSetting} from '../config/settings.js'
import type {Db} from '../db/index.js'
import {lockOptions, withSchemaLock} from '../db/lock.js'
import {createRunner, timeSteps, type Runner} from '../db/migrator.js'
import {ConflictError, NotFoundError, ValidationError, isStayctlError} from '../errors.js'
import {
  ADMIN_USERNAME,
  DEMO_PASSWORD,
  SEED_TABLES,
  centsToDecimal,
  decimalToCents,
  planOf,
  resolveSeedPlan,
  type DemoSeedDetails,
  type DemoSeedOptions,
  type SeedPlan,
  type SeedPlanInput,
  type SeedTable,
} from './seed-data.js'

export interface SeedOptions extends SeedPlanInput {
  /** The admin's password; when absent one is generated and returned once. */
  adminPassword?: string
  /** bcrypt cost of the admin's hash; default: the bcryptCost setting. */
  bcryptCost?: number
}

export interface SeedEvents {
  onLockWait?: (holder: string) => void
  /** We took the schema lock over from a runner that died or stopped renewing it. */
  onLockTakeover?: (holder: string, how: 'expired' | 'gone') => void
  lockTimeoutSeconds?: number
  /** A seeder starts or finishes; durationMs is set when it finished. */
  onSeeder?: (event: {name: string; direction: 'up' | 'down'; durationMs?: number}) => void
  /** Rows of a table inserted so far. */
  onProgress?: (table: SeedTable, inserted: number, total: number) => void
}

export interface SeederRun {
  name: string
  durationMs: number
}

/** One seeded property, for people to look at. */
export interface SeedListing {
  id: number
  name: string
  /** DECIMAL string, e.g. '125.00'. */
  pricePerNight: string
  owner: string
  address: string
}

export interface SeedResult {
  database: string
  /** True when every seeder had already run: nothing was inserted. */
  alreadySeeded: boolean
  /** The seeders run now. */
  seeders: SeederRun[]
  /** The plan of this run or, when already seeded, the one it was seeded with (null if unknown). */
  seededWith: SeedPlan | null
  /** Rows inserted now, per table. */
  rows: Record<SeedTable, number>
  /** The admin account; generatedPassword only when it was generated now (shown once). */
  admin: {username: string; created: boolean; generatedPassword?: string} | null
  /** The password of every other demo user. */
  demoPassword: string
  /** The first seeded property, with its owner. */
  sample: SeedListing | null
  warnings: string[]
  seconds: number
}

export interface UndoSeedResult {
  database: string
  /** False when no seeder was applied. */
  undone: boolean
  seeders: SeederRun[]
  /** Rows deleted, per table. */
  rows: Record<SeedTable, number>
  seconds: number
}

const emptyCounts = () => Object.fromEntries(SEED_TABLES.map((t) => [t, 0])) as Record<SeedTable, number>

function actor(): string {
  try {
    return os.userInfo().username || 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Times each seeder the runner applies or reverts, and reports it. */
function track(runner: Runner, direction: 'up' | 'down', events: SeedEvents): SeederRun[] {
  return timeSteps(runner, direction, (event) => events.onSeeder?.(event))
}

/** Unwraps umzug's MigrationError, and names the constraint problems users can act on. */
function translate(error: unknown, direction: 'up' | 'down'): unknown {
  const cause = (error as {cause?: unknown})?.cause ?? error
  if (isStayctlError(cause)) return cause
  const name = (cause as {name?: string})?.name
  if (direction === 'down' && name === 'SequelizeForeignKeyConstraintError') {
    return new ConflictError('cannot undo the demo data: rows added since seeding still refer to it', {
      suggestion: 'delete those rows (bookings, reviews, payments of demo users or properties) first, or run `stayctl db reset`',
      cause,
    })
  }
  if (direction === 'up' && name === 'SequelizeUniqueConstraintError') {
    return new ConflictError(`cannot seed: a generated row collides with an existing one (${(cause as Error).message})`, {
      suggestion: 'seed an empty database, or run `stayctl db seed --undo` / `stayctl db reset` first',
      cause,
    })
  }
  return error
}

async function assertMigrated(db: Db): Promise<void> {
  const pending = await createRunner(db.sequelize, 'migrations', {readOnly: true}).umzug.pending()
  if (pending.length > 0) {
    throw new ConflictError(`the schema is not up to date: ${pending.length} migration(s) pending`, {
      suggestion: 'run `stayctl db migrate` first',
    })
  }
}

function checkAdminPassword(password: string | undefined): void {
  if (password === undefined) return
  if (password.length < 8) {
    throw new ValidationError('the admin password must be at least 8 characters', {
      suggestion: 'pass a longer --admin-password (or STAYCTL_ADMIN_PASSWORD), or omit it to have one generated',
    })
  }
  if (Buffer.byteLength(password, 'utf8') > 72) {
    throw new ValidationError('the admin password must be at most 72 bytes (bcrypt ignores the rest)')
  }
}

async function firstListing(db: Db, firstId: number | undefined): Promise<SeedListing | null> {
  if (firstId === undefined) return null
  const [row] = await db.sequelize.query<{id: number; name: string; price: string | number; owner: string; address: string}>(
    `SELECT p.id AS id, p.name AS name, p.price_per_night AS price, u.username AS owner, p.address AS address
       FROM properties p JOIN users u ON u.id = p.owner_id
      WHERE p.id = ?`,
    {type: QueryTypes.SELECT, replacements: [firstId]},
  )
  if (!row) return null
  const pricePerNight = centsToDecimal(decimalToCents(row.price))
  return {id: Number(row.id), name: row.name, pricePerNight, owner: row.owner, address: row.address}
}

/**
 * Runs the pending seeders with the plan made of `options` (size, counts, random seed,
 * reference date). When every seeder has run already it inserts nothing and returns the
 * plan they ran with. The admin is created unless a user of that name exists; its password
 * is `options.adminPassword`, or a generated one returned once in `admin.generatedPassword`.
 */
export async function seed(db: Db, options: SeedOptions = {}, events: SeedEvents = {}): Promise<SeedResult> {
  const started = performance.now()
  const plan = resolveSeedPlan(options)
  checkAdminPassword(options.adminPassword)
  const bcryptCost = options.bcryptCost ?? resolveIntSetting('bcryptCost', undefined, {min: 4, max: 31})
  return withSchemaLock(
    db.target,
    async (lease): Promise<SeedResult> => {
      await assertMigrated(db)
      const runner = createRunner(db.sequelize, 'seeders', {lease})
      if (runner.files.length === 0) {
        throw new NotFoundError('stayctl has no seeder files (the seeders folder is empty or missing)')
      }
      const result: SeedResult = {
        database: db.target.display,
        alreadySeeded: false,
        seeders: [],
        seededWith: plan,
        rows: emptyCounts(),
        admin: null,
        demoPassword: DEMO_PASSWORD,
        sample: null,
        warnings: [],
        seconds: 0,
      }
      const done = () => ({...result, seconds: Math.round(performance.now() - started) / 1000})

      if ((await runner.umzug.pending()).length === 0) {
        const stored = (await runner.storage.rows()).map((row) => row.details as DemoSeedDetails | null)
        const demo = stored.find((details) => planOf(details))
        result.alreadySeeded = true
        result.seededWith = planOf(demo)
        result.admin = demo?.admin ? {username: demo.admin.username, created: false} : null
        result.sample = await firstListing(db, demo?.ids?.properties?.first)
        return done()
      }

      const adminExists = (await db.models.User.count({where: {username: ADMIN_USERNAME}})) > 0
      let admin: DemoSeedOptions['admin'] = null
      if (adminExists) {
        result.admin = {username: ADMIN_USERNAME, created: false}
        result.warnings.push(`a user named "${ADMIN_USERNAME}" exists already; its password was left unchanged`)
      } else {
        const password = options.adminPassword ?? crypto.randomBytes(15).toString('base64url')
        admin = {username: ADMIN_USERNAME, passwordHash: await bcrypt.hash(password, bcryptCost)}
        result.admin = {
          username: ADMIN_USERNAME,
          created: true,
          ...(options.adminPassword === undefined ? {generatedPassword: password} : {}),
        }
      }
      runner.context.seed = {...plan, admin, actor: actor(), onProgress: events.onProgress} satisfies DemoSeedOptions

      result.seeders = track(runner, 'up', events)
      try {
        await runner.umzug.up()
      } catch (error) {
        throw translate(error, 'up')
      }
      let firstProperty: number | undefined
      for (const run of result.seeders) {
        const details = runner.context.details.get(run.name) as DemoSeedDetails | undefined
        for (const table of SEED_TABLES) result.rows[table] += details?.rows?.[table] ?? 0
        firstProperty ??= details?.ids?.properties?.first
      }
      result.sample = await firstListing(db, firstProperty)
      return done()
    },
    lockOptions(events, 'db seed'),
  )
}

/**
 * Reverts every applied seeder, newest first: each deletes the id ranges it recorded, in one
 * transaction, and is then removed from SequelizeData. Rows added later that refer to demo
 * rows make it fail (ConflictError) and change nothing.
 */
export async function undoSeed(db: Db, events: SeedEvents = {}): Promise<UndoSeedResult> {
  const started = performance.now()
  return withSchemaLock(
    db.target,
    async (lease): Promise<UndoSeedResult> => {
      const runner = createRunner(db.sequelize, 'seeders', {lease})
      const applied = await runner.storage.rows()
      const result: UndoSeedResult = {database: db.target.display, undone: false, seeders: [], rows: emptyCounts(), seconds: 0}
      if (applied.length > 0) {
        const known = new Set(runner.files.map((f) => f.name))
        const missing = applied.filter((row) => !known.has(row.name))
        if (missing.length > 0) {
          throw new ConflictError(`cannot undo: seeder ${missing[0].name} is applied but has no file here`, {
            suggestion: 'undo it with the tool that applied it, or delete its row from SequelizeData',
          })
        }
        // `down` finds what its `up` inserted in context.details, as the storage recorded it.
        for (const row of applied) if (row.details) runner.context.details.set(row.name, row.details)
        runner.context.seed = {actor: actor()} satisfies Pick<DemoSeedOptions, 'actor'>
        result.seeders = track(runner, 'down', events)
        try {
          await runner.umzug.down({to: 0})
        } catch (error) {
          throw translate(error, 'down')
        }
        for (const run of result.seeders) {
          const removed = (runner.context.details.get(run.name) as DemoSeedDetails | undefined)?.removed
          for (const table of SEED_TABLES) result.rows[table] += removed?.[table] ?? 0
        }
        result.undone = true
      }
      return {...result, seconds: Math.round(performance.now() - started) / 1000}
    },
    lockOptions(events, 'db seed --undo'),
  )
}
