/**
 * What the end-to-end tests share: a service context for preparing data in-process, the
 * environment that points the real binary at a test database, and JSON/exit-code checks.
 */
import fs from 'node:fs'

import {expect} from 'chai'
import mysql from 'mysql2/promise'

import {localBackend, type Backend} from '../../src/backend.js'
import type {Db} from '../../src/db/index.js'
import type {ServiceContext} from '../../src/services/context.js'
import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {readReplicaUrlFor, type TestDatabase} from '../support/db.js'
import {useScratch, type Scratch} from '../support/scratch.js'
import {serve, type Served} from '../support/serve.js'

/** The services, run in the test process as an admin (cheap bcrypt). */
export function testBackend(db: Db): Backend {
  const ctx: ServiceContext = {db, actor: {name: 'test', isAdmin: true}, via: 'cli', bcryptCost: 4}
  return localBackend(ctx)
}

/** Environment for CLI runs against `database`; the OS actor is recorded as "os:e2e". */
export function cliEnv(database: TestDatabase, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const replica = readReplicaUrlFor(database)
  return isolatedEnv({STAYCTL_DATABASE_URL: database.url, STAYCTL_ACTOR: 'e2e', ...(replica ? {STAYCTL_READ_REPLICA_URLS: replica, STAYCTL_REPLICA_CONSISTENCY: 'causal'} : {}), ...extra})
}

/** Removes the temporary home of a cliEnv. */
export function removeHome(env: NodeJS.ProcessEnv | undefined): void {
  if (env?.HOME) fs.rmSync(env.HOME, {recursive: true, force: true})
}

/** A CLI runner bound to one environment. */
export function cli(env: NodeJS.ProcessEnv) {
  return (args: string[], options: {input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv} = {}) =>
    runCli(args, {env: {...env, ...options.env}, input: options.input, timeoutMs: options.timeoutMs})
}

/** What useCliSuite gives the tests of a describe. */
export interface CliSuite {
  /** The suite's database, and its Db for reading what the runs wrote. */
  scratch: Scratch
  /** The environment of the suite's runs. */
  env: () => NodeJS.ProcessEnv
  /** Runs the built CLI on the suite's database, as the operating system's user (an admin). */
  run: ReturnType<typeof cli>
}

/**
 * For the enclosing describe: a database of its own (`database`), the built CLI run on it with
 * today() = `today`, and `prepare` filling it first, in-process, as an admin on the same day.
 */
export function useCliSuite(database: string, today: string, prepare: (backend: Backend) => Promise<void>): CliSuite {
  const scratch = useScratch({per: 'suite', database})
  let env: NodeJS.ProcessEnv | undefined
  before(async () => {
    const made = cliEnv(scratch.database, {STAYCTL_TODAY: today})
    env = made
    scratch.defer(() => removeHome(made))
    const saved = process.env.STAYCTL_TODAY
    process.env.STAYCTL_TODAY = today
    try {
      await prepare(testBackend(scratch.db))
    } finally {
      if (saved === undefined) delete process.env.STAYCTL_TODAY
      else process.env.STAYCTL_TODAY = saved
    }
  })
  return {scratch, env: () => env!, run: (args, options) => cli(env!)(args, options)}
}

/**
 * For the enclosing describe: `stayctl serve` on the database of `env()` (with its today, as
 * the local runs), and a way to log in to it as a user: `stayctl login` in a home of its own,
 * whose runs then go through --api as that user.
 */
export function useServedLogins(env: () => NodeJS.ProcessEnv): (username: string, password: string) => Promise<(args: string[]) => Promise<CliResult>> {
  let served: Served
  const homes: NodeJS.ProcessEnv[] = []
  before(async () => {
    served = await serve(env())
  })
  after(async () => {
    for (const home of homes) removeHome(home)
    if (!served) return
    served.child.kill('SIGKILL')
    await served.exited
  })
  return async (username, password) => {
    const today = env().STAYCTL_TODAY
    const home = isolatedEnv(today === undefined ? {} : {STAYCTL_TODAY: today})
    homes.push(home)
    expectExit(await cli(home)(['login', '--api', served.url, '--username', username, '--password-stdin'], {input: `${password}\n`}), 0)
    return (args) => cli(home)([...args, '--api', served.url])
  }
}

/**
 * Starts processes so that they really race on MySQL: a write lock on `table` holds every
 * one of them at its first read of it until all `runs` wait there (or have ended), then all
 * go at once. Process start-up jitter (a second or more each) would otherwise serialise
 * them. On SQLite the processes are simply started: IMMEDIATE transactions queue writers.
 */
