/**
 * `stayctl serve` as users run it: the built binary on a migrated database (SQLite, or
 * MariaDB with STAYCTL_TEST_DATABASE_URL). It answers /graphql, /healthz and /readyz, logs one
 * line per request, and stops on SIGTERM with exit 0: /readyz says 503 while it still serves
 * for --drain seconds (0 here unless a test says otherwise), then every request that reached it
 * is answered, new connections are refused, none is reset. It keeps no state: two processes
 * on one database share sessions. On SQLite, a token's last-use write never waits for another
 * process's write lock, nor makes the requests sent after it wait.
 */
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'

import {expect} from 'chai'
import sqlite3 from 'sqlite3'

import type {Db} from '../../src/db/index.js'
import {createToken} from '../../src/services/auth.js'
import {publishCalendar} from '../../src/services/calendar/manage.js'
import {createProperty} from '../../src/services/properties.js'
import {createUser} from '../../src/services/users.js'
import {testContext} from '../support/fixtures.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {client, ok} from '../support/graphql.js'
import {serve, type Served} from '../support/serve.js'
import {cli, cliEnv, errorJson, removeHome} from './helpers.js'

/** A POST of a GraphQL document over `agent` (keep-alive sockets opened beforehand). */
function post(url: string, agent: http.Agent, body: object): Promise<{status: number; json: Record<string, unknown>; at: number}> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body)
    const request = http.request(url, {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)}}, (response) => {
      let data = ''
      response.on('data', (chunk) => (data += chunk))
      response.on('end', () => resolve({status: response.statusCode ?? 0, json: JSON.parse(data), at: performance.now()}))
    })
    request.on('error', reject)
    request.end(text)
  })
}

function get(url: string, agent?: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, {agent}, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    }).on('error', reject)
  })
}

