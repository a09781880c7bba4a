/**
 * `stayctl serve`: graphql-yoga on node:http. Routes:
 *   POST/GET /graphql   GraphQL over HTTP (GraphiQL on GET from a browser with --dev)
 *   GET /healthz        200 while the process runs
 *   GET /readyz         200 when the database answers `SELECT 1` within 1.5 s and has every migration
 *                       of this stayctl (else 503: not migrated yet, e.g. during a rolling deploy)
 *   GET /calendars/<token>.ics  a listing's published iCalendar feed (calendar-route.ts)
 *
 * Every request first needs a well-formed Host header (else 400), and a POST a JSON body
 * (Content-Type application/json, else 415, before the body is read).
 *
 * Limits (see limits.ts for the numbers): the request body is read here, at most 1 MiB
 * (HTTP 413 beyond, before anything is parsed); tokens, depth, aliases, directives and
 * introspection are checked while parsing and validating; `first` and cost just before
 * execution, with the variables. Only then is the Bearer token authenticated and the
 * request's ServiceContext (via 'graphql') and DataLoaders made.
 *
 * Stateless: nothing outlives a request but the database pool, so any number of processes
 * can serve one database.
 *
 * stop() ends it so that every request that reached the server gets an answer:
 *   1. drain (drainMs): /readyz answers 503, so load balancers stop sending here, while every
 *      request is still served as usual, on open and new connections; each answer closes its
 *      connection (Connection: close), so clients reconnect, elsewhere once they can;
 *   2. the listener closes once no connection has come for a moment: the kernel completes
 *      connections on its own and node accepts one of them per turn of the event loop, so a
 *      listener closed at once would reset those still waiting in its queue;
 *   3. requests already sent on idle connections are read during a short grace, then the
 *      connections that are still idle close; requests in flight finish (at most
 *      shutdownTimeoutMs, after which their connections are cut: `forced`);
 *   4. the pool closes.
 */
import http from 'node:http'
import net, {type AddressInfo} from 'node:net'

import {GraphQLError, getOperationAST, Kind, type ExecutionResult} from 'graphql'
import {createSchema, createYoga, type Plugin} from 'graphql-yoga'

import type {Db} from '../db/index.js'
import {UnauthenticatedError} from '../errors.js'
import type {ServiceContext} from '../services/context.js'
import * as defaultAuth from './auth.js'
import type {AuthService, GraphQLContext} from './context.js'
import {compiledExecution} from './compiled.js'
import {maskError} from './errors.js'
import {answerCalendar, isCalendarPath, loggedPath} from './calendar-route.js'
import {SchemaWatch} from './readiness.js'
import {LIMITS, checkListSizes, staticLimitPlugins} from './limits.js'
import {createLoaders} from './loaders.js'
import {viewKeysAsked} from './projection.js'
import {INTERNAL_NOTE, describeInternal, formatLogLine, type LogFormat, type RequestRecord} from './request-log.js'
import {resolvers} from './resolvers.js'
import {typeDefs} from './schema.js'

export interface ServerOptions {
  db: Db
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Origins allowed by CORS; none: no CORS headers (same origin only). */
  corsOrigins?: string[]
  /** GraphiQL, introspection and field suggestions. */
  dev?: boolean
  introspection?: boolean
  logFormat?: LogFormat
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void
  bcryptCost: number
  /** Default src/graphql/auth.ts. */
  auth?: AuthService
  /** How long stop() keeps serving, with /readyz at 503, before it stops accepting connections (default 0). */
  drainMs?: number
  /** How long stop() then waits for requests in flight before closing their connections. */
  shutdownTimeoutMs?: number
  /** Compiled execution (compiled.ts); false: graphql-js's executor for every request. Default true. */
  compile?: boolean
  /** Root lists as one SQL statement each when they compile (sql/index.ts); false: the loaders always. Default true. */
  compileSql?: boolean
}

export interface RunningServer {
  /** http://host:port/graphql */
  url: string
  port: number
  /**
   * Stops as described above; `forced` when requests were still running at the timeout. A
   * second call ends the drain at once (and returns the same promise).
   */
  stop(): Promise<{forced: boolean}>
  /** Requests answered so far. */
  readonly requests: number
}

class BodyTooLarge extends Error {}

/**
 * Before the listener closes: how long no connection must have come (node accepts one per
 * turn of the event loop, so a queue of them keeps coming turn after turn), and for how long
 * at most when clients keep connecting.
 */
const ACCEPT_QUIET_MS = 200
const ACCEPT_MAX_MS = 2_000

