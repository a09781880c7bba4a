/**
 * What a test makes and throws away: a temporary folder, a database of its own (db.ts
 * freshDatabase), and whatever else the test adds. `useScratch` registers the mocha hooks that
 * make them, for each test (beforeEach/afterEach) or for the `describe` (before/after), and
 * returns the handle the hooks fill in. Call it first in the `describe`, so that its set-up
 * runs before the describe's own `before` hooks, which read the handle.
 *
 * Each thing made is handed to the clean-up at once, so the clean-up runs even when a test, or
 * the set-up itself, failed (a database whose migration failed is still dropped; mocha runs
 * after hooks then too): every step runs, last made first, also when one before it failed, and
 * what failed is then thrown, so that a failed drop fails the hook instead of passing unseen.
 * The describe's own `after` hooks run after this clean-up (mocha runs hooks in the order they
 * were registered): what needs the folder or the database at the end goes through `defer`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {openDb, type Db} from '../../src/db/index.js'
import {migrate} from '../../src/services/schema.js'
import {freshDatabase, type TestDatabase} from './db.js'

export interface ScratchOptions {
  /** One for each test (beforeEach/afterEach), or one for the whole `describe` (before/after). */
  per: 'test' | 'suite'
  /** A temporary folder, its name starting with this: in os.tmpdir(), or where an absolute path says. */
  folder?: string
  /** A database of its own (freshDatabase), named after this label: migrated and opened unless said otherwise. */
  database?: string
  /** Its dialect, when not the one under test (testDialect). */
  dialect?: 'mysql' | 'sqlite'
  /** Leave the database as freshDatabase makes it: no tables. */
  empty?: boolean
  /** false: close the database once set up (the test opens it, or a process it starts does). */
  open?: boolean
}

export interface Scratch {
  /** The temporary folder (`folder`). */
  readonly dir: string
  /** The database (`database`). */
  readonly database: TestDatabase
  /** The database, opened (`database`, unless `open: false`). */
  readonly db: Db
  /**
   * Adds a step to this scratch's clean-up: it runs at the end of the test (or `describe`),
   * before the steps added earlier, so the folder and the database are still there for it.
   */
  defer(step: () => unknown): void
}

/** Runs every step, the last added first, then throws what failed: the one error, or all of them. */
export async function runSteps(steps: (() => unknown)[]): Promise<void> {
  const errors: unknown[] = []
  for (const step of steps.splice(0).reverse()) {
    try {
      await step()
    } catch (error) {
      errors.push(error)
    }
  }
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} clean-up steps failed: ${errors.map(String).join('; ')}`)
}

export function useScratch(options: ScratchOptions): Scratch {
  const [setUpHook, cleanUpHook] = options.per === 'test' ? [beforeEach, afterEach] : [before, after]
  const steps: (() => unknown)[] = []
  let alive = false
  let dir: string | undefined
  let database: TestDatabase | undefined
  let db: Db | undefined

  const what = [options.folder && `folder ${options.folder}…`, options.database && `database ${options.database}`].filter(Boolean).join(', ')
  setUpHook(`scratch (${what}): set up`, async () => {
    alive = true
    if (options.folder !== undefined) {
      const made = fs.mkdtempSync(path.resolve(os.tmpdir(), options.folder))
      steps.push(() => fs.rmSync(made, {recursive: true, force: true}))
      dir = made
    }
    if (options.database !== undefined) {
      const made = await freshDatabase(options.database, options.dialect)
      steps.push(() => made.drop())
      database = made
      if (options.open !== false || !options.empty) {
        const opened = await openDb(made.target)
        steps.push(() => opened.close())
        if (!options.empty) await migrate(opened, {})
        if (options.open === false) await steps.pop()!()
        else db = opened
      }
    }
  })
  cleanUpHook(`scratch (${what}): clean up`, async () => {
    try {
      await runSteps(steps)
    } finally {
      alive = false
      dir = database = db = undefined
    }
  })

  const present = <T>(value: T | undefined, name: string, asked: boolean): T => {
    if (value !== undefined) return value
    if (!asked) throw new Error(`scratch.${name}: this scratch makes none (see its options)`)
    throw new Error(`scratch.${name} is there only from the scratch's set-up to its clean-up (per ${options.per})`)
  }
  return {
    get dir() {
      return present(dir, 'dir', options.folder !== undefined)
    },
    get database() {
      return present(database, 'database', options.database !== undefined)
    },
    get db() {
      return present(db, 'db', options.database !== undefined && options.open !== false)
    },
    defer(step) {
      if (!alive) throw new Error('scratch.defer: call it in a hook or a test, where the scratch is there')
      steps.push(step)
    },
  }
}
