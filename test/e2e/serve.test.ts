/**
 * `stayctl serve` as users run it: the built binary on a migrated database (SQLite, or
 * MariaDB with STAYCTL_TEST_DATABASE_URL). It answers /graphql, /healthz and /readyz, logs one
 * line per request, stops on SIGTERM with exit 0, finishing the requests in flight while
 * refusing new ones, and keeps no state: two processes on one database share sessions.
 */
import http from 'node:http'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {createUser} from '../../src/services/users.js'
import {testContext} from '../support/fixtures.js'
import {migratedDatabase, type TestDatabase} from '../support/db.js'
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
  let database: TestDatabase
  let db: Db
  let env: NodeJS.ProcessEnv
  const running: Served[] = []

  before(async function () {
    this.timeout(120_000)
    const migrated = await migratedDatabase('serve')
    database = migrated.database
    db = migrated.db
    env = cliEnv(database)
  })
  afterEach(() => {
    for (const served of running.splice(0)) served.child.kill('SIGKILL')
  })
  after(async () => {
    await db?.close()
    await database?.drop()
    removeHome(env)
  })

  it('says in its help that it runs locally only, and names its limits', async () => {
    const {code, stdout} = await cli(env)(['serve', '--help'])
    expect(code).to.equal(0)
    expect(stdout).to.match(/runs locally only/i)
    expect(stdout).to.match(/depth 8, 15 aliases/)
    expect(stdout).to.match(/--introspection/)
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

  it('on SIGTERM during a burst: requests in flight complete, new ones are refused, exit 0', async function () {
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
    await new Promise((resolve) => setTimeout(resolve, 200))
    const refused = await get(`${served.base}/healthz`).then(
      (status) => `status ${status}`,
      (error: NodeJS.ErrnoException) => error.code,
    )
    expect(refused).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET', 'status 503'])
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
})
