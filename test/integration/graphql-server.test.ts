/**
 * The GraphQL server's guarantees, over HTTP against an in-process server on a fresh database
 * (SQLite, or MariaDB with STAYCTL_TEST_DATABASE_URL): requests over a limit are refused before
 * any SQL statement (counted), aliased logins each count, nested relations cost a fixed number
 * of statements whatever the page size, /healthz and /readyz, the request log, and no password,
 * hash or token in any response or log line.
 */
import http from 'node:http'
import net from 'node:net'

import bcrypt from 'bcrypt'
import {expect} from 'chai'

import {UnauthenticatedError} from '../../src/errors.js'
import * as auth from '../../src/graphql/auth.js'
import {executions} from '../../src/graphql/compiled.js'
import {LIMITS} from '../../src/graphql/limits.js'
import {formatLogLine, redact} from '../../src/graphql/request-log.js'
import {createToken} from '../../src/services/auth.js'
import {createUser} from '../../src/services/users.js'
import {readReplicaUrlFor} from '../support/db.js'
import {client, codes, ok, startTestServer, useGraphQLServer, type GraphQLResponse, type RequestOptions, type TestServer} from '../support/graphql.js'

/** A whole bcrypt hash (the import's error message may name the $2b$ format itself). */
const BCRYPT = /\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}/

/** A query `depth` fields deep: payments → nodes → refundOf → … → id. */
function deepQuery(depth: number): string {
  return `{ payments { nodes { ${'refundOf { '.repeat(depth - 3)}id${' }'.repeat(depth - 3)} } } }`
}

/** Posts a raw body (or a chunked stream) and returns status and text. */
function rawPost(url: string, body: Buffer, options: {chunked?: boolean} = {}): Promise<{status: number; text: string}> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {method: 'POST', headers: {'content-type': 'application/json', ...(options.chunked ? {'transfer-encoding': 'chunked'} : {'content-length': String(body.length)})}},
      (response) => {
        let text = ''
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => resolve({status: response.statusCode ?? 0, text}))
      },
    )
    request.on('error', reject)
    if (options.chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) request.write(body.subarray(i, i + 64 * 1024))
      request.end()
    } else request.end(body)
  })
}