/**
 * After the listener closes: how long requests already sent on idle connections have to be
 * read before those connections close. Bytes that reached this machine are read in the next
 * turn of the event loop; this leaves room for a busy loop.
 */
const LATE_REQUEST_GRACE_MS = 250

/** How long /readyz waits for the database's `SELECT 1` (a probe must not hang with a database that does). */
export const READY_TIMEOUT_MS = 1_500

/** How long stop() waits for the pool to close (a database that stopped answering never says goodbye). */
const POOL_CLOSE_MS = 5_000

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Resolves once the server has accepted no connection for ACCEPT_QUIET_MS (at most ACCEPT_MAX_MS). */
function acceptWaiting(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout
    const done = () => {
      clearTimeout(quiet)
      clearTimeout(cap)
      server.off('connection', restart)
      resolve()
    }
    const restart = () => {
      clearTimeout(quiet)
      quiet = setTimeout(done, ACCEPT_QUIET_MS)
    }
    const cap = setTimeout(done, ACCEPT_MAX_MS)
    server.on('connection', restart)
    restart()
  })
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The request body, or BodyTooLarge as soon as it passes `limit` bytes (the rest is discarded). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    let size = 0
    let tooLarge = declared > limit
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) tooLarge = true
      if (tooLarge) {
        chunks.length = 0
        // Drain a moderately large body so the client reads our 413; cut off anything bigger.
        if (size > limit * 16) req.destroy()
      } else chunks.push(chunk)
    })
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

/**
 * What a Host header may hold (RFC 9110 §7.2, RFC 3986 §3.2.2): a registered name (letters,
 * digits, `-._~`, sub-delimiters, %-escapes), an IPv4 address or a bracketed IPv6 literal,
 * then an optional port.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::(\d{0,5}))?$/

/** Why the request's Host header cannot be used (RFC 9112 §3.2: answer 400), or undefined. */
function hostProblem(req: http.IncomingMessage): string | undefined {
  const hosts = req.headersDistinct.host ?? []
  if (hosts.length > 1) return 'a request has one Host header'
  if (hosts.length === 0) return undefined
  const port = HOST.exec(hosts[0])
  if (!port || Number(port[1] ?? 0) > 65_535) return 'the Host header is not a host name or address with an optional port'
  return undefined
}

/**
 * Media types a POST may carry: JSON, as GraphQL over HTTP sends it (and its response type,
 * which some clients send too), in any case, with any parameters. Forms (urlencoded,
 * multipart) and text/plain are what a browser sends cross-origin without asking (no CORS
 * preflight), so any web page could run mutations with them; they, and anything else, are
 * refused with 415 before the body is read.
 */
export const POST_MEDIA_TYPES = ['application/json', 'application/graphql-response+json']

function acceptedMediaType(header: string | undefined): boolean {
  const type = header?.split(';')[0].trim().toLowerCase()
  return type !== undefined && POST_MEDIA_TYPES.includes(type)
}

function bearer(header: string | null): string | undefined {
  if (header === null) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"')
  return match[1]
}

/** Runs the variable-dependent limits, then authenticates and builds the request's services. */
function requestGuard(db: Db, auth: AuthService, bcryptCost: number, compileSql: boolean): Plugin<GraphQLContext> {
  return {
    async onExecute({args, context, extendContext, setResultAndStopExecution}) {
      const refused = checkListSizes(args.schema, args.document, args.operationName, (args.variableValues ?? {}) as Record<string, unknown>)
      if (refused) return setResultAndStopExecution({errors: [refused]})
      // A mutation's rule checks, and the rows it returns, are read on the primary (src/db/routing.ts).
      if (getOperationAST(args.document, args.operationName)?.operation === 'mutation') db.replicas?.routing.pin()
      try {
        const token = bearer((context as unknown as {request: Request}).request.headers.get('authorization'))
        const actor = token ? await auth.authenticate(db, token) : auth.anonymousActor()
        const service: ServiceContext = {db, actor, via: 'graphql', bcryptCost}
        extendContext({service, loaders: createLoaders(service, viewKeysAsked(args.schema, args.document)), token, compileSql})
      } catch (error) {
        setResultAndStopExecution({errors: [maskError(error) as GraphQLError]})
      }
    },
  }
}

/** The request's log record, passed to yoga as (part of) the server context. */
const recordOf = (context: unknown) => (context as {record?: RequestRecord} | undefined)?.record

