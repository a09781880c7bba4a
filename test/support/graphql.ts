/**
 * An in-process `stayctl serve` for tests: a fresh migrated database (SQLite, or MariaDB with
 * STAYCTL_TEST_DATABASE_URL) opened with a counter of SQL statements, the server on a free
 * port with its log lines kept, and a client that posts GraphQL documents over HTTP.
 * `useGraphQLServer` reloads the scenario before each test (as `useScenario` does).
 */
import {openDb, type Db} from '../../src/db/index.js'
import {startServer, type RunningServer, type ServerOptions} from '../../src/graphql/server.js'
import type {ServiceContext} from '../../src/services/context.js'
import {migratedDatabase, openTestDb, type TestDatabase} from './db.js'
import {createToken} from '../../src/services/auth.js'
import {TODAY, fixtures, loadScenario, testContext, type ScenarioIds} from './fixtures.js'
import {clearTables} from './integration.js'

export interface GraphQLError {
  message: string
  path?: (string | number)[]
  extensions?: {code?: string; kind?: string; suggestion?: string; details?: Record<string, unknown>}
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number
  /** The body as received. */
  text: string
  data?: T | null
  errors?: GraphQLError[]
}

export interface RequestOptions {
  token?: string
  /** Send no token even where the client has a default one. */
  anonymous?: boolean
  headers?: Record<string, string>
  operationName?: string
}

export interface Client {
  url: string
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResponse<T>>
}

/** A client; `defaultToken()` (if given) is sent unless a request names its own or is anonymous. */
export function client(url: string, defaultToken: () => string | undefined = () => undefined): Client {
  return {
    url,
    async gql<T>(query: string, variables: Record<string, unknown> = {}, options: RequestOptions = {}) {
      const token = options.anonymous ? undefined : (options.token ?? defaultToken())
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? {authorization: `Bearer ${token}`} : {}),
          ...options.headers,
        },
        body: JSON.stringify({query, variables, operationName: options.operationName}),
      })
      const text = await response.text()
      const body = JSON.parse(text) as {data?: T | null; errors?: GraphQLError[]}
      return {status: response.status, text, ...body}
    },
  }
}

/** The data of a response that must have no errors. */
export function ok<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`)
  return response.data as T
}

/** The codes of a response's errors. */
export const codes = (response: GraphQLResponse<unknown>): string[] => (response.errors ?? []).map((e) => String(e.extensions?.code))

export interface TestServer extends Client {
  /** The database to prepare and check data through (the primary). */
  db: Db
  /** The server's own database handle (with the replica tier, reading the replica). */
  serverDb: Db
  /** An admin context at the CLI, for preparing data through the services. */
  ctx: ServiceContext
  server: RunningServer
  database: TestDatabase
  /** Log lines the server wrote. */
  logs: string[]
  /** SQL statements run since the server started (all connections). */
  statements(): number
  /** The text of the last 100 statements, oldest first. */
  sql: string[]
  /** Runs `work` and counts the statements it caused. */
  counting<T>(work: () => Promise<T>): Promise<{result: T; statements: number}>
  stop(): Promise<void>
}

export async function startTestServer(label: string, options: Partial<ServerOptions> = {}, existing?: {database: TestDatabase}): Promise<TestServer> {
  let database = existing?.database
  if (!database) {
    const migrated = await migratedDatabase(label)
    await migrated.db.close()
    database = migrated.database
  }
  let count = 0
  const sql: string[] = []
  const db = await openTestDb(database, {
    logSql: (text) => {
      count += 1
      sql.push(text)
      if (sql.length > 100) sql.shift()
    },
  })
  // With a read replica (the replica tier), the server reads it; what the test prepares and checks
  // goes through a database of its own on the primary, as another process's would.
  const own = db.replicas ? await openDb(database.target) : db
  const logs: string[] = []
  const server = await startServer({db, port: 0, bcryptCost: 4, log: (line) => logs.push(line), ...options})
  return {
    ...client(server.url),
    db: own,
    serverDb: db,
    ctx: testContext(own),
    server,
    database,
    logs,
    statements: () => count,
    sql,
    async counting(work) {
      const before = count
      const result = await work()
      return {result, statements: count - before}
    },
    async stop() {
      await server.stop()
      if (own !== db) await own.close()
      if (!existing) await database.drop()
    },
  }
}

export interface ScenarioServer extends TestServer {
  ids: ScenarioIds
  /** An API token of the scenario's admin, sent by `gql` unless a request says otherwise. */
  adminToken: string
}

/**
 * A server for this `describe` on its own database, reset to the scenario before each test
 * (on the scenario's calendar: STAYCTL_TODAY = TODAY, for the server as for the test).
 */
export function useGraphQLServer(label: string, options: Partial<ServerOptions> = {}): ScenarioServer {
  const state = {} as ScenarioServer
  let savedToday: string | undefined
  before(async function () {
    this.timeout(120_000)
    Object.assign(state, await startTestServer(label, options))
    Object.assign(state, client(state.url, () => state.adminToken))
  })
  beforeEach(async () => {
    savedToday = process.env.STAYCTL_TODAY
    process.env.STAYCTL_TODAY = TODAY
    await clearTables(state.db)
    state.ids = await loadScenario(state.ctx)
    const admin = testContext(state.db, {actor: {name: fixtures.users.admin.username, userId: state.ids.users.admin, isAdmin: true}})
    state.adminToken = (await createToken(admin, {name: 'graphql tests'})).token
    state.logs.length = 0
  })
  afterEach(() => {
    if (savedToday === undefined) delete process.env.STAYCTL_TODAY
    else process.env.STAYCTL_TODAY = savedToday
  })
  after(async () => {
    await state.stop?.()
  })
  return state
}
