import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {maskUrl} from '../src/config/database-url.js'
import {resolveIntSetting} from '../src/config/settings.js'

const REPLICA_CHECK_MS = 2000

export interface ServeResult {
  url: string
  requests: number
  /** True when requests were still running at the shutdown timeout and were cut off. */
  forced: boolean
}

export default class Serve extends BaseCommand<typeof Serve> {
  static override summary = 'Serve the GraphQL API over the local database'
  static override description = `Runs the GraphQL server (graphql-yoga, GraphQL over HTTP) at http://HOST:PORT/graphql on the database configured here, exposing the same operations as the commands. It runs locally only: it needs the database itself, so it cannot run against a remote --api server.

Other routes: /healthz (the process runs), /readyz (the database answers SELECT 1 within 1.5 s; 503 otherwise, and while stopping; with read replicas, it lists each with its state: "in use", "down", "lagging") and /calendars/<token>.ics (a listing's iCalendar feed at a secret URL made by \`calendar publish\`: no login, ETag and Last-Modified, 304 when unchanged, 404 for an unknown or revoked token).
With --read-replica-url (or STAYCTL_READ_REPLICA_URLS), GraphQL queries read from the replicas; mutations, and everything a mutation reads, run on the primary, as do token checks. A replica down or more than --max-replica-lag seconds behind is skipped with one log line, checked again every 2 s, and used again once it is back.
A database that stops answering fails requests with SERVICE_UNAVAILABLE after --db-timeout seconds (on MySQL; each statement, and the wait for a pooled connection, has that long), as does a connection lost mid-statement.
POST bodies must be JSON (Content-Type application/json; 415 otherwise): forms and text/plain, which any web page can send, are refused.
Clients log in with the login mutation and send "Authorization: Bearer <token>"; without it they are anonymous.
One log line per request goes to stderr (operation, root fields, status, duration, error codes; never variables or tokens).
SIGTERM or SIGINT stops gracefully, answering every request that reached the server: first /readyz answers 503 while requests are still served for --drain seconds (each answer closing its connection), so that a load balancer moves clients elsewhere; a second signal ends the drain early. Then no new connections, requests in flight finish, idle connections close, the pool closes and the process exits 0 (1 if requests were cut off at --shutdown-timeout).
Processes keep no state between requests: run as many as you like on one database.

Limits per request: body 1 MiB (413), 2,000 tokens, depth 8, 15 aliases, 50 directives, first 1–100 on every list (default 20), cost 5,000 (the objects a response could hold, each list's first multiplying what lies under it). Introspection is off unless --dev or --introspection.

Exit codes: 0 stopped cleanly, 1 requests cut off at the timeout, 2 bad flags or port in use, 7 database unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 8080 --log-format json',
    '<%= config.bin %> <%= command.id %> --dev   # GraphiQL at http://127.0.0.1:4000/graphql',
    '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --cors-origin https://admin.example.com',
  ]

  static override flags = {
    host: Flags.string({description: 'Address to listen on', default: '127.0.0.1'}),
    port: Flags.integer({description: 'Port to listen on (0: any free port)', default: 4000, min: 0, max: 65_535}),
    'cors-origin': Flags.string({description: 'Origin allowed to call from a browser (repeatable); none: same origin only', multiple: true}),
    dev: Flags.boolean({description: 'Development: GraphiQL, introspection and field suggestions'}),
    introspection: Flags.boolean({description: 'Allow introspection queries (without --dev)'}),
    'log-format': Flags.string({description: 'Request log format on stderr', options: ['text', 'json'], default: 'text'}),
    'db-timeout': Flags.integer({
      description: 'MySQL: seconds a statement, or the wait for a pooled connection, may take before the request fails with SERVICE_UNAVAILABLE',
      default: 10,
      min: 1,
    }),
    drain: Flags.integer({
      description: 'Seconds to keep serving after SIGTERM/SIGINT, with /readyz at 503, before it stops accepting connections (0: no drain)',
      default: 5,
      min: 0,
    }),
    'shutdown-timeout': Flags.integer({description: 'Seconds to let requests in flight finish after the drain', default: 30, min: 1}),
  }

  async run(): Promise<ServeResult> {
    const f = this.flags
    // A replica skipped or back: one line of the request log's format.
    const replicaLine = (line: string) =>
      process.stderr.write(`${f['log-format'] === 'json' ? JSON.stringify({time: new Date().toISOString(), event: 'replica', message: line}) : `stayctl serve: ${line}`}\n`)
    const db = await this.db({queryTimeoutMs: f['db-timeout'] * 1000, replicas: true, warn: replicaLine})
    // Replicas are checked again every 2 s: one skipped is used again once it is back, without a restart.
    db.replicas?.monitor(REPLICA_CHECK_MS)
    // graphql-js checks types across realms on every call unless it runs in production mode.
    process.env.NODE_ENV ??= 'production'
    const {startServer} = await import('../src/graphql/server.js')
    const bcryptCost = resolveIntSetting('bcryptCost', undefined, {min: 4, max: 31})
    let server
    try {
      server = await startServer({
        db,
        host: f.host,
        port: f.port,
        corsOrigins: f['cors-origin'],
        dev: f.dev,
        introspection: f.introspection,
        logFormat: f['log-format'] as 'text' | 'json',
        bcryptCost,
        drainMs: f.drain * 1000,
        shutdownTimeoutMs: f['shutdown-timeout'] * 1000,
      })
    } catch (error) {
      const code = (error as {code?: string}).code
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        const {UsageError} = await import('../src/errors.js')
        throw new UsageError(`cannot listen on ${f.host}:${f.port} (${code})`, {suggestion: 'pick another --port or --host'})
      }
      throw error
    }
    // Installed before the address is announced (a script may signal as soon as it reads it), and kept until the
    // end: a second signal ends the drain instead of killing the process.
    let signalled: (signal: NodeJS.Signals) => void = () => {}
    const signals = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve))
    let received = 0
    const onSignal = (signal: NodeJS.Signals) => {
      received += 1
      if (received === 1) signalled(signal)
      else void server.stop()
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    // Always on stderr (also under --json): scripts read the address from here, as the request log.
    const say = (event: string, text: string, extra: Record<string, unknown> = {}) =>
      process.stderr.write(
        `${f['log-format'] === 'json' ? JSON.stringify({time: new Date().toISOString(), event, ...extra}) : `stayctl serve: ${text}`}\n`,
      )
    const database = maskUrl(db.target.display)
    say('listening', `GraphQL at ${server.url} on ${database}${f.dev ? ' (dev: GraphiQL, introspection)' : ''}; local database only; SIGTERM or Ctrl-C stops`, {
      url: server.url,
      database,
    })
    const signal = await signals
    const drain = f.drain > 0 ? `/readyz answers 503; serving ${f.drain} s more (a second signal stops sooner), then ` : ''
    say('stopping', `${signal}: ${drain}finishing requests in flight (at most ${f['shutdown-timeout']} s)`, {signal, drainSeconds: f.drain})
    const {forced} = await server.stop()
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    say('stopped', `stopped after ${server.requests} requests${forced ? '; requests still running at the timeout were cut off' : ''}`, {
      requests: server.requests,
      forced,
    })
    if (forced) process.exitCode = 1
    return {url: server.url, requests: server.requests, forced}
  }
}