export async function raceThroughGate(database: TestDatabase, table: string, runs: () => Promise<CliResult>[]): Promise<CliResult[]> {
  const {target} = database
  if (target.dialect !== 'mysql') return Promise.all(runs())
  const gate = await mysql.createConnection({host: target.host, port: target.port, user: target.user, password: target.password, database: target.database})
  await gate.query(`LOCK TABLES \`${table}\` WRITE`)
  let ended = 0
  let pending: Promise<CliResult>[] = []
  try {
    pending = runs().map((p) => p.finally(() => (ended += 1)))
    const deadline = Date.now() + 180_000
    while (Date.now() < deadline) {
      const [rows] = await gate.query<mysql.RowDataPacket[]>(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE LIKE 'Waiting for table%' AND ID <> CONNECTION_ID()",
        [target.database],
      )
      if (Number(rows[0].n) + ended >= pending.length) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await gate.query('UNLOCK TABLES')
    await gate.end()
  }
  return Promise.all(pending)
}

/** Text that only a database error leaking through to the user would contain. */
export const GENERIC_DB_ERROR = /SQLITE_|Deadlock|ER_[A-Z_]+|Sequelize[A-Za-z]*Error|lock wait timeout/i

function describeRun(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}

/** Asserts the exit code, showing the whole run when it differs. */
export function expectExit(result: CliResult, code: number): CliResult {
  expect(result.code, describeRun(result)).to.equal(code)
  return result
}

/** Asserts exit 0 and parses stdout as JSON. */
export function okJson<T = Record<string, unknown>>(result: CliResult): T {
  expectExit(result, 0)
  return JSON.parse(result.stdout) as T
}

/** Exit `code` with one line on stderr, "Error: …" matching `pattern`, and nothing on stdout. */
export function expectErrorLine(result: CliResult, code: number, pattern: RegExp): void {
  expectExit(result, code)
  expect(result.stdout).to.equal('')
  const lines = result.stderr.trimEnd().split('\n')
  expect(lines, result.stderr).to.have.length(1)
  expect(lines[0]).to.match(/^Error: /)
  expect(lines[0]).to.match(pattern)
}

/** Asserts the exit code of a failed --json run and returns its error body. */
export function errorJson(result: CliResult, code: number): {code: string; message: string; exitCode: number; suggestion?: string} {
  expectExit(result, code)
  const body = JSON.parse(result.stdout) as {error: {code: string; message: string; exitCode: number; suggestion?: string}}
  expect(body.error.exitCode).to.equal(code)
  return body.error
}

/** A booking as every command shows it under --json (BookingView): the public contract, for expectShape. */
export const BOOKING = {
  id: 'number',
  propertyId: 'number',
  guestId: 'number',
  startDate: 'string',
  endDate: 'string',
  nights: 'number',
  status: 'string',
  totalPrice: 'money',
  externalRef: 'string|null',
  createdAt: 'date',
  updatedAt: 'date',
} as const

/** A review as every command shows it under --json (ReviewView). */
export const REVIEW = {id: 'number', propertyId: 'number', reviewerId: 'number', rating: 'number', comment: 'string|null', createdAt: 'date', updatedAt: 'date'} as const

type FieldType = 'number' | 'string' | 'boolean' | 'object' | 'array' | 'null' | 'date' | 'money'

/**
 * Asserts that `value` has exactly these fields, each of one of the given types ('a|null').
 * 'date' is an ISO-8601 timestamp, 'money' a decimal string with two places.
 */
export function expectShape(value: unknown, shape: Record<string, string>, label = 'value'): void {
  expect(value, label).to.be.an('object')
  const record = value as Record<string, unknown>
  expect(Object.keys(record).sort(), `${label}: fields`).to.deep.equal(Object.keys(shape).sort())
  for (const [field, spec] of Object.entries(shape)) {
    const v = record[field]
    const ok = (spec.split('|') as FieldType[]).some((type) => {
      switch (type) {
        case 'null':
          return v === null
        case 'array':
          return Array.isArray(v)
        case 'object':
          return v !== null && typeof v === 'object' && !Array.isArray(v)
        case 'date':
          return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(v)
        case 'money':
          return typeof v === 'string' && /^-?\d+\.\d{2}$/.test(v)
        default:
          return typeof v === type
      }
    })
    expect(ok, `${label}.${field} should be ${spec}, got ${JSON.stringify(v)}`).to.equal(true)
  }
}
