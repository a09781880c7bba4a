/**
 * Acceptance 3 of issue 6, at the command line (bin/run.js with --api; needs `npm run build`):
 * a wrong token, an expired token, a server that is down and one that does not answer each
 * give one line on stderr (or one JSON error on stdout with --json, and nothing on stderr)
 * and the documented exit code (6 for the tokens, 7 for the server); the token appears in no
 * output and in no line of the server's log.
 */
import {expect} from 'chai'

import {createToken} from '../../src/services/auth.js'
import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {fixtures, testContext} from '../support/fixtures.js'
import {useGraphQLServer} from '../support/graphql.js'
import {deadUrl, hangingServer} from '../support/stub-server.js'

interface Expected {
  code: string
  exitCode: number
  /** The whole line on stderr, without "Error: " and the newline. */
  line: string | RegExp
}

/** Runs `args` as is and with --json, and checks both against `expected`; `secret` must appear nowhere. */
async function expectFailure(args: string[], env: NodeJS.ProcessEnv, expected: Expected, secret: string): Promise<{text: CliResult; json: CliResult}> {
  const text = await runCli(args, {env})
  expect(text.code, text.stderr).to.equal(expected.exitCode)
  expect(text.stdout).to.equal('')
  expect(text.stderr.endsWith('\n') && text.stderr.split('\n').length === 2, `one line: ${text.stderr}`).to.equal(true)
  const line = text.stderr.replace(/^Error: /, '').trimEnd()
  if (typeof expected.line === 'string') expect(line).to.equal(expected.line)
  else expect(line).to.match(expected.line)

  const json = await runCli([...args, '--json'], {env})
  expect(json.code, json.stderr).to.equal(expected.exitCode)
  expect(json.stderr).to.equal('')
  const body = JSON.parse(json.stdout) as {error: {code: string; exitCode: number; message: string; suggestion?: string}}
  expect(body.error).to.include({code: expected.code, exitCode: expected.exitCode})
  expect(`Error: ${body.error.message}${body.error.suggestion ? `; ${body.error.suggestion}` : ''}\n`).to.equal(text.stderr)

  for (const output of [text.stdout, text.stderr, json.stdout, json.stderr]) expect(output).not.to.include(secret)
  return {text, json}
}

describe('remote errors at the command line (acceptance 3)', function () {
  this.timeout(120_000)
  const s = useGraphQLServer('remote_errors')

  afterEach(() => {
    for (const line of s.logs) {
      expect(line).not.to.match(/stay_[st]_[A-Za-z0-9_-]{43}/)
      expect(line).not.to.include('not-a-real-token')
    }
  })

  it('a wrong token: exit 6, "unknown token", never the token', async () => {
    const wrong = `stay_t_${'W'.repeat(43)}`
    await expectFailure(['users', 'list', '--api', s.url], isolatedEnv({STAYCTL_TOKEN: wrong}), {
      code: 'UNAUTHENTICATED',
      exitCode: 6,
      line: 'unknown token; log in again or create a new token',
    }, wrong)
    expect(s.logs.join('\n'), 'the server logged the refusal').to.match(/UNAUTHENTICATED/)
  })

  it('a malformed token: exit 6, never the token', async () => {
    await expectFailure(['bookings', 'show', '1', '--api', s.url], isolatedEnv({STAYCTL_TOKEN: 'not-a-real-token'}), {
      code: 'UNAUTHENTICATED',
      exitCode: 6,
      line: 'malformed token: tokens start with stay_s_ or stay_t_',
    }, 'not-a-real-token')
  })

  it('an expired token: exit 6, says when it expired, never the token', async () => {
    const admin = testContext(s.db, {actor: {name: fixtures.users.admin.username, userId: s.ids.users.admin, isAdmin: true}})
    const expired = await createToken(admin, {name: 'expired', expiresInDays: 1})
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
    await s.db.models.ApiToken.update({expiresAt: at}, {where: {id: expired.id}})
    await expectFailure(['payments', 'list', '--api', s.url], isolatedEnv({STAYCTL_TOKEN: expired.token}), {
      code: 'UNAUTHENTICATED',
      exitCode: 6,
      line: `token ${expired.id} expired at ${at.toISOString()}; log in again or create a new token`,
    }, expired.token)
  })

  it('a server that is down: exit 7, connection refused', async () => {
    const url = await deadUrl()
    await expectFailure(['users', 'list', '--api', url], isolatedEnv({STAYCTL_TOKEN: s.adminToken}), {
      code: 'UNAVAILABLE',
      exitCode: 7,
      line: `cannot reach the stayctl server at ${url}: connection refused; check the URL (--api, STAYCTL_API_URL or the profile) and that \`stayctl serve\` runs there`,
    }, s.adminToken)
  })

  it('a server that does not answer: exit 7 after --timeout; a read is tried 3 times, a change once', async () => {
    const server = await hangingServer()
    try {
      const env = isolatedEnv({STAYCTL_API_URL: server.url, STAYCTL_TOKEN: s.adminToken})
      const started = Date.now()
      await expectFailure(['users', 'list', '--timeout', '1'], env, {
        code: 'UNAVAILABLE',
        exitCode: 7,
        line: `the server at ${server.url} did not answer within 1 s; try again later, or allow more time with --timeout`,
      }, s.adminToken)
      expect(server.hits, 'users list twice (text, --json), 3 attempts each').to.equal(6)
      expect(Date.now() - started).to.be.below(30_000)

      const before = server.hits
      await expectFailure(['users', 'deactivate', 'someone', '--timeout', '1'], env, {
        code: 'UNAVAILABLE',
        exitCode: 7,
        line: `the server at ${server.url} did not answer within 1 s; try again later, or allow more time with --timeout`,
      }, s.adminToken)
      expect(server.hits - before, 'a mutation without an idempotency key is sent once per run').to.equal(2)
    } finally {
      await server.close()
    }
  })
})