describe('stayctl serve (e2e)', () => {
  const scratch = useScratch({per: 'suite', database: 'serve'})
  let database: TestDatabase
  let db: Db
  let env: NodeJS.ProcessEnv
  const running: Served[] = []

  before(() => {
    database = scratch.database
    db = scratch.db
    env = cliEnv(database)
    scratch.defer(() => removeHome(env))
  })
  afterEach(() => {
    for (const served of running.splice(0)) served.child.kill('SIGKILL')
  })

  it('says in its help that it runs locally only, and names its limits', async () => {
    const {code, stdout} = await cli(env)(['serve', '--help'])
    expect(code).to.equal(0)
    expect(stdout).to.match(/runs locally only/i)
    expect(stdout).to.match(/depth 8, 15 aliases/)
    expect(stdout).to.match(/--introspection/)
  })

  it('on a database not migrated yet (a rolling deploy): /readyz 503 "unmigrated" until `db migrate` commits, then 200', async function () {
    this.timeout(120_000)
    const fresh = await freshDatabase('unmigrated')
    // A SQLite file must exist for serve to open it (a path with a typo is refused); MySQL's database does.
    if (fresh.target.dialect === 'sqlite') fs.writeFileSync(fresh.target.storage, '')
    const freshEnv = cliEnv(fresh)
    try {
      const served = await serve(freshEnv, [])
      running.push(served)
      const probe = async () => {
        const response = await fetch(`${served.base}/readyz`)
        return {status: response.status, body: (await response.json()) as Record<string, unknown>}
      }
      const before = await probe()
      expect(before.status).to.equal(503)
      expect(before.body).to.include({status: 'unmigrated'})
      expect(before.body.pendingMigrations).to.be.above(0)
      expect((await cli(freshEnv)(['db', 'migrate'])).code).to.equal(0)
      expect((await probe()).status).to.equal(200)
    } finally {
      removeHome(freshEnv)
      await fresh.drop()
    }
  })

  it('serves GraphQL, /healthz and /readyz, logs each request, and exits 0 on SIGTERM', async () => {
    const served = await serve(env, ['--log-format', 'json', '--json'])
    running.push(served)
    expect(await get(`${served.base}/healthz`)).to.equal(200)
    expect(await get(`${served.base}/readyz`)).to.equal(200)
    // Anonymous callers may browse listings (and nothing about users).
    const {properties} = ok(await client(served.url).gql<{properties: {nodes: unknown[]}}>('query Everyone { properties { nodes { id } } }'))
    expect(properties.nodes).to.deep.equal([])
    served.child.kill('SIGTERM')
    expect(await served.exited).to.equal(0)
    const lines = served
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.filter((l) => l.event).map((l) => l.event)).to.deep.equal(['listening', 'stopping', 'stopped'])
    expect(lines.filter((l) => l.path).map((l) => [l.path, l.status])).to.deep.equal([
      ['/healthz', 200],
      ['/readyz', 200],
      ['/graphql', 200],
    ])
    expect(lines.find((l) => l.operation)).to.deep.include({operation: 'Everyone', type: 'query', fields: ['properties'], errors: []})
    expect(served.stderr()).to.match(/"event":"stopping","signal":"SIGTERM"/)
    expect(JSON.parse(served.stdout())).to.deep.equal({url: served.url, requests: 3, forced: false})
  })

  it('on SIGTERM during a burst: requests in flight complete, new connections are refused once it stops accepting, exit 0', async function () {
    this.timeout(120_000)
    // Logins with a cost-10 hash take a while each (bcrypt on 4 threads): long enough to be in flight.
    // One account each: more than 5 parallel attempts on one account are refused by the login throttle.
    const BURST = 16
    for (let i = 0; i < BURST; i++) {
      await createUser(testContext(db, {bcryptCost: 10}), {username: `burst.user${i}`, email: `burst${i}@example.com`, password: 'burst-password-1'})
    }
    const served = await serve(env)
    running.push(served)
    const agent = new http.Agent({keepAlive: true, maxSockets: BURST})
    // Open every connection first, so that each request is on a socket the server accepted.
    await Promise.all(Array.from({length: BURST}, () => get(`${served.base}/healthz`, agent)))
    const login = (i: number) => ({query: `mutation { login(login: "burst.user${i}", password: "burst-password-1") { token } }`})
    const burst = Array.from({length: BURST}, (_, i) => post(served.url, agent, login(i)))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const killedAt = performance.now()
    served.child.kill('SIGTERM')
    // With --drain 0 it stops accepting once no connection has come for a moment (200 ms).
    await new Promise((resolve) => setTimeout(resolve, 600))
    const refused = await get(`${served.base}/healthz`).then(
      (status) => `status ${status}`,
      (error: NodeJS.ErrnoException) => error.code,
    )
    expect(refused).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET'])
    const results = await Promise.all(burst)
    for (const result of results) {
      expect(result.status).to.equal(200)
      expect((result.json.data as {login: {token: string}}).login.token).to.match(/^stay_s_/)
    }
    expect(results.some((r) => r.at > killedAt), 'no request was still in flight at SIGTERM').to.equal(true)
    expect(await served.exited).to.equal(0)
    agent.destroy()
    const sessions = await db.models.ApiToken.count({where: {name: 'session'}})
    expect(sessions).to.be.at.least(BURST)
    expect(served.stderr()).to.match(/stopped after \d+ requests\n/)
  })

  it('answers every request that reached it before SIGTERM, on new and kept-alive connections, then exits 0', async function () {
    this.timeout(120_000)
    const served = await serve(env)
    running.push(served)
    const port = Number(new URL(served.url).port)
    const BURST = 100
    const body = JSON.stringify({query: 'query Burst { properties(first: 1) { nodes { id } } }'})
    const request = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    const connect = (count: number) =>
      Promise.all(
        Array.from({length: count}, () => new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1')
          socket.once('connect', () => resolve(socket)).once('error', reject)
        })),
      )
    // Half of the connections have been used once and wait, kept alive.
    const kept = await connect(BURST / 2)
    await Promise.all(kept.map((socket) => new Promise((resolve) => socket.once('data', resolve).write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'))))
    // Every request is in the server's socket buffers before it sees SIGTERM: stopped, it reads nothing meanwhile.
    // The other half are new: the kernel completes them while the server is stopped (its listen backlog).
    served.child.kill('SIGSTOP')
    const sockets = [...kept, ...(await connect(BURST / 2))]
    /** The status of each connection's last answer, or what happened to it instead. */
    const answers = sockets.map(
      (socket) =>
        new Promise<string>((resolve) => {
          let data = ''
          socket.on('data', (chunk) => (data += chunk))
          socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
          socket.on('close', () => resolve(/HTTP\/1\.1 (\d{3})[^\n]*\n(?![\s\S]*HTTP\/1\.1)/.exec(data)?.[1] ?? 'closed without an answer'))
        }),
    )
    for (const socket of sockets) socket.write(request)
    await new Promise((resolve) => setTimeout(resolve, 200))
    served.child.kill('SIGTERM')
    served.child.kill('SIGCONT')
    const outcomes = await Promise.all(answers)
    const tally: Record<string, number> = {}
    for (const outcome of outcomes) tally[outcome] = (tally[outcome] ?? 0) + 1
    expect(tally).to.deep.equal({200: BURST})
    expect(await served.exited).to.equal(0)
  })

  it('keeps serving for --drain seconds after SIGTERM with /readyz at 503; a second signal ends the drain; exit 0', async function () {
    this.timeout(120_000)
    const served = await serve(env, ['--drain', '60', '--log-format', 'json'])
    running.push(served)
    expect(await get(`${served.base}/readyz`)).to.equal(200)
    // A client that keeps sending: ten connections at most, the next request as soon as one is free.
    const agent = new http.Agent({keepAlive: true, maxSockets: 10})
    const BURST = 100
    let answered = 0
    let signalled: () => void = () => {}
    const signalSent = new Promise<void>((resolve) => (signalled = resolve))
    const outcomes = Array.from({length: BURST}, (_, i) =>
      post(served.url, agent, {query: `query Burst${i} { properties(first: 1) { nodes { id } } }`}).then(
        (result) => {
          answered += 1
          if (answered === 10) {
            served.child.kill('SIGTERM')
            signalled()
          }
          return String(result.status)
        },
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      ),
    )
    await signalSent
    const statuses = await Promise.all(outcomes)
    expect(statuses.filter((s) => s !== '200'), 'requests sent during the drain').to.deep.equal([])
    // Still draining: not ready, but serving, on new connections too.
    expect(await get(`${served.base}/readyz`)).to.equal(503)
    expect(await get(`${served.base}/healthz`)).to.equal(200)
    ok(await client(served.url).gql('{ properties { nodes { id } } }'))
    agent.destroy()
    const second = performance.now()
    served.child.kill('SIGTERM')
    expect(await served.exited).to.equal(0)
    expect(performance.now() - second).to.be.below(10_000)
    const events = served
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"event"'))
      .map((l) => JSON.parse(l) as {event: string})
      .map((l) => l.event)
    expect(events).to.deep.equal(['listening', 'stopping', 'stopped'])
  })

  it('keeps no state: a session made on one process works on another, and a lockout holds across both', async () => {
    const [a, b] = await Promise.all([serve(env), serve(env)])
    running.push(a, b)
    await createUser(testContext(db), {username: 'two.procs', email: 'two@example.com', password: 'two-procs-password'})
    const {login} = ok(await client(a.url).gql<{login: {token: string}}>('mutation { login(login: "two.procs", password: "two-procs-password") { token } }'))
    expect(ok(await client(b.url).gql('{ me { username } }', {}, {token: login.token}))).to.deep.equal({me: {username: 'two.procs'}})
    ok(await client(b.url).gql('mutation { logout }', {}, {token: login.token}))
    const after = await client(a.url).gql('{ me { username } }', {}, {token: login.token})
    expect(after.errors?.[0].extensions?.code).to.equal('UNAUTHENTICATED')
    // Failed logins count in the database: five on one process lock the account on the other.
    const attempt = (url: string, password: string) => client(url).gql('mutation { login(login: "two.procs", password: "' + password + '") { token } }')
    for (const url of [a.url, b.url, a.url, b.url, a.url]) {
      expect((await attempt(url, 'wrong-password-1')).errors?.[0].extensions?.code).to.equal('UNAUTHENTICATED')
    }
    const locked = await attempt(b.url, 'two-procs-password')
    expect(locked.errors?.[0].extensions?.code).to.equal('UNAUTHENTICATED')
    expect(locked.data?.login ?? null).to.equal(null)
    a.child.kill('SIGINT')
    b.child.kill('SIGTERM')
    expect(await Promise.all([a.exited, b.exited])).to.deep.equal([0, 0])
  })

  it('exits 2 with a clear message when the port is taken', async () => {
    const served = await serve(env)
    running.push(served)
    const port = new URL(served.url).port
    const taken = await cli(env)(['serve', '--port', port, '--json'])
    expect(errorJson(taken, 2).message).to.match(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`))
  })

  it('on SQLite, while another process holds the write lock: a request whose token is due its last-use write, a feed, anonymous reads and the probes are answered before it lets go; a later request notes the use', async function () {
    if (database.target.dialect !== 'sqlite') this.skip()
    this.timeout(120_000)
    /** How long the holder keeps the lock if the answers do not come: they come in milliseconds, or only once it lets go. */
    const BOUND_MS = 10_000
    const ctx = testContext(db)
    await createUser(ctx, {username: 'lock.reader', email: 'lock.reader@example.com', password: 'lock-reader-password'})
    const property = await createProperty(ctx, {owner: 'lock.reader', name: 'Lock House', address: '1 Lock Lane', pricePerNight: '80'})
    const {id: tokenId, token} = await createToken(ctx, {name: 'while-locked', user: 'lock.reader'})
    const feed = await publishCalendar(ctx, {property: property.id})
    const changed = await publishCalendar(ctx, {property: (await createProperty(ctx, {owner: 'lock.reader', name: 'Lock Barn', address: '2 Lock Lane', pricePerNight: '90'})).id})
    const served = await serve({...env, STAYCTL_LOG_SQL: '1'})
    running.push(served)
    // The feed's first answer records its ETag; with its last use put two minutes back, only that is due.
    expect(await get(`${served.base}${feed.path}`)).to.equal(200)
    const twoMinutesAgo = new Date(Date.now() - 2 * 60_000)
    await db.models.CalendarToken.update({lastUsedAt: twoMinutesAgo}, {where: {id: feed.id}})
    // A feed whose content changed since its last answer (its stored ETag another body's): its new ETag is due.
    await db.models.CalendarToken.update({feedEtag: 'an earlier body', lastUsedAt: twoMinutesAgo}, {where: {id: changed.id}})
    const lastUses = async () => ({
      token: (await db.models.ApiToken.findByPk(tokenId))!.lastUsedAt,
      feed: (await db.models.CalendarToken.findByPk(feed.id))!.lastUsedAt!.getTime(),
      changed: (await db.models.CalendarToken.findByPk(changed.id))!.feedEtag,
    })

    const holder = new sqlite3.Database(database.target.storage)
    const exec = (sql: string) => new Promise<void>((resolve, reject) => holder.exec(sql, (error) => (error ? reject(error) : resolve())))
    const released = () => exec('COMMIT').finally(() => new Promise<void>((resolve) => holder.close(() => resolve())))
    await exec('BEGIN IMMEDIATE')
    let held: unknown
    let whileHeld: unknown
    let answers: Promise<unknown[]> = Promise.resolve([])
    let bound: NodeJS.Timeout | undefined
    try {
      const me = client(served.url).gql<{me: {username: string}}>('{ me { username } }', {}, {token})
      // serve logs a statement just before its connection gets it: the last-use write is queued, requests sent now come after it.
      const lastUseWrite = /UPDATE `api_tokens` SET `last_used_at`/
      for (let waited = 0; !lastUseWrite.test(served.stderr()) && waited < BOUND_MS; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(served.stderr(), 'the request never tried to note the last use').to.match(lastUseWrite)
      answers = Promise.all([
        me.then((result) => ok(result).me.username),
        client(served.url).gql<{properties: {nodes: {id: number}[]}}>('{ properties { nodes { id } } }').then((result) => ok(result).properties.nodes.some((node) => node.id === property.id)),
        get(`${served.base}${feed.path}`),
        get(`${served.base}${changed.path}`),
        get(`${served.base}/readyz`),
        get(`${served.base}/healthz`),
      ])
      held = await Promise.race([answers.then(() => 'answered while the lock was held'), new Promise((resolve) => (bound = setTimeout(() => resolve(`no answer in ${BOUND_MS} ms`), BOUND_MS)))])
      whileHeld = await lastUses()
    } finally {
      clearTimeout(bound)
      await released()
    }
    expect({held, answers: await answers, whileHeld}).to.deep.equal({
      held: 'answered while the lock was held',
      answers: ['lock.reader', true, 200, 200, 200, 200],
      // Skipped, not waited for.
      whileHeld: {token: null, feed: twoMinutesAgo.getTime(), changed: 'an earlier body'},
    })

    // The lock is free: the next uses are noted.
    ok(await client(served.url).gql('{ me { username } }', {}, {token}))
    expect(await get(`${served.base}${feed.path}`)).to.equal(200)
    const after = await lastUses()
    expect(after.token, 'the token\'s last use, after the lock').to.be.an.instanceOf(Date)
    expect(after.feed, 'the feed\'s last use, after the lock').to.be.greaterThan(twoMinutesAgo.getTime())
    expect(await get(`${served.base}${changed.path}`)).to.equal(200)
    expect((await lastUses()).changed, 'the changed feed\'s ETag, after the lock').to.match(/^[0-9a-f]{64}$/)
  })
})
