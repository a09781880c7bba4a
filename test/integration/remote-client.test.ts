/**
 * The remote client (src/remote/client.ts) against an in-process `stayctl serve` and against
 * servers that misbehave: domain errors come back as the same kinds, messages and exit codes as
 * local runs; network failures, HTTP errors and timeouts are UNAVAILABLE (exit 7); only
 * idempotent requests are retried; the token is sent as a Bearer header and never shown.
 */
import {expect} from 'chai'

import {StayctlError, UnauthenticatedError, UnavailableError, ValidationError, type ErrorKind} from '../../src/errors.js'
import {createClient, type RemoteClient} from '../../src/remote/client.js'
import {showUser} from '../../src/services/users.js'
import {useGraphQLServer} from '../support/graphql.js'
import {deadUrl, hangingServer, stubServer} from '../support/stub-server.js'

async function failure(work: () => Promise<unknown>): Promise<StayctlError> {
  try {
    await work()
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(StayctlError)
    return error as StayctlError
  }
  throw new Error('expected a failure')
}

function expectKind(error: StayctlError, kind: ErrorKind, exitCode: number): void {
  expect(error.kind, error.message).to.equal(kind)
  expect(error.exitCode).to.equal(exitCode)
  expect(error.message).not.to.include('\n')
}

const FAKE_TOKEN = `stay_t_${'Q'.repeat(43)}`

