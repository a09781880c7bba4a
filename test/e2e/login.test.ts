/**
 * `stayctl config`, `login`, `logout`, `whoami` and `api` through the built binary, against
 * an in-process `stayctl serve`: profiles pick the server, the session token is stored with
 * mode 0600 (acceptance 4) and is never printed, logout ends the session on the server, `api`
 * prints the server's answer and exits with the code of its error, and mistakes give one line
 * and the documented exit code. Build first (npm test does).
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {credentialsFilePath, saveSession} from '../../src/config/credentials.js'
import {configDir, configFilePath} from '../../src/config/paths.js'
import {authenticate} from '../../src/services/auth.js'
import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {fixtures} from '../support/fixtures.js'
import {useGraphQLServer} from '../support/graphql.js'
import {deadUrl} from '../support/stub-server.js'
import {errorJson, expectExit, okJson, removeHome} from './helpers.js'

const admin = fixtures.users.admin
const TOKEN = /stay_[st]_[A-Za-z0-9_-]{20,}/

/** No token in anything the run printed. */
function noToken(result: CliResult): CliResult {
  expect(result.stdout + result.stderr, 'a token was printed').not.to.match(TOKEN)
  return result
}

describe('e2e: config, login, logout', function () {
  this.timeout(120_000)
  const s = useGraphQLServer('e2e_login')
  let env: NodeJS.ProcessEnv
  const run = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => runCli(args, {env: {...env, ...extra}, input}).then(noToken)
  const stored = () => JSON.parse(fs.readFileSync(credentialsFilePath(env), 'utf8')).sessions as Record<string, {token: string; username: string}>

  beforeEach(() => {
    env = isolatedEnv()
  })
  afterEach(() => removeHome(env))

  it('config set/get/list/unset: a profile holds the server; get prints the value; list says where each comes from', async () => {
    expectExit(await run(['config', 'set', 'apiUrl', s.url, '--profile', 'staging']), 0)
    expect(fs.statSync(configFilePath(env)).mode & 0o777).to.equal(0o600)
    expect(JSON.parse(fs.readFileSync(configFilePath(env), 'utf8'))).to.deep.equal({profiles: {staging: {apiUrl: s.url}}})

    const get = expectExit(await run(['config', 'get', 'apiUrl', '--profile', 'staging']), 0)
    expect(get.stdout).to.equal(`${s.url}\n`)
    expect(get.stderr).to.equal(`apiUrl: profile staging in ${configFilePath(env)}\n`)
    expect(okJson(await run(['config', 'get', 'api', '--json'], undefined, {STAYCTL_PROFILE: 'staging'}))).to.include({key: 'apiUrl', value: s.url})
    expect(okJson(await run(['config', 'get', 'apiUrl', '--json']))).to.include({value: null, source: 'unset'})

    const listing = okJson<{profile: string; profiles: string[]; settings: {key: string; value: string | null; source: string}[]}>(
      await run(['config', 'list', '--profile', 'staging', '--json']),
    )
    expect(listing.profiles).to.deep.equal(['staging'])
    expect(listing.settings.find((x) => x.key === 'apiUrl')).to.deep.include({value: s.url, source: `profile staging in ${configFilePath(env)}`})

    const unknown = await run(['config', 'get', 'apiUrl', '--profile', 'prod'])
    expectExit(unknown, 2)
    expect(unknown.stderr).to.equal(
      `Error: no profile "prod" (from flag --profile) in ${configFilePath(env)}; its profiles: staging; create it with \`stayctl config set apiUrl URL --profile prod\`, or pick another profile\n`,
    )
    const bad = errorJson(await run(['config', 'set', 'apiUrl', 'ftp://admin.example.com', '--json']), 2)
    expect(bad.message).to.include('invalid API URL "ftp://admin.example.com"')

    expectExit(await run(['config', 'unset', 'apiUrl', '--profile', 'staging']), 0)
    expect(JSON.parse(fs.readFileSync(configFilePath(env), 'utf8'))).to.deep.equal({})
  })

  it('login --password-stdin stores the session (mode 0600) for the server of the profile; the token is never printed', async () => {
    expectExit(await run(['config', 'set', 'apiUrl', s.url, '--profile', 'staging']), 0)
    const result = expectExit(await run(['login', '--username', admin.username, '--password-stdin'], `${admin.password}\n`, {STAYCTL_PROFILE: 'staging'}), 0)
    expect(result.stdout).to.match(new RegExp(`^Logged in to ${s.url} as ${admin.username} \\(admin\\); the session ends \\d{4}-.*Z\\.\\n$`))
    expect(fs.statSync(credentialsFilePath(env)).mode & 0o777).to.equal(0o600)
    expect(fs.statSync(configDir(env)).mode & 0o777).to.equal(0o700)
    const session = stored()[s.url]
    expect(session).to.include({username: admin.username})
    expect(session.token).to.match(/^stay_s_/)
    expect((await authenticate(s.db, session.token)).name).to.equal(admin.username)

    // Again as JSON, with the URL from the environment: the result says everything but the token.
    const json = okJson<Record<string, unknown>>(await run(['login', '-u', admin.email, '--password-stdin', '--json'], admin.password, {STAYCTL_API_URL: s.url}))
    expect(Object.keys(json).sort()).to.deep.equal(['apiUrl', 'credentialsFile', 'expiresAt', 'user'])
    expect(json).to.deep.include({apiUrl: s.url, credentialsFile: credentialsFilePath(env)})
    expect(stored()[s.url].token).not.to.equal(session.token)
  })

  it('logout ends the session on the server and forgets it; again, it has nothing to do', async () => {
    const apiEnv = {STAYCTL_API_URL: s.url}
    expectExit(await run(['login', '--username', admin.username, '--password-stdin'], admin.password, apiEnv), 0)
    const token = stored()[s.url].token
    const result = expectExit(await run(['logout'], undefined, apiEnv), 0)
    expect(result.stdout).to.equal(`Logged out of ${s.url} (${admin.username}); the server ended the session.\n`)
    let refused: Error | undefined
    await authenticate(s.db, token).catch((error: Error) => (refused = error))
    expect(refused?.message).to.match(/^token \d+ was revoked$/)
    expect(stored()).to.deep.equal({})
    expect(okJson(await run(['logout', '--json'], undefined, apiEnv))).to.deep.equal({apiUrl: s.url, loggedOut: false, endedOnServer: false})
  })

  it('logout from a server that is down forgets the session with a warning', async () => {
    const url = await deadUrl()
    await saveSession(url, {token: `stay_s_${'D'.repeat(43)}`, username: 'ada', userId: 1, expiresAt: '2030-01-01T00:00:00.000Z'}, env)
    const result = expectExit(await run(['logout', '--api', url]), 0)
    expect(result.stderr).to.match(/^Warning: the server did not end the session \(cannot reach the stayctl server at .*\); it stays valid there until 2030-01-01T00:00:00.000Z\n$/)
    expect(stored()).to.deep.equal({})
  })

  it('a wrong password: one line, exit 6, nothing stored, the password in no output', async () => {
    const result = await run(['login', '--api', s.url, '--username', admin.username, '--password-stdin'], 'not-the-password-9')
    expectExit(result, 6)
    expect(result.stderr).to.match(/^Error: login failed: wrong username, email or password, or the account is locked \(.*\)\n$/)
    expect(result.stdout + result.stderr).not.to.include('not-the-password-9')
    expect(fs.existsSync(credentialsFilePath(env))).to.equal(false)
  })

  it('usage mistakes exit 2 and say what to do', async () => {
    const noUrl = await run(['login', '--username', 'x', '--password-stdin'], 'pw')
    expectExit(noUrl, 2)
    expect(noUrl.stderr).to.equal(
      'Error: login talks to a stayctl server, and no API URL is set; pass --api URL, set STAYCTL_API_URL, or store one with `stayctl config set apiUrl URL [--profile NAME]`\n',
    )
    const noUser = await run(['login', '--api', s.url, '--password-stdin'], 'pw')
    expectExit(noUser, 2)
    expect(noUser.stderr).to.include('--password-stdin needs --username')
    // Off a terminal nothing is asked: the missing password is a usage error.
    const noPassword = await run(['login', '--api', s.url, '--username', 'x'])
    expectExit(noPassword, 2)
    expect(noPassword.stderr).to.include('a password is required; pipe it in with --password-stdin')
  })

  it('whoami: locally the OS operator on the database; remotely the user of the session or of STAYCTL_TOKEN', async () => {
    const local = okJson(await run(['whoami', '--json'], undefined, {STAYCTL_DATABASE_URL: s.database.url, STAYCTL_ACTOR: 'e2e'}))
    expect(local).to.deep.equal({actor: 'os:e2e', isAdmin: true, user: null, mode: 'local', target: s.database.target.display, tokenSource: null})

    expectExit(await run(['config', 'set', 'apiUrl', s.url, '--profile', 'staging']), 0)
    const anonymous = await run(['whoami', '--profile', 'staging'])
    expectExit(anonymous, 6)
    expect(anonymous.stderr).to.match(/^Error: log in to see who you are; .*\n$/)

    expectExit(await run(['login', '--profile', 'staging', '-u', admin.username, '--password-stdin'], admin.password), 0)
    const remote = await run(['whoami', '--profile', 'staging'])
    expect(expectExit(remote, 0).stdout).to.equal(`${admin.username} (admin) on ${s.url}, with the session of stayctl login\n`)
    const json = okJson<Record<string, unknown> & {user: {username: string}}>(await run(['whoami', '--profile', 'staging', '--json']))
    expect(json).to.deep.include({actor: admin.username, isAdmin: true, mode: 'remote', target: s.url, tokenSource: 'login'})
    expect(json.user.username).to.equal(admin.username)

    // STAYCTL_TOKEN wins over the stored session: here the guest's API token.
    const {createToken} = await import('../../src/services/auth.js')
    const {testContext} = await import('../support/fixtures.js')
    const guestCtx = testContext(s.db, {actor: {name: fixtures.users.guest.username, userId: s.ids.users.guest, isAdmin: false}})
    const token = (await createToken(guestCtx, {name: 'ci'})).token
    const asGuest = okJson(await run(['whoami', '--profile', 'staging', '--json'], undefined, {STAYCTL_TOKEN: token}))
    expect(asGuest).to.deep.include({actor: fixtures.users.guest.username, isAdmin: false, tokenSource: 'env STAYCTL_TOKEN'})
  })

  it('api: prints the JSON answer; typed and raw variables, --file; a GraphQL error prints the answer and exits with its code', async () => {
    const apiEnv = {STAYCTL_API_URL: s.url}
    expectExit(await run(['login', '-u', admin.username, '--password-stdin'], admin.password, apiEnv), 0)
    const me = expectExit(await run(['api', '{ me { username isAdmin } }'], undefined, apiEnv), 0)
    expect(JSON.parse(me.stdout)).to.deep.equal({data: {me: {username: admin.username, isAdmin: true}}})

    const file = path.join(env.HOME!, 'update.graphql')
    fs.writeFileSync(file, 'mutation($ref: String!, $input: UpdatePropertyInput!) { updateProperty(ref: $ref, input: $input) { name pricePerNight isListed } }')
    const update = await run(
      ['api', '--file', file, '--raw-var', 'ref=Harbour Loft', '--var', 'input[isListed]=false', '--raw-var', 'input[pricePerNight]=130.00'],
      undefined,
      apiEnv,
    )
    expect(JSON.parse(expectExit(update, 0).stdout)).to.deep.equal({data: {updateProperty: {name: 'Harbour Loft', pricePerNight: '130.00', isListed: false}}})

    const query = 'query($ref: String!) { user(ref: $ref) { username } }'
    const missing = await run(['api', query, '--raw-var', 'ref=nobody.here'], undefined, apiEnv)
    expectExit(missing, 4)
    const answer = JSON.parse(missing.stdout) as {data: unknown; errors: {message: string; extensions: {code: string}}[]}
    expect(answer.errors[0]).to.deep.include({message: 'no user "nobody.here"'})
    expect(answer.errors[0].extensions.code).to.equal('NOT_FOUND')
    expect(missing.stderr).to.match(/^Error: no user "nobody.here"(; .*)?\n$/)

    // --json: the same answer; an error as stayctl's JSON error.
    expect(okJson(await run(['api', '{ me { username } }', '--json'], undefined, apiEnv))).to.deep.equal({data: {me: {username: admin.username}}})
    expect(errorJson(await run(['api', query, '--raw-var', 'ref=nobody.here', '--json'], undefined, apiEnv), 4).code).to.equal('NOT_FOUND')

    // The document on stdin (--file -), the answer through jq: strings raw, other values as JSON; a bad filter exits 2.
    const viaStdin = expectExit(await run(['api', '--file', '-', '--jq', '.data.me.username'], '{ me { username isAdmin } }', apiEnv), 0)
    expect(viaStdin.stdout).to.equal(`${admin.username}\n`)
    const selected = expectExit(await run(['api', '{ me { username isAdmin } }', '--jq', '.data'], undefined, apiEnv), 0)
    expect(JSON.parse(selected.stdout)).to.deep.equal({me: {username: admin.username, isAdmin: true}})
    const badFilter = expectExit(await run(['api', '{ me { username } }', '--jq', '.data |||'], undefined, apiEnv), 2)
    expect(badFilter.stderr).to.match(/^Error: --jq: .*syntax error/)

    // A number given typed where the schema wants a string: the server refuses the document (exit 3).
    expectExit(await run(['api', query, '--var', 'ref=42'], undefined, apiEnv), 3)
    expectExit(await run(['api', '{ me { username '], undefined, apiEnv), 3)
    // Without a session: an anonymous answer, not an error.
    expect(JSON.parse(expectExit(await run(['api', '{ me { username } }'], undefined, {...apiEnv, XDG_CONFIG_HOME: path.join(env.HOME!, 'empty')}), 0).stdout)).to.deep.equal({data: {me: null}})
    const noUrl = await run(['api', '{ me { id } }'])
    expectExit(noUrl, 2)
    expect(noUrl.stderr).to.include('api talks to a stayctl server, and no API URL is set')
  })
})