describe('GraphQL server (integration)', () => {
  let s: TestServer
  let token: string

  before(async function () {
    this.timeout(120_000)
    s = await startTestServer('graphql_server')
    // An admin: the limits must hold for the most privileged caller too, and the other tests need one.
    await createUser(s.ctx, {username: 'lena.limit', email: 'lena@example.com', password: 'limit-password-1', isAdmin: true})
    const login = ok(await s.gql<{login: {token: string}}>('mutation { login(login: "lena.limit", password: "limit-password-1") { token } }'))
    token = login.login.token
    Object.assign(s, client(s.url, () => token))
  })
  after(async () => {
    await s?.stop()
  })

  describe('limits: refused before touching the database', () => {
    const refusals: [string, () => Promise<GraphQLResponse>, string][] = []
    const query = (q: string, variables?: Record<string, unknown>) => () => s.gql(q, variables, {token})
    refusals.push(
      [`depth ${LIMITS.maxDepth + 1}`, query(deepQuery(LIMITS.maxDepth + 1)), 'GRAPHQL_VALIDATION_FAILED'],
      [`${LIMITS.maxAliases + 1} aliases`, query(`{ ${Array.from({length: LIMITS.maxAliases + 1}, (_, i) => `a${i}: me { id }`).join(' ')} }`), 'GRAPHQL_VALIDATION_FAILED'],
      [`over ${LIMITS.maxTokens} tokens`, query(`{ ${'me { id } '.repeat(LIMITS.maxTokens / 4)} }`), 'GRAPHQL_PARSE_FAILED'],
      ['a cost over the limit', query('{ properties(first: 100) { nodes { reviews(first: 100) { nodes { id } } } } }'), 'GRAPHQL_VALIDATION_FAILED'],
      [
        'a cost over the limit through variables',
        query('query($n: Int) { properties(first: 100) { nodes { reviews(first: $n) { nodes { id } } } } }', {n: 60}),
        'GRAPHQL_VALIDATION_FAILED',
      ],
      ['first above 100', query('{ users(first: 101) { nodes { id } } }'), 'BAD_USER_INPUT'],
      ['first above 100 through a variable', query('query($n: Int) { users(first: $n) { nodes { id } } }', {n: 1000}), 'BAD_USER_INPUT'],
      ['first below 1 in a nested list', query('{ users { nodes { bookings(first: 0) { nodes { id } } } } }'), 'BAD_USER_INPUT'],
      ['introspection', query('{ __schema { queryType { name } } }'), 'GRAPHQL_VALIDATION_FAILED'],
      ['a field that does not exist (passwordHash)', query('{ users { nodes { passwordHash } } }'), 'GRAPHQL_VALIDATION_FAILED'],
      ['100 aliases of __typename', query(`{ ${Array.from({length: 100}, (_, i) => `t${i}: __typename`).join(' ')} }`), 'GRAPHQL_VALIDATION_FAILED'],
      [
        `${LIMITS.maxAliases + 1} aliases of __typename in a fragment`,
        query(`{ ...F } fragment F on Query { ${Array.from({length: LIMITS.maxAliases + 1}, (_, i) => `t${i}: __typename`).join(' ')} }`),
        'GRAPHQL_VALIDATION_FAILED',
      ],
    )
    for (const [what, send, code] of refusals) {
      it(`refuses ${what} with ${code} and no SQL statement, even with a token`, async () => {
        const {result, statements} = await s.counting(send)
        expect(codes(result), result.text).to.include(code)
        expect(result.data ?? null).to.equal(null)
        expect(statements).to.equal(0)
      })
    }

    it('lets a query at the limits through', async () => {
      const atLimits = `{ ${Array.from({length: LIMITS.maxAliases}, (_, i) => `a${i}: users(first: 100) { nodes { id } }`).join(' ')} }`
      expect(ok(await s.gql<Record<string, unknown>>(atLimits))).to.have.keys(Array.from({length: LIMITS.maxAliases}, (_, i) => `a${i}`))
      ok(await s.gql(deepQuery(LIMITS.maxDepth)))
    })

    for (const chunked of [false, true]) {
      it(`answers a body over 1 MiB with 413 before parsing it (${chunked ? 'chunked' : 'with Content-Length'})`, async () => {
        const body = Buffer.from(JSON.stringify({query: '{ me { id } }', variables: {pad: 'x'.repeat(LIMITS.bodyBytes)}}))
        const {result, statements} = await s.counting(() => rawPost(s.url, body, {chunked}))
        expect(result.status).to.equal(413)
        expect(JSON.parse(result.text).errors[0].extensions.code).to.equal('PAYLOAD_TOO_LARGE')
        expect(statements).to.equal(0)
      })
    }

    it('does not accept batched requests', async () => {
      const response = await rawPost(s.url, Buffer.from(JSON.stringify([{query: '{ me { id } }'}, {query: '{ me { id } }'}])))
      expect(response.status).to.be.within(400, 499)
    })
  })

  describe('HTTP edges', () => {
    /** A raw HTTP/1.1 request, so that headers fetch would refuse or fix can be sent as they are. */
    function raw(head: string, body = ''): Promise<{status: number; text: string}> {
      const port = Number(new URL(s.url).port)
      return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(`${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`))
        let data = ''
        socket.on('data', (chunk) => (data += chunk))
        socket.on('error', reject)
        socket.on('close', () => resolve({status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), text: data.slice(data.indexOf('\r\n\r\n') + 4)}))
      })
    }
    const LOGIN = 'mutation { login(login: "lena.limit", password: "not-her-password") { token } }'

    const refused: [string, string, string][] = [
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(LOGIN)}`, 'a form'],
      ['multipart/form-data; boundary=b', `--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({query: LOGIN})}\r\n--b--\r\n`, 'a multipart form'],
      ['text/plain', JSON.stringify({query: LOGIN}), 'text/plain'],
      ['application/graphql', LOGIN, 'application/graphql'],
      ['', JSON.stringify({query: LOGIN}), 'no content type'],
    ]
    for (const [type, body, what] of refused) {
      it(`answers a POST of ${what} with 415, before running anything`, async () => {
        const head = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1${type ? `\r\nContent-Type: ${type}` : ''}`
        const {result, statements} = await s.counting(() => raw(head, body))
        expect(result.status).to.equal(415)
        expect(JSON.parse(result.text).errors[0].extensions.code).to.equal('UNSUPPORTED_MEDIA_TYPE')
        expect(JSON.parse(result.text).errors[0].message).to.match(/application\/json/)
        expect(statements).to.equal(0)
      })
    }

    it('accepts application/json (with a charset) and application/graphql-response+json', async () => {
      for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/graphql-response+json']) {
        const response = await raw(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}`, JSON.stringify({query: '{ __typename }'}))
        expect(response.status, type).to.equal(200)
        expect(JSON.parse(response.text)).to.deep.equal({data: {__typename: 'Query'}})
      }
    })

    it('answers a malformed Host header with 400, and a good one as usual', async () => {
      const body = JSON.stringify({query: '{ __typename }'})
      const ask = (hosts: string[]) => raw(`POST /graphql HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}Content-Type: application/json`, body)
      for (const host of ['[bad', 'a b', 'a%zz', 'x:99999999', 'x:8o', 'x/y', 'x?y', 'x#y', 'user@x', '[::1']) {
        const response = await ask([host])
        expect(response.status, host).to.equal(400)
        expect(JSON.parse(response.text).errors[0].extensions.code, host).to.equal('BAD_REQUEST')
      }
      expect((await ask(['a.example', 'b.example'])).status, 'two Host headers').to.equal(400)
      for (const host of ['localhost', '127.0.0.1:4000', '[::1]:80', 'api.example.com', 'a%41.example']) {
        expect((await ask([host])).status, host).to.equal(200)
      }
      const logs = s.logs.join('\n')
      expect(logs).not.to.match(/ 500 |Invalid URL/)
    })

    it('suggests no field, argument, type or enum value while introspection is off', async () => {
      const attempts: [string, Record<string, unknown>?][] = [
        ['{ bookings(status: confirmd) { nodes { id } } }'],
        ['query($s: BookingStatus) { bookings(status: $s) { nodes { id } } }', {s: 'confirmd'}],
        ['query($i: CreateUserInput!) { createUser(input: $i) { id } }', {i: {username: 'x', email: 'x@example.com', password: 'long-password-1', isAdmn: true}}],
        ['{ propertie { nodes { id } } }'],
        ['{ properties(frist: 2) { nodes { id } } }'],
        ['query($s: BookingStatu) { bookings(status: $s) { nodes { id } } }'],
        ['{ properties { nodes { ... on Proprty { id } } } }'],
      ]
      for (const [document, variables] of attempts) {
        const response = await s.gql(document, variables)
        expect(response.errors, document).to.have.length.above(0)
        expect(response.text, document).not.to.match(/did you mean|suggestion/i)
      }
      const dev = await startTestServer('graphql_suggest', {dev: true}, {database: s.database})
      try {
        expect((await client(dev.url).gql(attempts[0][0])).errors?.[0].message).to.match(/Did you mean the enum value "confirmed"\?/)
      } finally {
        await dev.stop()
      }
    })
  })

  describe('login attempts count per field, not per request', () => {
    let counting: TestServer
    let calls = 0
    before(async () => {
      counting = await startTestServer('graphql_logins', {
        auth: {
          ...auth,
          login: async () => {
            calls += 1
            throw new UnauthenticatedError('wrong username, email or password, or the account is inactive')
          },
        },
      })
    })
    after(async () => {
      await counting?.stop()
    })

    const logins = (aliased: number) =>
      `mutation { login(login: "x", password: "y") { token } ${Array.from({length: aliased}, (_, i) => `l${i}: login(login: "x", password: "y") { token }`).join(' ')} }`

    it(`calls the auth service once per login field: one plain and ${LIMITS.maxAliases} aliased are 16 attempts`, async () => {
      calls = 0
      const response = await counting.gql(logins(LIMITS.maxAliases))
      expect(calls).to.equal(16)
      expect(codes(response)).to.deep.equal(Array(16).fill('UNAUTHENTICATED'))
    })

    it('refuses a 17th login field (16 aliases) whole, before any attempt', async () => {
      calls = 0
      const response = await counting.gql(logins(LIMITS.maxAliases + 1))
      expect(codes(response)).to.deep.equal(['GRAPHQL_VALIDATION_FAILED'])
      expect(calls).to.equal(0)
    })
  })

  describe('no N+1: nested relations cost a fixed number of statements', () => {
    let loaded: TestServer
    let adminToken: string
    const PROPERTIES = 60
    const REVIEWS_PER_PROPERTY = 3

    before(async function () {
      this.timeout(120_000)
      loaded = await startTestServer('graphql_loaders')
      const {User, Property, Review, Booking, Payment} = loaded.db.models
      const owners = await User.bulkCreate(Array.from({length: 10}, (_, i) => ({username: `owner${i}`, email: `owner${i}@example.com`, passwordHash: '!x'})))
      const guests = await User.bulkCreate(Array.from({length: 30}, (_, i) => ({username: `guest${i}`, email: `guest${i}@example.com`, passwordHash: '!x'})))
      const properties = await Property.bulkCreate(
        Array.from({length: PROPERTIES}, (_, i) => ({ownerId: owners[i % 10].id, name: `Place ${i}`, address: `${i} Road`, pricePerNight: '50.00', description: null})),
      )
      await Review.bulkCreate(
        properties.flatMap((p, i) =>
          Array.from({length: REVIEWS_PER_PROPERTY}, (_, j) => ({propertyId: p.id, reviewerId: guests[(i + j) % 30].id, rating: 1 + ((i + j) % 5), comment: `r${i}.${j}`})),
        ),
      )
      const bookings = await Booking.bulkCreate(
        properties.map((p, i) => ({propertyId: p.id, guestId: guests[i % 30].id, startDate: '2026-01-01', endDate: '2026-01-03', status: 'confirmed' as const, totalPrice: '100.00', externalRef: null})),
      )
      const charges = await Payment.bulkCreate(
        bookings.map((b, i) => ({bookingId: b.id, amount: '100.00', paymentDate: new Date(), status: 'completed' as const, transactionId: `t${i}`, kind: 'charge' as const, refundOfId: null, reason: null, idempotencyKey: null})),
      )
      await Payment.bulkCreate(
        charges.map((c, i) => ({bookingId: c.bookingId, amount: '10.00', paymentDate: new Date(), status: 'completed' as const, transactionId: `r${i}`, kind: 'refund' as const, refundOfId: c.id, reason: null, idempotencyKey: null})),
      )
      const admin = await createUser(loaded.ctx, {username: 'ann.admin', email: 'ann@example.com', password: 'admin-password-1', isAdmin: true})
      const adminContext = {...loaded.ctx, actor: {name: admin.username, userId: admin.id, isAdmin: true}}
      adminToken = (await createToken(adminContext, {name: 'statement counts'})).token
      // The first use records last_used_at (one more statement); later uses within the hour do not.
      ok(await loaded.gql('{ me { id } }', {}, {token: adminToken}))
    })
    after(async () => {
      await loaded?.stop()
    })

    /** The bench's query. */
    const BENCH = `query Bench($first: Int!) {
      properties(first: $first) { nodes { id name pricePerNight owner { id username } reviews { nodes { rating comment reviewer { id username } } } } }
    }`

    interface BenchData {
      properties: {nodes: {id: number; owner: {id: number; username: string}; reviews: {nodes: {rating: number; reviewer: {id: number; username: string}}[]}}[]}
    }

    for (const first of [5, 50]) {
      it(`answers 50 properties' worth of the bench query in at most 4 statements (first: ${first})`, async () => {
        const {result, statements} = await loaded.counting(() => loaded.gql<BenchData>(BENCH, {first}))
        const nodes = ok(result).properties.nodes
        expect(nodes).to.have.length(first)
        expect(statements).to.be.at.most(4)
        const {Property, Review, User} = loaded.db.models
        for (const node of nodes) {
          const property = (await Property.findByPk(node.id))!
          expect(node.owner.id).to.equal(Number(property.ownerId))
          const reviews = await Review.findAll({where: {propertyId: node.id}, order: [['id', 'ASC']]})
          expect(node.reviews.nodes.map((r) => r.reviewer.id)).to.deep.equal(reviews.map((r) => Number(r.reviewerId)))
          expect(node.reviews.nodes[0].reviewer.username).to.equal((await User.findByPk(reviews[0].reviewerId))!.username)
        }
      })
    }

    it('costs the same statements for 5 and for 50 bookings with property, owner, guest, payments and refunds', async () => {
      const deep = `query($first: Int!) { bookings(first: $first) { nodes { id paid refunded property { owner { username } averageRating upcomingBookings { id } }
        guest { username } payments(kind: charge, first: 2) { nodes { amount refundable refunds(first: 2) { nodes { amount refundOf { id } } } } } } } }`
      // Every booking is visible only to an admin (or its guest and host): ask as one.
      const few = await loaded.counting(() => loaded.gql(deep, {first: 5}, {token: adminToken}))
      const many = await loaded.counting(() => loaded.gql<{bookings: {nodes: {paid: string; refunded: string}[]}}>(deep, {first: 50}, {token: adminToken}))
      ok(few.result)
      expect(ok(many.result).bookings.nodes[49]).to.deep.include({paid: '100.00', refunded: '10.00'})
      expect(many.statements).to.equal(few.statements)
      // the token, bookings, paid/refunded, property, owner, rating, upcoming bookings, guest, payments, refundable,
      // refunds, refundOf
      expect(many.statements).to.be.at.most(12)
    })
  })

  describe('/healthz and /readyz', () => {
    const get = (url: string) => fetch(url).then(async (r) => ({status: r.status, body: (await r.json()) as Record<string, unknown>}))

    it('answers /healthz while the process runs and /readyz when the database answers', async () => {
      const base = s.url.replace(/\/graphql$/, '')
      expect(await get(`${base}/healthz`)).to.deep.equal({status: 200, body: {status: 'ok'}})
      const {body, status} = await get(`${base}/readyz`)
      // With a read replica (the replica tier), /readyz also says whether reads use it.
      const {replicas, ...rest} = body as {replicas?: {state: string}[]}
      expect({status, body: rest}).to.deep.equal({status: 200, body: {status: 'ready'}})
      expect(replicas?.map((r) => r.state)).to.deep.equal(readReplicaUrlFor(s.database) ? ['in use'] : undefined)
      expect((await get(`${base}/nothing`)).status).to.equal(404)
    })

    it('answers /readyz with 503 when the database is gone, and /healthz still with 200', async () => {
      const other = await startTestServer('graphql_ready', {}, {database: s.database})
      await other.serverDb.close()
      const base = other.url.replace(/\/graphql$/, '')
      expect((await get(`${base}/readyz`)).status).to.equal(503)
      expect((await get(`${base}/healthz`)).status).to.equal(200)
      await other.stop()
    })
  })

  describe('the request log', () => {
    it('writes one line per request: operation, type, root fields, status, duration, error codes; never variables', async () => {
      s.logs.length = 0
      const marker = `marker-${Date.now()}`
      await s.gql('query Marked($search: String) { users(search: $search) { nodes { id } } me { id } }', {search: marker}, {operationName: 'Marked'})
      await s.gql('{ user(ref: "nobody-here") { id } }')
      await fetch(`${s.url}?query=${encodeURIComponent('query Get($q: String) { users(search: $q) { nodes { id } } }')}&variables=${encodeURIComponent(JSON.stringify({q: marker}))}`, {
        headers: {authorization: `Bearer ${token}`},
      })
      expect(s.logs).to.have.length(3)
      expect(s.logs[0]).to.match(/^\S+Z POST \/graphql 200 [\d.]+ms op=Marked type=query fields=users,me$/)
      expect(s.logs[1]).to.match(/ POST \/graphql 200 [\d.]+ms op=- type=query fields=user errors=NOT_FOUND$/)
      expect(s.logs[2]).to.match(/ GET \/graphql 200 [\d.]+ms op=Get type=query fields=users$/)
      expect(s.logs.join('\n')).not.to.include(marker)
      expect(s.logs.join('\n')).not.to.include('nobody-here')
    })

    it('writes JSON lines with --log-format json', () => {
      const line = formatLogLine('json', {method: 'POST', path: '/graphql', status: 200, ms: 12.345, record: {operation: 'Q', type: 'query', fields: ['users'], codes: ['NOT_FOUND']}})
      expect(JSON.parse(line)).to.deep.include({method: 'POST', path: '/graphql', status: 200, ms: 12.3, operation: 'Q', type: 'query', fields: ['users'], errors: ['NOT_FOUND']})
    })
  })

  describe('secrets', () => {
    it('never puts a password, a hash or a token in a response or a log line', async () => {
      s.logs.length = 0
      const passwords = ['Secret-One-1!', 'Secret-Two-2!', 'Secret-Three-3!', 'Secret-Four-4!', 'sh0rt']
      const importedHash = await bcrypt.hash('Secret-Five-5!', 4)
      const responses: GraphQLResponse[] = []
      const send = async (query: string, variables: Record<string, unknown> = {}, options = {}) => {
        const response = await s.gql(query, variables, options)
        responses.push(response)
        return response
      }
      const create = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id username email firstName lastName isActive isAdmin createdAt updatedAt } }'
      await send(create, {input: {username: 'sam.secret', email: 'sam@example.com', password: passwords[0]}})
      await send(create, {input: {username: 'short.pw', email: 'short@example.com', password: passwords[4]}})
      await send('mutation($p: String!) { setUserPassword(ref: "sam.secret", password: $p) { id } }', {p: passwords[1]})
      const session = await s.gql<{login: {token: string}}>('mutation($p: String!) { login(login: "sam.secret", password: $p) { token user { id } } }', {p: passwords[1]})
      const sessionToken = ok(session).login.token
      await send('mutation($p: String!) { login(login: "sam.secret", password: $p) { token } }', {p: passwords[2]})
      await send(
        'mutation($rows: [JSON!]!) { importRows(input: {entity: users, rows: $rows}) { inserted rejections { index field reason } } }',
        {
          rows: [
            {username: 'imp.pw', email: 'imp.pw@example.com', password: passwords[3]},
            {username: 'imp.hash', email: 'imp.hash@example.com', passwordHash: importedHash},
            {username: 'imp.bad', email: 'imp.bad@example.com', passwordHash: '$2b$04$tooshort'},
          ],
        },
      )
      const created = ok(await send('mutation { createApiToken(name: "ci") { token } }', {}, {token: sessionToken})) as {createApiToken: {token: string}}
      await send('{ users(first: 100) { nodes { id username email firstName lastName isActive isAdmin createdAt updatedAt } } me { id } }', {}, {token: created.createApiToken.token})
      await send('{ auditEvents(first: 100) { nodes { actor action changes } } apiTokens { id name } }', {}, {token: sessionToken})

      const hashes = (await s.db.models.User.findAll()).map((u) => u.passwordHash).filter((h) => h.length > 10)
      expect(hashes.length).to.be.greaterThan(3)
      const texts = responses.map((r) => r.text)
      const logs = s.logs.join('\n')
      for (const secret of [...passwords, importedHash, ...hashes]) {
        for (const text of texts) expect(text).not.to.include(secret)
        expect(logs).not.to.include(secret)
      }
      for (const text of [...texts, logs]) expect(text).not.to.match(BCRYPT)
      expect(logs).not.to.include(sessionToken)
      expect(logs).not.to.include(created.createApiToken.token)
      expect(s.logs.length).to.equal(responses.length + 1)
    })

    it('says what is wrong with a variable that does not coerce without repeating its value (a password)', async () => {
      const password = 'Secret-Seven-7!'
      const create = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }'
      // graphql-js quotes the whole input object for a field it does not know or misses, and a bad leaf value.
      const refused: [string, Record<string, unknown>, string][] = [
        [create, {input: {username: 'typo.field', email: 'typo@example.com', password, firstname: 'Ty'}}, 'Variable "$input" got invalid value; Field "firstname" is not defined by type "CreateUserInput".'],
        [create, {input: {username: 'no.email', password}}, 'Variable "$input" got invalid value; Field "email" of required type "String!" was not provided.'],
        [create, {input: {username: 'bad.flag', email: 'flag@example.com', password, isAdmin: 'yes'}}, 'Variable "$input" got invalid value at "input.isAdmin"; Boolean cannot represent a non boolean value'],
        ['mutation($p: String!) { login(login: "lena.limit", password: $p) { token } }', {p: [password]}, 'Variable "$p" got invalid value; String cannot represent a non string value'],
      ]
      for (const [document, variables, message] of refused) {
        const response = await s.gql(document, variables)
        expect(response.errors?.map((e) => e.message)).to.deep.equal([message])
        expect(response.text).not.to.include(password)
      }
    })

    it('masks real session and API tokens quoted by an unexpected error in the log line', async () => {
      // An authentication backend that fails and quotes what it was given: the log notes the error, never the token.
      const leaky = await startTestServer(
        'graphql_redact',
        {
          auth: {
            ...auth,
            authenticate: async (_db, bearer) => {
              throw new Error(`token lookup failed for ${bearer} (after ${bearer.slice(0, 20)})`)
            },
          },
        },
        {database: s.database},
      )
      try {
        const session = ok(await s.gql<{login: {token: string}}>('mutation { login(login: "lena.limit", password: "limit-password-1") { token } }'))
        const api = ok(await s.gql<{createApiToken: {token: string}}>('mutation { createApiToken(name: "redact") { token } }'))
        const tokens = [session.login.token, api.createApiToken.token]
        expect(tokens[0]).to.match(/^stay_s_/)
        expect(tokens[1]).to.match(/^stay_t_/)
        for (const real of tokens) {
          leaky.logs.length = 0
          const response = await leaky.gql('{ me { id } }', {}, {token: real})
          expect(codes(response)).to.deep.equal(['INTERNAL_SERVER_ERROR'])
          expect(leaky.logs).to.have.length(1)
          expect(leaky.logs[0]).to.include('internal="Error: token lookup failed for [token] (after [token])"')
          expect(leaky.logs[0]).not.to.include(real.slice(7, 20))
          expect(redact(`x=${real},${real}`)).to.equal('x=[token],[token]')
        }
      } finally {
        await leaky.stop()
      }
    })
  })

  describe('CORS', () => {
    it('answers a browser preflight only from the allowed origins (--cors-origin); none by default', async () => {
      const allowed = 'https://admin.example.com'
      const cors = await startTestServer('graphql_cors', {corsOrigins: [allowed]}, {database: s.database})
      try {
        const preflight = (url: string, origin: string) =>
          fetch(url, {method: 'OPTIONS', headers: {origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization'}})
        const ok = await preflight(cors.url, allowed)
        expect(ok.headers.get('access-control-allow-origin')).to.equal(allowed)
        expect(ok.headers.get('access-control-allow-headers')).to.match(/authorization/i)
        expect((await preflight(cors.url, 'https://evil.example.com')).headers.get('access-control-allow-origin')).to.not.equal('https://evil.example.com')
        expect((await preflight(s.url, allowed)).headers.get('access-control-allow-origin')).to.equal(null)
      } finally {
        await cors.stop()
      }
    })
  })

  describe('development mode', () => {
    it('serves GraphiQL and allows introspection only with --dev (introspection alone with --introspection)', async () => {
      const dev = await startTestServer('graphql_dev', {dev: true}, {database: s.database})
      const introspecting = await startTestServer('graphql_intro', {introspection: true}, {database: s.database})
      try {
        const page = await fetch(dev.url, {headers: {accept: 'text/html'}})
        expect(page.status).to.equal(200)
        expect(await page.text()).to.match(/graphiql/i)
        const noPage = await fetch(s.url, {headers: {accept: 'text/html'}})
        expect(await noPage.text()).not.to.match(/graphiql/i)
        for (const server of [dev, introspecting]) {
          expect(ok(await client(server.url).gql<{__schema: {queryType: {name: string}}}>('{ __schema { queryType { name } } }')).__schema.queryType.name).to.equal('Query')
        }
      } finally {
        await dev.stop()
        await introspecting.stop()
      }
    })
  })
})

describe('the compiled executor', () => {
  // login fails with an error that is no domain error: it must be masked alike by both executors.
  const brokenAuth = {
    ...auth,
    login: async () => {
      throw new Error('the auth backend failed at /internal/path')
    },
  }
  const s = useGraphQLServer('graphql_compiled', {auth: brokenAuth})
  let interpreted: TestServer

  before(async () => {
    interpreted = await startTestServer('graphql_interpreted', {auth: brokenAuth, compile: false}, {database: s.database})
  })
  after(async () => {
    await interpreted?.stop()
  })

  /** Sends the same request to the compiled server and to graphql-js's: the answers must be the same, byte for byte. */
  async function same(query: string, variables: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<GraphQLResponse> {
    const before = {...executions}
    const compiled = await s.gql(query, variables, options)
    const afterCompiled = {...executions}
    const plain = await client(interpreted.url, () => s.adminToken).gql(query, variables, options)
    expect(compiled.status).to.equal(plain.status)
    expect(compiled.text).to.equal(plain.text)
    // The interpreted server has no compiled executor at all: it counts nothing.
    expect(executions).to.deep.equal(afterCompiled)
    return Object.assign(compiled, {ran: afterCompiled.compiled > before.compiled ? 'compiled' : afterCompiled.interpreted > before.interpreted ? 'interpreted' : 'none'})
  }
  const ran = (response: GraphQLResponse) => (response as GraphQLResponse & {ran: string}).ran

  it('answers nested queries with fragments, aliases, directives and __typename the same', async () => {
    const response = await same(
      `query Nested($withReviews: Boolean!, $first: Int) {
        properties(first: $first) { __typename nodes { ...Place owner { id username } reviews(first: 20) @include(if: $withReviews) { nodes { rating comment reviewer { id username } } } } pageInfo { hasNextPage endCursor } }
        again: properties(first: 1, sort: "-pricePerNight") { nodes { id name @skip(if: $withReviews) pricePerNight } }
        me { id username isAdmin }
      }
      fragment Place on Property { id name pricePerNight averageRating reviewCount upcomingBookings { id startDate status } }`,
      {withReviews: true, first: 3},
    )
    expect(ran(response)).to.equal('compiled')
    expect(ok(response).properties).to.have.nested.property('nodes[0].owner.username')
  })

  it('answers bookings with payments, refunds and the figures derived from them the same', async () => {
    const response = await same(`{ bookings(first: 10) { nodes { id status startDate paid refunded property { owner { username } }
      guest { username } payments(first: 3) { nodes { amount kind refundable refunds(first: 3) { nodes { amount refundOf { id } } } } } } } }`)
    expect(ran(response)).to.equal('compiled')
    ok(response)
  })

  it('answers domain errors with the same code, message, locations and path', async () => {
    const response = await same('{ me { id }\n  user(ref: "nobody-here") { id username } }')
    expect(ran(response)).to.equal('compiled')
    expect(response.data).to.equal(null)
    expect(codes(response)).to.deep.equal(['NOT_FOUND'])
    expect(JSON.parse(response.text).errors[0]).to.deep.include({locations: [{line: 2, column: 3}], path: ['user']})
  })

  it('answers errors below lists, and the nulls they leave, the same', async () => {
    const response = await same('{ properties(first: 3) { nodes { id reviews(after: "not-a-cursor") { nodes { id } } } } }')
    expect(ran(response)).to.equal('compiled')
    expect(response.errors).to.have.length.above(0)
    expect(JSON.parse(response.text).errors[0].path).to.deep.equal(['properties', 'nodes', 0, 'reviews'])
  })

  it('masks unexpected errors the same (no message, INTERNAL_SERVER_ERROR), field by field', async () => {
    const response = await same('mutation { login(login: "x", password: "y") { token } second: login(login: "x", password: "y") { token } }')
    expect(ran(response)).to.equal('compiled')
    expect(response.data).to.deep.equal({login: null, second: null})
    expect(codes(response)).to.deep.equal(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR'])
    expect(response.text).not.to.include('/internal/path')
    expect(JSON.parse(response.text).errors[1]).to.deep.include({message: 'Unexpected error.', locations: [{line: 1, column: 55}], path: ['second']})
  })

  it('answers a failing mutation (validation) the same', async () => {
    const response = await same('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {input: {username: 'x', email: 'not-an-email', password: 'short'}})
    expect(ran(response)).to.equal('compiled')
    expect(response.errors).to.have.length(1)
  })

  it("answers anonymous requests the same (what the services let the anonymous see)", async () => {
    const response = await same('{ me { id } properties(first: 5) { nodes { id name owner { username } } } }', {}, {anonymous: true})
    expect(ran(response)).to.equal('compiled')
  })

  it("leaves variables that do not coerce to graphql-js, for its messages", async () => {
    // (A `first` that does not coerce is refused by the limits, before execution.)
    const query = 'query($n: Int!, $ref: String!) { users(first: $n) { nodes { id } } user(ref: $ref) { id } }'
    const mutation = 'mutation($ref: String!, $input: UpdateUserInput!) { updateUser(ref: $ref, input: $input) { id } }'
    const refused: [string, Record<string, unknown>][] = [
      [query, {n: 2, ref: 5}],
      [query, {n: 2}],
      [query, {n: 2, ref: null}],
      [mutation, {ref: 'ada.admin', input: {firstName: 7}}],
      [mutation, {ref: 'ada.admin', input: {nickname: 'x'}}],
      [mutation, {ref: 'ada.admin'}],
    ]
    for (const [document, variables] of refused) {
      const response = await same(document, variables)
      expect(ran(response)).to.equal('interpreted')
      expect(response.data ?? null).to.equal(null)
      expect(response.errors).to.have.length.above(0)
    }
    expect(ran(await same(query, {n: 2, ref: 'ada.admin'}))).to.equal('compiled')
  })

  it('hides suggestions alike, whichever executor runs the request', async () => {
    for (const [document, variables] of [
      ['query($s: BookingStatus) { bookings(status: $s) { nodes { id } } }', {s: 'confirmd'}],
      ['query($i: UpdateUserInput!) { updateUser(ref: "ada.admin", input: $i) { id } }', {i: {firstNam: 'Ada'}}],
      ['query($s: PaymentStatus) { payments(status: $s) { nodes { id } } }', {s: 'complete'}],
    ] as [string, Record<string, unknown>][]) {
      const response = await same(document, variables)
      expect(response.errors).to.have.length(1)
      expect(response.text).not.to.match(/did you mean/i)
    }
  })

  it('leaves documents with several operations to graphql-js, each operation as named', async () => {
    const document = 'query Mine { me { id username } }\nquery Theirs($n: Int = 2) { users(first: $n) { nodes { id } } }'
    for (const operationName of ['Mine', 'Theirs']) {
      const response = await same(document, {}, {operationName})
      expect(ran(response)).to.equal('interpreted')
      expect(Object.keys(ok(response))).to.deep.equal([operationName === 'Mine' ? 'me' : 'users'])
    }
    for (const operationName of [undefined, 'Nobody']) {
      const response = await same(document, {}, {operationName})
      expect(response.errors).to.have.length(1)
    }
    // One operation named otherwise than asked: graphql-js's error too.
    const response = await same('query Mine { me { id } }', {}, {operationName: 'Nobody'})
    expect(response.errors).to.have.length(1)
  })
})
