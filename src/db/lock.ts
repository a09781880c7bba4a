/**
 * The schema lock: one runner at a time changes the schema or the seed data of a database,
 * and the work receives a lease it confirms before each step and writes in each step's
 * transaction (see SchemaLease), so that a runner that lost it stops.
 *
 * MySQL family: the lease row of db/lease.ts, which a multi-primary cluster certifies.
 *
 * SQLite: a lock file beside the database (proper-lockfile), refreshed by its holder; one not
 * refreshed for the lease's TTL belongs to a dead process and is taken over. SQLite is one
 * file on one machine, so the file system is a sound judge of liveness, and a lock row in the
 * database would have to wait behind the very write transactions it guards (SQLite has one
 * writer). A holder whose lock file was taken over (it stalled longer than the TTL) learns it
 * from proper-lockfile and stops at its next step, or fails its step's commit.
 */
import fs from 'node:fs'
import path from 'node:path'

import lockfile from 'proper-lockfile'

import type {DatabaseTarget} from '../config/database-url.js'
import {UnavailableError} from '../errors.js'
import {testPause} from '../test-pause.js'
import {LeaseLostError, ServerLease, holderLabel, leaseSeconds, type SchemaLease} from './lease.js'

export type {SchemaLease} from './lease.js'

export interface LockOptions {
  /** Give up after this many seconds (default 600). */
  timeoutSeconds?: number
  /** Called once, when the lock is busy and we start waiting; names the holder. */
  onWait?: (holder: string) => void
  /** Called when we take over from a holder that died or stopped renewing. */
  onTakeover?: (holder: string, how: 'expired' | 'gone') => void
  /** What this runner does, shown to waiters ("db migrate"). */
  task?: string
}

/** The lock options of a service's events, for a runner doing `task` ("db migrate"). */
export function lockOptions(
  events: {
    lockTimeoutSeconds?: number
    onLockWait?: (holder: string) => void
    onLockTakeover?: (holder: string, how: 'expired' | 'gone') => void
  },
  task: string,
): LockOptions {
  return {timeoutSeconds: events.lockTimeoutSeconds, onWait: events.onLockWait, onTakeover: events.onLockTakeover, task}
}

/** Runs `fn` holding the schema lock of the database, with the lease it confirms and fences. */
export async function withSchemaLock<T>(
  target: DatabaseTarget,
  fn: (lease: SchemaLease) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = (options.timeoutSeconds ?? 600) * 1000
  if (target.dialect === 'sqlite') return withSqliteLock(target.storage, fn, timeoutMs, options)
  const lease = await ServerLease.acquire(target, {
    deadline: Date.now() + timeoutMs,
    task: options.task ?? 'stayctl',
    onWait: options.onWait,
    onTakeover: options.onTakeover,
    timeoutMessage: `timed out waiting for the schema lock of ${target.display}`,
  })
  try {
    await testPause('schema:locked')
    return await fn(lease)
  } finally {
    await lease.release()
  }
}

/** The lease of a SQLite runner: its lock file, as long as nobody took it over. */
class FileLease implements SchemaLease {
  lost: Error | undefined
  private beat = Date.now()
  private heart: NodeJS.Timeout | undefined

  constructor(
    readonly holder: string,
    private readonly staleMs = Infinity,
  ) {}

  /** Notes that the process runs: one that stood still longer than the lock lives may have lost it. */
  start(): void {
    this.beat = Date.now()
    this.heart = setInterval(() => this.stoodStill(), 250)
    this.heart.unref()
  }

  stop(): void {
    if (this.heart) clearInterval(this.heart)
  }

  private stoodStill(): void {
    const now = Date.now()
    if (!this.lost && now - this.beat > this.staleMs) {
      const seconds = Math.round((now - this.beat) / 1000)
      this.lost = new LeaseLostError(`lost the schema lock: this process stood still for ${seconds} s, longer than the lock lives`)
    }
    this.beat = now
  }

  async check(): Promise<void> {
    this.stoodStill()
    if (this.lost) throw this.lost
  }

  async confirm(): Promise<void> {
    await this.check()
  }

  async fence(): Promise<void> {
    await this.check()
  }
}

async function withSqliteLock<T>(
  storage: string,
  fn: (lease: SchemaLease) => Promise<T>,
  timeoutMs: number,
  options: LockOptions,
): Promise<T> {
  if (storage === ':memory:') return fn(new FileLease(holderLabel(options.task ?? 'stayctl')))
  const lockfilePath = `${storage}.schema.lock`
  // proper-lockfile's floor: a lock file not refreshed for 2 s or more is stale.
  const stale = Math.max(2000, Math.round(leaseSeconds() * 1000))
  const update = Math.max(1000, Math.floor(stale / 3))
  // Another runner may find the file stale once it went `stale` ms without a refresh, and the last
  // refresh can be `update` ms old when this process stops: one that stood still for longer than
  // stale - update may have lost the lock, so it stops before its next step.
  const lease = new FileLease(holderLabel(options.task ?? 'stayctl'), stale - update)
  fs.mkdirSync(path.dirname(storage), {recursive: true})
  const deadline = Date.now() + timeoutMs
  let release: (() => Promise<void>) | undefined
  let warned = false
  while (!release) {
    try {
      release = await lockfile.lock(storage, {
        lockfilePath,
        realpath: false,
        stale,
        update,
        onCompromised: (error) => {
          lease.lost = new LeaseLostError(`lost the schema lock ${lockfilePath}: ${error.message}`, {cause: error})
        },
      })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      if (!warned && options.onWait) {
        options.onWait(`the process holding ${lockfilePath}`)
        warned = true
      }
      if (Date.now() > deadline) {
        throw new UnavailableError(`timed out waiting for the schema lock ${lockfilePath}`, {
          suggestion: 'another stayctl is migrating or seeding this database; wait for it, or raise --lock-timeout',
        })
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  lease.start()
  try {
    await testPause('schema:locked')
    return await fn(lease)
  } finally {
    lease.stop()
    if (!lease.lost) await release().catch(() => {})
  }
}