/** Notes the operation name, root fields and error codes of each request for its log line. */
const recordPlugin: Plugin = {
  onValidate({params, context}) {
    const record = recordOf(context)
    const operation = getOperationAST(params.documentAST, (context as {params?: {operationName?: string}}).params?.operationName)
    if (!record || !operation) return
    record.operation = operation.name?.value ?? null
    record.type = operation.operation
    record.fields = [...new Set(operation.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '…')))]
  },
  onResultProcess({result, serverContext}) {
    const record = recordOf(serverContext)
    if (!record || Symbol.asyncIterator in result) return
    for (const r of [result].flat() as ExecutionResult[]) {
      for (const error of r.errors ?? []) {
        record.codes.push(String(error.extensions?.code ?? 'ERROR'))
        const note = (error as unknown as Record<symbol, string | undefined>)[INTERNAL_NOTE]
        if (note) record.internal = note
      }
    }
  },
}

export function createGraphQLHandler(options: ServerOptions) {
  const {db} = options
  const auth = options.auth ?? defaultAuth
  const origins = options.corsOrigins ?? []
  return createYoga<{record?: RequestRecord}>({
    schema: createSchema({typeDefs, resolvers}),
    graphqlEndpoint: '/graphql',
    graphiql: options.dev ? {title: 'stayctl'} : false,
    landingPage: false,
    batching: false,
    logging: false,
    maskedErrors: {maskError, isDev: false},
    cors: origins.length > 0 ? {origin: origins, methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['content-type', 'authorization']} : false,
    context: () => ({db, auth}),
    plugins: [
      ...staticLimitPlugins(options),
      recordPlugin,
      requestGuard(db, auth, options.bcryptCost, options.compileSql !== false) as Plugin,
      ...(options.compile === false ? [] : compiledExecution()),
    ],
  })
}

/** What the request handlers share with stop(). */
interface ServerState {
  /** Set by stop(): answers close their connections, /readyz says 503. */
  stopping: boolean
  /** Whether the schema is current for this code (readiness.ts). */
  schema: SchemaWatch
  /** Requests answered so far. */
  requests: number
}

type GraphQLHandler = ReturnType<typeof createGraphQLHandler>

function send(state: ServerState, res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  if (state.stopping) res.setHeader('connection', 'close')
  res.writeHead(status, {'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers})
  res.end(text)
}

/** The answer of /readyz: whether the database answers `SELECT 1` in time (and the server is not stopping). */
async function readiness(db: Db, state: ServerState): Promise<[status: number, body: object]> {
  if (state.stopping) return [503, {status: 'stopping'}]
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in time')), READY_TIMEOUT_MS)))
  try {
    // The statement itself goes on (until its own deadline, see serve --db-timeout); the probe does not wait.
    await Promise.race([db.sequelize.query('SELECT 1'), late])
    const pending = await Promise.race([state.schema.pending(db), late])
    if (pending > 0) return [503, {status: 'unmigrated', pendingMigrations: pending, error: 'the database schema is not up to date: run `stayctl db migrate`'}]
    // Replicas never make the server unready: reads fall back to the primary. They are listed with their state.
    return [200, {status: 'ready', ...(db.replicas ? {replicas: await db.replicas.status()} : {})}]
  } catch {
    return [503, {status: 'unavailable', error: 'the database does not answer'}]
  } finally {
    clearTimeout(timer)
  }
}

/** Answers one request: the checks of every request, the probes, and /graphql through yoga. */
async function handle(req: http.IncomingMessage, res: http.ServerResponse, record: RequestRecord, db: Db, yoga: GraphQLHandler, state: ServerState): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  const badHost = hostProblem(req)
  if (badHost) return send(state, res, 400, {errors: [{message: `bad request: ${badHost}`, extensions: {code: 'BAD_REQUEST'}}]}, {connection: 'close'})
  if (path === '/healthz') return send(state, res, 200, {status: 'ok'})
  if (path === '/readyz') return send(state, res, ...(await readiness(db, state)))
  if (isCalendarPath(path)) return answerCalendar(req, res, path, db, state.stopping)
  if (path !== '/graphql') return send(state, res, 404, {error: 'not found; GraphQL is at /graphql'})
  if (req.method === 'POST' && !acceptedMediaType(req.headers['content-type'])) {
    const message = `POST GraphQL as JSON (Content-Type: application/json); ${req.headers['content-type'] ? 'other media types' : 'a body without a Content-Type'} cannot be used`
    return send(state, res, 415, {errors: [{message, extensions: {code: 'UNSUPPORTED_MEDIA_TYPE'}}]}, {'accept-post': POST_MEDIA_TYPES.join(', '), connection: 'close'})
  }
  let body: Buffer | undefined
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    try {
      body = await readBody(req, LIMITS.bodyBytes)
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return send(state, res, 413, {errors: [{message: `the request body is over ${LIMITS.bodyBytes} bytes`, extensions: {code: 'PAYLOAD_TOO_LARGE'}}]}, {connection: 'close'})
      }
      throw error
    }
  }
  // Each request has its own read routing: a mutation sends its own reads to the primary, never another request's.
  const answer = () => answerWithYoga(req, res, body, record, yoga, state)
  await (db.replicas ? db.replicas.routing.scope(answer) : answer())
}

