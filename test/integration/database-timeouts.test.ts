/**
 * A database that stops answering (the network hangs: no refusal, no reset) must not hang the
 * server: /readyz says 503 within 2 seconds, requests fail with SERVICE_UNAVAILABLE within the
 * statement timeout, a connection lost mid-query is SERVICE_UNAVAILABLE too (not INTERNAL),
 * and all is well again once the database answers. MariaDB only (SQLite has no network): the
 * server of STAYCTL_TEST_DATABASE_URL, else 127.0.0.1:3306 when it answers, reached through a
 * proxy in this process that stops forwarding on demand.
 */
import {expect} from 'chai'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {openDb, type Db} from '../../src/db/index.js'
import {startServer, type RunningServer} from '../../src/graphql/server.js'
import {createUser} from '../../src/services/users.js'
import {testContext} from '../support/fixtures.js'
import {client, codes, ok} from '../support/graphql.js'
import {proxiedDatabase, type ProxiedDatabase, type TcpProxy} from '../support/tcp-proxy.js'

const STATEMENT_TIMEOUT_MS = 1_000

describe('a database that stops answering (MariaDB through a proxy)', function () {
  this.timeout(120_000)
  let database: ProxiedDatabase | undefined
  let proxy: TcpProxy
  let db: Db
  let server: RunningServer
  const logs: string[] = []
  const base64 = () => server.url.replace(/\/graphql$/, '')
  /** GET /readyz: its status and how long the answer took; a hang shows as a failure after 10 s. */
  const ready = async () => {
    const started = performance.now()
    const response = await fetch(`${base64()}/readyz`, {signal: AbortSignal.timeout(10_000)})
    return {status: response.status, ms: performance.now() - started}
  }
  const timed = async <T>(work: () => Promise<T>) => {
    const started = performance.now()
    const result = await work()
    return {result, ms: performance.now() - started}
  }
  /** A GraphQL request that gives up after 10 s (a server that hangs fails the test instead of hanging it). */
  const gql = (query: string) =>
    fetch(server.url, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({query}), signal: AbortSignal.timeout(10_000)}).then(
      async (response) => ({status: response.status, text: await response.text()}),
    )
  const codeOf = (text: string) => (JSON.parse(text) as {errors?: {extensions?: {code?: string}}[]}).errors?.map((e) => e.extensions?.code)

  before(async function () {
    const prepared = await proxiedDatabase('hang', (setup) =>
      createUser(testContext(setup), {username: 'hana.hang', email: 'hana@example.com', password: 'hang-password-1'}).then(() => undefined),
    )
    if (!prepared) return this.skip()
    database = prepared
    proxy = prepared.proxy
    const proxied = new URL(prepared.proxied.toString())
    proxied.searchParams.set('connectTimeout', String(STATEMENT_TIMEOUT_MS))
    db = await openDb(parseDatabaseUrl(proxied.toString()), {queryTimeoutMs: STATEMENT_TIMEOUT_MS})
    server = await startServer({db, port: 0, bcryptCost: 4, log: (line) => logs.push(line)})
  })
  afterEach(async () => {
    if (!proxy) return
    proxy.resume()
    // Back to normal before the next test: the connections that timed out are replaced.
    for (let i = 0; i < 50 && (await ready()).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 200))
  })
  after(async () => {
    await server?.stop()
    await database?.drop()
  })

  it('answers /readyz with 503 within 2 s while the database hangs, and 200 once it answers again', async () => {
    expect((await ready()).status).to.equal(200)
    proxy.hang()
    const hung = await ready()
    expect(hung.status).to.equal(503)
    expect(hung.ms).to.be.below(2_000)
    proxy.resume()
    await new Promise((resolve) => setTimeout(resolve, STATEMENT_TIMEOUT_MS))
    expect((await ready()).status).to.equal(200)
  })

  it('fails queries and mutations with SERVICE_UNAVAILABLE within the statement timeout, and serves them again after', async () => {
    ok(await client(server.url).gql('{ properties { nodes { id } } }'))
    proxy.hang()
    for (const query of ['{ properties { nodes { id } } }', 'mutation { login(login: "hana.hang", password: "hang-password-1") { token } }']) {
      const {result, ms} = await timed(() => gql(query))
      expect(codeOf(result.text), query).to.deep.equal(['SERVICE_UNAVAILABLE'])
      expect(result.text).to.include('the server cannot reach its database')
      expect(ms, query).to.be.below(3 * STATEMENT_TIMEOUT_MS + 1_000)
    }
    proxy.resume()
    await new Promise((resolve) => setTimeout(resolve, STATEMENT_TIMEOUT_MS))
    expect(codes(await client(server.url).gql('mutation { login(login: "hana.hang", password: "hang-password-1") { token } }'))).to.deep.equal([])
  })

  it('answers a connection lost in the middle of a query as SERVICE_UNAVAILABLE, not INTERNAL', async () => {
    ok(await client(server.url).gql('{ properties { nodes { id } } }'))
    proxy.hang()
    const pending = gql('{ properties { nodes { id } } }')
    // The statement is on its way (and stuck) when the connection is reset.
    await new Promise((resolve) => setTimeout(resolve, STATEMENT_TIMEOUT_MS / 4))
    proxy.cut()
    const response = await pending
    expect(codeOf(response.text)).to.deep.equal(['SERVICE_UNAVAILABLE'])
  })
})