describe('remote client', () => {
  describe('against a stayctl server', () => {
    const s = useGraphQLServer('remote_client')
    const remote = (token?: string): RemoteClient => createClient({url: s.url, token, timeoutMs: 10_000})

    it('sends the token as a Bearer header and returns the data', async () => {
      const data = await remote(s.adminToken).request<{me: {username: string}}>('{ me { username } }')
      expect(data).to.deep.equal({me: {username: 'ada.admin'}})
      expect(await remote().request('{ me { username } }')).to.deep.equal({me: null})
    })

    it('raises the domain error of extensions.kind with the local message and suggestion', async () => {
      const local = await failure(() => showUser(s.ctx, 'nobody.here'))
      const error = await failure(() => remote(s.adminToken).request('query($ref: String!) { user(ref: $ref) { id } }', {ref: 'nobody.here'}))
      expectKind(error, 'NOT_FOUND', 4)
      expect(error.message).to.equal(local.message)
      expect(error.suggestion).to.equal(local.suggestion)
    })

    it('keeps the details of a validation error and maps the limits to VALIDATION', async () => {
      const client = remote(s.adminToken)
      const invalid = await failure(() =>
        client.request('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', {
          input: {username: 'ok.name', email: 'not-an-email', password: 'long-enough-1'},
        }),
      )
      expect(invalid).to.be.instanceOf(ValidationError)
      expectKind(invalid, 'VALIDATION', 3)
      expect(invalid.details).to.deep.include({field: 'email'})
      const tooMany = await failure(() => client.request('{ users(first: 101) { nodes { id } } }'))
      expectKind(tooMany, 'VALIDATION', 3)
      expect(tooMany.message).to.match(/first must be from 1 to 100/)
    })

    it('a wrong token is UNAUTHENTICATED (exit 6) and the token is in no message', async () => {
      const error = await failure(() => remote(FAKE_TOKEN).request('{ me { id } }', {}, {idempotent: true}))
      expect(error).to.be.instanceOf(UnauthenticatedError)
      expectKind(error, 'UNAUTHENTICATED', 6)
      expect(error.message).to.equal('unknown token')
      expect(`${error.message} ${error.suggestion} ${JSON.stringify(error.details ?? {})}`).not.to.include(FAKE_TOKEN)
    })

    it('an expired token is UNAUTHENTICATED and says it expired', async () => {
      await s.db.models.ApiToken.update({expiresAt: new Date(Date.now() - 60_000)}, {where: {}})
      const error = await failure(() => remote(s.adminToken).request('{ me { id } }'))
      expectKind(error, 'UNAUTHENTICATED', 6)
      expect(error.message).to.match(/^token \d+ expired at /)
      expect(error.suggestion).to.match(/log in again/)
      expect(error.message + error.suggestion).not.to.include(s.adminToken)
    })

    it('a syntax error in the document is VALIDATION', async () => {
      const error = await failure(() => remote(s.adminToken).request('{ me { id '))
      expectKind(error, 'VALIDATION', 3)
    })
  })

  describe('when the server cannot answer', () => {
    it('a server that is down is UNAVAILABLE (exit 7): connection refused', async () => {
      const url = await deadUrl()
      const error = await failure(() => createClient({url, token: FAKE_TOKEN, backoffMs: 1}).request('{ me { id } }', {}, {idempotent: true}))
      expect(error).to.be.instanceOf(UnavailableError)
      expectKind(error, 'UNAVAILABLE', 7)
      expect(error.message).to.equal(`cannot reach the stayctl server at ${url}: connection refused`)
      expect(error.suggestion).to.match(/--api/)
    })

    it('a server that does not answer in time is UNAVAILABLE; idempotent requests are tried again, others not', async () => {
      const server = await hangingServer()
      try {
        const client = createClient({url: server.url, token: FAKE_TOKEN, timeoutMs: 300, retries: 2, backoffMs: 1})
        const started = Date.now()
        const error = await failure(() => client.request('{ me { id } }', {}, {idempotent: true}))
        expectKind(error, 'UNAVAILABLE', 7)
        expect(error.message).to.equal(`the server at ${server.url} did not answer within 0.3 s`)
        expect(error.suggestion).to.match(/--timeout/)
        expect(server.hits).to.equal(3)
        expect(Date.now() - started).to.be.below(5000)
        expect(server.authorizations).to.deep.equal(Array(3).fill(`Bearer ${FAKE_TOKEN}`))

        await failure(() => client.request('mutation { logout }'))
        expect(server.hits, 'a mutation without an idempotency key is sent once').to.equal(4)
      } finally {
        await server.close()
      }
    })

    it('retries an idempotent request after a 503 until it succeeds', async () => {
      const server = await stubServer((_req, res, hit) => {
        if (hit < 3) {
          res.writeHead(503, {'content-type': 'text/html'}).end('<h1>busy</h1>')
        } else {
          res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({data: {me: null}}))
        }
      })
      try {
        expect(await createClient({url: server.url, backoffMs: 1}).request('{ me { id } }', {}, {idempotent: true})).to.deep.equal({me: null})
        expect(server.hits).to.equal(3)
      } finally {
        await server.close()
      }
    })

    it('maps HTTP answers that are not GraphQL by their status', async () => {
      const answers: [number, string, string, ErrorKind][] = [
        [502, 'text/html', '<html>Bad gateway</html>', 'UNAVAILABLE'],
        [500, 'application/json', JSON.stringify({errors: [{message: 'Unexpected error.', extensions: {code: 'INTERNAL_SERVER_ERROR'}}]}), 'INTERNAL'],
        [401, 'text/plain', 'no', 'UNAUTHENTICATED'],
        [403, 'text/plain', 'no', 'FORBIDDEN'],
        [404, 'text/html', 'not found', 'UNAVAILABLE'],
        [200, 'text/html', '<html>a web page</html>', 'UNAVAILABLE'],
        [200, 'application/json', JSON.stringify({errors: [{message: 'the server cannot reach its database; try again later', extensions: {code: 'SERVICE_UNAVAILABLE'}}]}), 'UNAVAILABLE'],
      ]
      for (const [status, type, body, kind] of answers) {
        const server = await stubServer((_req, res) => res.writeHead(status, {'content-type': type}).end(body))
        try {
          const error = await failure(() => createClient({url: server.url, token: FAKE_TOKEN, retries: 0}).request('{ me { id } }'))
          expect(error.kind, `${status} ${type}: ${error.message}`).to.equal(kind)
          expect(error.message).not.to.include(FAKE_TOKEN)
          expect(error.message).not.to.include('\n')
          if (kind === 'INTERNAL') expect(error.message).to.equal(`the server at ${server.url} failed: Unexpected error.`)
        } finally {
          await server.close()
        }
      }
    })

    it('refuses a token no header can carry, without quoting it (exit 2) and without sending anything', async () => {
      const server = await stubServer((_req, res) => res.writeHead(200, {'content-type': 'application/json'}).end('{"data":{}}'))
      try {
        for (const bad of ['stay_t_abc\ndef-secret', 'stay_t_abc def-secret', 'stay_t_abcé-secret']) {
          const error = await failure(() => createClient({url: server.url, token: bad}).request('{ me { id } }'))
          expectKind(error, 'USAGE', 2)
          expect(error.message + error.suggestion).not.to.include('secret')
        }
        expect(server.hits).to.equal(0)
      } finally {
        await server.close()
      }
    })

    it('scrubs the token from anything the server says, and keeps it on one line', async () => {
      const server = await stubServer((_req, res) =>
        res.writeHead(200, {'content-type': 'application/json'}).end(
          JSON.stringify({errors: [{message: `bad token\n ${FAKE_TOKEN}`, extensions: {code: 'UNAUTHENTICATED', suggestion: `not ${FAKE_TOKEN}`}}]}),
        ),
      )
      try {
        const error = await failure(() => createClient({url: server.url, token: FAKE_TOKEN}).request('{ me { id } }'))
        expectKind(error, 'UNAUTHENTICATED', 6)
        expect(error.message).to.equal('bad token ****')
        expect(error.suggestion).to.equal('not ****')
      } finally {
        await server.close()
      }
    })
  })
})