/** Hands a GraphQL request (its body read and checked) to yoga, and writes yoga's answer. */
async function answerWithYoga(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer | undefined,
  record: RequestRecord,
  yoga: GraphQLHandler,
  state: ServerState,
): Promise<void> {
  // node's headers as they are (yoga's Headers read them lazily); its answers are text (JSON, GraphiQL's HTML) or empty.
  // The URL's origin is a constant: yoga needs only the path and query, and no Host header can make it unparsable.
  // A POST is JSON (checked above), however its type was spelled: yoga reads application/json, in lower case.
  const headers = req.method === 'POST' && req.headers['content-type'] !== 'application/json' ? {...req.headers, 'content-type': 'application/json'} : req.headers
  const response = await yoga.fetch(
    `http://localhost${req.url}`,
    {method: req.method, headers: headers as Record<string, string>, body: body as BodyInit | undefined},
    {record},
  )
  const payload = await response.text()
  response.headers.forEach((value, name) => res.setHeader(name, value))
  res.setHeader('content-length', String(Buffer.byteLength(payload)))
  if (state.stopping) res.setHeader('connection', 'close')
  res.writeHead(response.status)
  res.end(payload)
}

/** Binds the port; resolves once it is bound. */
function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Steps 1–4 of stop() (see the top of this file). `onDrain` receives the function that ends
 * the drain at once, before this returns.
 */
async function shutDown(server: http.Server, options: ServerOptions, onDrain: (end: () => void) => void): Promise<{forced: boolean}> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.drainMs ?? 0)
    onDrain(() => {
      clearTimeout(timer)
      resolve()
    })
  })
  await acceptWaiting(server)
  // net's close, not http's: that one also closes idle connections at once, unread requests and all.
  const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()))
  await sleep(LATE_REQUEST_GRACE_MS)
  await nextTurn()
  // Connections with a request being read or answered are not idle: they close after their answer.
  server.closeIdleConnections()
  let forced = false
  const timer = setTimeout(() => {
    forced = true
    server.closeAllConnections()
  }, options.shutdownTimeoutMs ?? 30_000)
  await closed
  clearTimeout(timer)
  // Already closed is fine (a caller may close the pool itself).
  await Promise.race([options.db.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, POOL_CLOSE_MS).unref())])
  return {forced}
}

/** Starts listening; resolves once the port is bound. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const {db} = options
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const format = options.logFormat ?? 'text'
  const yoga = createGraphQLHandler(options)
  const state: ServerState = {stopping: false, requests: 0, schema: new SchemaWatch()}

  const server = http.createServer((req, res) => {
    const started = performance.now()
    const record: RequestRecord = {codes: []}
    res.on('close', () => {
      state.requests += 1
      const path = loggedPath((req.url ?? '/').split('?')[0])
      log(formatLogLine(format, {method: req.method ?? '?', path, status: res.headersSent ? res.statusCode : 499, ms: performance.now() - started, record}))
    })
    handle(req, res, record, db, yoga, state).catch((error: unknown) => {
      record.internal = describeInternal(error)
      if (!res.headersSent) send(state, res, 500, {errors: [{message: 'Unexpected error.', extensions: {code: 'INTERNAL_SERVER_ERROR'}}]})
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5_000

  await listen(server, options.port ?? 4000, options.host ?? '127.0.0.1')
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address

  let stopped: Promise<{forced: boolean}> | undefined
  let endDrain = () => {}
  return {
    url: `http://${host}:${address.port}/graphql`,
    port: address.port,
    get requests() {
      return state.requests
    },
    stop() {
      if (stopped) {
        endDrain()
        return stopped
      }
      state.stopping = true
      stopped = shutDown(server, options, (end) => (endDrain = end))
      return stopped
    },
  }
}
