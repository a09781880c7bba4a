/**
 * Mocha helpers for integration tests: one migrated database per test file (SQLite, or
 * MariaDB with STAYCTL_TEST_DATABASE_URL), emptied and loaded with the scenario before each
 * test, on the scenario's calendar (STAYCTL_TODAY). `expectRefused` checks that an
 * operation fails with the right domain error and that it wrote nothing at all.
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  StayctlError,
  UnauthenticatedError,
  ValidationError,
  type ErrorKind,
} from '../../src/errors.js'
import type {ServiceContext} from '../../src/services/context.js'
import {migratedDatabase, type TestDatabase} from './db.js'
import {TODAY, loadScenario, testContext, type ScenarioIds} from './fixtures.js'

/** Every table the services write, children first (the order rows can be deleted in). */
export const TABLES = ['audit_events', 'api_tokens', 'login_attempts', 'calendar_tokens', 'calendar_feeds', 'reviews', 'payments', 'blocks', 'bookings', 'properties', 'users'] as const

export interface ScenarioState {
  db: Db
  ctx: ServiceContext
  ids: ScenarioIds
}

/** Deletes every row (refunds before the charges they point at). */
export async function clearTables(db: Db): Promise<void> {
  const qi = db.sequelize.getQueryInterface()
  for (const table of TABLES) {
    if (table === 'payments') await db.sequelize.query(`DELETE FROM ${qi.quoteIdentifier(table)} WHERE refund_of_id IS NOT NULL`)
    await db.sequelize.query(`DELETE FROM ${qi.quoteIdentifier(table)}`)
  }
}

/** Every row of every table, ordered by id: compare two dumps to see whether anything changed. */
export async function dumpTables(db: Db): Promise<Record<string, Record<string, unknown>[]>> {
  const qi = db.sequelize.getQueryInterface()
  const dump: Record<string, Record<string, unknown>[]> = {}
  for (const table of TABLES) {
    const [rows] = await db.sequelize.query(`SELECT * FROM ${qi.quoteIdentifier(table)} ORDER BY id`)
    dump[table] = rows as Record<string, unknown>[]
  }
  return dump
}

export async function countRows(db: Db, table: (typeof TABLES)[number], where = '1 = 1'): Promise<number> {
  const qi = db.sequelize.getQueryInterface()
  const [rows] = await db.sequelize.query(`SELECT COUNT(*) AS n FROM ${qi.quoteIdentifier(table)} WHERE ${where}`)
  return Number((rows as {n: number | string}[])[0].n)
}

/**
 * Bookings and charges whose guarded totals (rules/ledger.ts) differ from what their rows add
 * up to: a booking's counted charges, a charge's completed refunds. Always none.
 */
export async function ledgerDisagreements(db: Db): Promise<Record<string, unknown>[]> {
  const [bookings] = await db.sequelize.query(
    `SELECT 'booking' AS what, b.id, b.charged_amount AS total, (SELECT COALESCE(SUM(ROUND(p.amount * 100)), 0) FROM payments p
       WHERE p.booking_id = b.id AND p.kind = 'charge' AND p.status IN ('pending', 'completed', 'refunded')) AS cents
     FROM bookings b`,
  )
  const [charges] = await db.sequelize.query(
    `SELECT 'charge' AS what, c.id, c.refunded_amount AS total, (SELECT COALESCE(SUM(ROUND(r.amount * 100)), 0) FROM payments r
       WHERE r.refund_of_id = c.id AND r.kind = 'refund' AND r.status = 'completed') AS cents
     FROM payments c WHERE c.kind = 'charge'`,
  )
  return ([...bookings, ...charges] as {total: string | number; cents: string | number}[]).filter(
    (row) => Math.round(Number(row.total) * 100) !== Number(row.cents),
  )
}

/**
 * A migrated database for this `describe`, reset to the scenario before each test, with
 * STAYCTL_TODAY set to the scenario's TODAY (tests may move it; it is put back after).
 */
export function useScenario(label: string): ScenarioState {
  const state = {} as ScenarioState
  let database: TestDatabase
  let savedToday: string | undefined
  before(async function () {
    this.timeout(120_000)
    const opened = await migratedDatabase(label)
    database = opened.database
    state.db = opened.db
    state.ctx = testContext(opened.db)
  })
  beforeEach(async () => {
    savedToday = process.env.STAYCTL_TODAY
    process.env.STAYCTL_TODAY = TODAY
    await clearTables(state.db)
    state.ids = await loadScenario(state.ctx)
  })
  afterEach(async () => {
    if (savedToday === undefined) delete process.env.STAYCTL_TODAY
    else process.env.STAYCTL_TODAY = savedToday
    // Whatever the test did, the ledger's totals still add up.
    expect(await ledgerDisagreements(state.db)).to.deep.equal([])
  })
  after(async () => {
    await state.db?.close()
    await database?.drop()
  })
  return state
}

type ErrorClass<E extends StayctlError> = abstract new (...args: never[]) => E

const KIND_OF = new Map<ErrorClass<StayctlError>, ErrorKind>([
  [ValidationError, 'VALIDATION'],
  [NotFoundError, 'NOT_FOUND'],
  [ConflictError, 'CONFLICT'],
  [ForbiddenError, 'FORBIDDEN'],
  [UnauthenticatedError, 'UNAUTHENTICATED'],
])

/**
 * Runs `work`, expects it to fail with `kind` (class and ErrorKind), optionally with a
 * message matching `message`, and checks that no row of any table changed: no insert, no
 * update, no audit event.
 */
export async function expectRefused<E extends StayctlError>(
  db: Db,
  work: () => Promise<unknown>,
  kind: ErrorClass<E>,
  message?: RegExp,
): Promise<E> {
  const before = await dumpTables(db)
  let caught: unknown
  try {
    await work()
  } catch (error) {
    caught = error
  }
  expect(caught, 'the operation should have been refused').to.be.instanceOf(kind)
  const error = caught as E
  expect(error.kind).to.equal(KIND_OF.get(kind))
  if (message) expect(error.message).to.match(message)
  expect(await dumpTables(db), 'a refused operation must write nothing').to.deep.equal(before)
  return error
}

/** Runs `work`, which must succeed without changing any row (an idempotent replay, a no-op). */
export async function expectNoWrites<T>(db: Db, work: () => Promise<T>): Promise<T> {
  const before = await dumpTables(db)
  const result = await work()
  expect(await dumpTables(db), 'the operation must write nothing').to.deep.equal(before)
  return result
}
