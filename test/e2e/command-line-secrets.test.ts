/**
 * Secrets that go where others can read them get a warning on stderr, and the command goes on
 * (stdout, also under --json, holds only its result): a database password typed in
 * --database-url, --read-replica-url or `config set` (the process list, the shell's history),
 * a token sent over plain http:// to another machine. A mistyped flag does not print its
 * value (`--pasword=…`). None of these prints the secret itself.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {deadUrl, stubServer, type StubServer} from '../support/stub-server.js'
import {removeHome} from './helpers.js'

const PASSWORD = 'typed-Pw-9f3k'
const TOKEN = `stay_t_${'C'.repeat(43)}`
const TYPED_URL = /^Warning: --database-url put the database password in the process list, where other users of this machine see it, and in your shell's history; set STAYCTL_DATABASE_URL instead, or store it in the config file, readable by you only: stayctl config set databaseUrl --value-stdin \(the URL on stdin\)$/m
const CLEAR_TEXT = /^Warning: http:\/\/.* is plain http:\/\/ to another machine: the token or password, and the data, cross the network unencrypted; use the server's https:\/\/ URL$/m

const warnings = (result: CliResult) => result.stderr.split('\n').filter((line) => line.startsWith('Warning:'))

function expectNoPassword(result: CliResult, secret = PASSWORD): void {
  expect(result.stdout + result.stderr, 'the secret was printed').not.to.include(secret)
}

/** An address of this machine other than loopback (IPv4), if it has one. */
function externalAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address
}

describe('secrets on the command line and in clear text (e2e)', function () {
  this.timeout(120_000)
  let env: NodeJS.ProcessEnv
  let closedPort: string

  before(async () => {
    closedPort = new URL(await deadUrl()).port
  })
  beforeEach(() => {
    env = isolatedEnv()
  })
  afterEach(() => removeHome(env))

  describe('--database-url with a password', () => {
    it('warns on stderr, before the command goes on; --json keeps stdout to its document', async () => {
      const url = `mysql://app:${PASSWORD}@127.0.0.1:${closedPort}/stayctl`
      const text = await runCli(['db', 'status', '--database-url', url], {env})
      expect(text.code, text.stderr).to.equal(7)
      expect(text.stderr).to.match(TYPED_URL)
      expect(warnings(text)).to.have.length(1)
      expectNoPassword(text)

      const json = await runCli(['db', 'status', '--json', '--database-url', url], {env})
      expect(json.code, json.stderr).to.equal(7)
      expect(json.stderr).to.match(TYPED_URL)
      expect((JSON.parse(json.stdout) as {error: {code: string}}).error.code).to.equal('UNAVAILABLE')
      expectNoPassword(json)
    })

    it('says nothing when the URL has no password, or comes from STAYCTL_DATABASE_URL', async () => {
      const bare = await runCli(['db', 'status', '--database-url', `mysql://app@127.0.0.1:${closedPort}/stayctl`], {env})
      expect(bare.code, bare.stderr).to.equal(7)
      expect(warnings(bare)).to.deep.equal([])
      const fromEnv = await runCli(['db', 'status'], {env: {...env, STAYCTL_DATABASE_URL: `mysql://app:${PASSWORD}@127.0.0.1:${closedPort}/stayctl`}})
      expect(fromEnv.code, fromEnv.stderr).to.equal(7)
      expect(warnings(fromEnv)).to.deep.equal([])
      expectNoPassword(fromEnv)
    })

    it('--read-replica-url with a password: the same warning, naming STAYCTL_READ_REPLICA_URLS', async () => {
      const result = await runCli(['users', 'list', '--database-url', 'sqlite::memory:', '--read-replica-url', `mysql://app:${PASSWORD}@127.0.0.1:${closedPort}/stayctl`], {env})
      expect(result.code, result.stderr).to.equal(2)
      expect(warnings(result)).to.deep.equal([
        `Warning: --read-replica-url put the database password in the process list, where other users of this machine see it, and in your shell's history; set STAYCTL_READ_REPLICA_URLS instead, or store it in the config file, readable by you only: stayctl config set readReplicaUrls --value-stdin (the URL on stdin)`,
      ])
      expectNoPassword(result)
    })
  })

  describe('config set with a password', () => {
    it('warns that the command line holds it, and makes a config file that others could read readable by its owner only', async () => {
      const file = path.join(env.HOME!, 'config.json')
      const setEnv = {...env, STAYCTL_CONFIG: file}
      fs.writeFileSync(file, '{"bcryptCost": 12}\n', {mode: 0o644})
      fs.chmodSync(file, 0o644)

      const cost = await runCli(['config', 'set', 'bcryptCost', '13'], {env: setEnv})
      expect(cost.code, cost.stderr).to.equal(0)
      expect(warnings(cost)).to.deep.equal([])
      expect(fs.statSync(file).mode & 0o777, 'no password: the mode is kept').to.equal(0o644)

      const result = await runCli(['config', 'set', 'database-url', `mysql://app:${PASSWORD}@db.internal:3306/stayctl`, '--json'], {env: setEnv})
      expect(result.code, result.stderr).to.equal(0)
      expect(warnings(result)).to.deep.equal([
        `Warning: the command line put the password in the process list, where other users of this machine see it, and in your shell's history; to keep it off the command line, pipe it in with --value-stdin, or set STAYCTL_DATABASE_URL`,
      ])
      expect(JSON.parse(result.stdout)).to.include({key: 'databaseUrl', value: 'mysql://app:****@db.internal:3306/stayctl'})
      expectNoPassword(result)
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal({bcryptCost: '13', databaseUrl: `mysql://app:${PASSWORD}@db.internal:3306/stayctl`})
    })

    it('--value-stdin keeps it off the command line: stored as piped (without its newline), no warning, the file readable by its owner only', async () => {
      const file = path.join(env.HOME!, 'config.json')
      const setEnv = {...env, STAYCTL_CONFIG: file}
      fs.writeFileSync(file, '{}\n', {mode: 0o644})
      fs.chmodSync(file, 0o644)
      const url = `mysql://app:${PASSWORD}@db.internal:3306/stayctl`
      const result = await runCli(['config', 'set', 'databaseUrl', '--value-stdin', '--profile', 'prod', '--json'], {env: setEnv, input: `${url}\n`})
      expect(result.code, result.stderr).to.equal(0)
      expect(warnings(result)).to.deep.equal([])
      expectNoPassword(result)
      expect(JSON.parse(result.stdout)).to.include({key: 'databaseUrl', value: 'mysql://app:****@db.internal:3306/stayctl', profile: 'prod'})
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal({profiles: {prod: {databaseUrl: url}}})
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
    })

    it('a value both typed and piped, or neither (off a terminal), is a usage error that stores nothing', async () => {
      const file = path.join(env.HOME!, 'config.json')
      const setEnv = {...env, STAYCTL_CONFIG: file}
      const both = await runCli(['config', 'set', 'bcryptCost', '13', '--value-stdin'], {env: setEnv, input: '12'})
      expect(both.code).to.equal(2)
      expect(both.stderr).to.include('the value is given twice: as an argument and with --value-stdin')
      const neither = await runCli(['config', 'set', 'bcryptCost', '--json'], {env: setEnv})
      expect(neither.code).to.equal(2)
      expect(JSON.parse(neither.stdout).error).to.include({code: 'USAGE', message: 'a value is required', suggestion: 'pipe it in with --value-stdin'})
      expect(fs.existsSync(file), 'nothing stored').to.equal(false)
    })
  })

  describe('a config file others can read, holding the database password', () => {
    it('warns on every command that reads it, naming the file and the chmod; a file of its owner only, or a URL without a password, says nothing', async () => {
      const file = path.join(env.HOME!, 'config.json')
      const fileEnv = {...env, STAYCTL_CONFIG: file}
      const write = (databaseUrl: string, mode: number) => {
        fs.writeFileSync(file, JSON.stringify({profiles: {prod: {databaseUrl}}}) + '\n')
        fs.chmodSync(file, mode)
      }
      const status = () => runCli(['db', 'status', '--profile', 'prod', '--json'], {env: fileEnv})
      write(`mysql://app:${PASSWORD}@127.0.0.1:${closedPort}/stayctl`, 0o644)
      const exposed = await status()
      expect(exposed.code, exposed.stderr).to.equal(7)
      expect(warnings(exposed)).to.deep.equal([
        `Warning: ${file} holds the database password and other users of this machine can read it (mode 0644); make it yours only: chmod 600 ${file}`,
      ])
      expectNoPassword(exposed)
      fs.chmodSync(file, 0o600)
      expect(warnings(await status())).to.deep.equal([])
      write(`mysql://app@127.0.0.1:${closedPort}/stayctl`, 0o644)
      expect(warnings(await status())).to.deep.equal([])
    })

    it('the same for a read replica URL with a password in it, once however many settings hold one', async () => {
      const file = path.join(env.HOME!, 'config.json')
      const fileEnv = {...env, STAYCTL_CONFIG: file}
      const warning = `Warning: ${file} holds the database password and other users of this machine can read it (mode 0640); make it yours only: chmod 600 ${file}`
      const replica = `mysql://app:${PASSWORD}@127.0.0.1:${closedPort}/replica`
      for (const databaseUrl of [`mysql://app@127.0.0.1:${closedPort}/stayctl`, `mysql://app:${PASSWORD}@127.0.0.1:${closedPort}/stayctl`]) {
        fs.writeFileSync(file, JSON.stringify({databaseUrl, readReplicaUrls: replica}) + '\n')
        fs.chmodSync(file, 0o640)
        const result = await runCli(['users', 'list', '--json'], {env: fileEnv})
        expect(result.code, result.stderr).to.equal(7)
        expect(warnings(result), databaseUrl).to.deep.equal([warning])
        expectNoPassword(result)
      }
    })
  })

  describe('--api over plain http://', () => {
    let server: StubServer
    before(async () => {
      // Answers every request as a server that does not know the token.
      server = await stubServer((_req, res) => {
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(JSON.stringify({errors: [{message: 'unknown token', extensions: {code: 'UNAUTHENTICATED'}}]}))
      }, '0.0.0.0')
    })
    after(() => server.close())

    it('to another machine: warns once, and still sends the request', async function () {
      const address = externalAddress()
      if (address === undefined) this.skip() // no address but loopback: no other machine to name
      const url = `http://${address}:${new URL(server.url).port}/graphql`
      const before = server.hits
      for (const args of [['users', 'list'], ['users', 'list', '--json']]) {
        const result = await runCli([...args, '--api', url], {env: {...env, STAYCTL_TOKEN: TOKEN}})
        expect(result.code, result.stderr).to.equal(6)
        expect(warnings(result), result.stderr).to.have.length(1)
        expect(result.stderr).to.match(CLEAR_TEXT)
        expectNoPassword(result, TOKEN)
      }
      expect(server.hits - before, 'the requests went').to.equal(2)
      expect(server.authorizations.at(-1)).to.equal(`Bearer ${TOKEN}`)
    })

    it('to this machine (127.0.0.1, localhost): no warning', async () => {
      const port = new URL(server.url).port
      for (const host of ['127.0.0.1', 'localhost']) {
        const result = await runCli(['users', 'list', '--api', `http://${host}:${port}/graphql`], {env: {...env, STAYCTL_TOKEN: TOKEN}})
        expect(result.code, result.stderr).to.equal(6)
        expect(warnings(result), host).to.deep.equal([])
      }
    })
  })

  describe('a mistyped flag', () => {
    it('--pasword=VALUE: the error names the flag and hides its value, as text and as JSON', async () => {
      const args = ['users', 'create', '--username', 'ada', `--pasword=${PASSWORD}`]
      const text = await runCli(args, {env})
      expect(text.code).to.equal(2)
      expect(text.stderr).to.equal('Error: Nonexistent flag: --pasword=…; see `stayctl users create --help`\n')
      const json = await runCli([...args, '--json'], {env})
      expect(json.code).to.equal(2)
      expect((JSON.parse(json.stdout) as {error: {message: string}}).error.message).to.equal('Nonexistent flag: --pasword=…')
      expectNoPassword(json)
    })

    it('-pVALUE (as mysql takes a password) and several at once: each flag shown, no value', async () => {
      const result = await runCli(['login', '--api', `http://127.0.0.1:${closedPort}/graphql`, '-u', 'ada', `-p${PASSWORD}`, `--secret=${PASSWORD}`], {env})
      expect(result.code).to.equal(2)
      expect(result.stderr).to.equal('Error: Nonexistent flags: -p…, --secret=…; see `stayctl login --help`\n')
    })

    it('after a flag that takes a value (--email --pasword=VALUE, -u -pVALUE): not taken as its value; refused, naming the flag, as text and as JSON', async () => {
      const args = ['users', 'create', '--username', 'ada', '--email', `--pasword=${PASSWORD}`, '--password-stdin']
      const text = await runCli(args, {env, input: 'long enough pw\n'})
      expect([text.code, text.stdout]).to.deep.equal([2, ''])
      expect(text.stderr).to.equal('Error: --email needs a value, and the word after it (--pasword=…) starts with -; write --email=VALUE for a value that starts with -\n')
      const json = await runCli(['users', 'create', '--json', ...args.slice(2)], {env, input: 'long enough pw\n'})
      expect([json.code, json.stderr]).to.deep.equal([2, ''])
      expect(JSON.parse(json.stdout)).to.deep.equal({
        error: {code: 'USAGE', message: '--email needs a value, and the word after it (--pasword=…) starts with -', exitCode: 2, suggestion: 'write --email=VALUE for a value that starts with -'},
      })
      const short = await runCli(['login', '--api', `http://127.0.0.1:${closedPort}/graphql`, '-u', `-p${PASSWORD}`, '--password-stdin'], {env, input: `${PASSWORD}\n`})
      expect([short.code, short.stderr]).to.deep.equal([2, 'Error: --username needs a value, and the word after it (-p…) starts with -; write --username=VALUE for a value that starts with -\n'])
      for (const result of [text, json, short]) expectNoPassword(result)
    })
  })

  describe('stdin is never taken as an argument', () => {
    it('a password piped to users set-password --password-stdin, USER left out: a usage error that does not print it', async () => {
      const dbEnv = {...env, STAYCTL_DATABASE_URL: `sqlite:${path.join(env.HOME!, 'stdin.db')}`}
      expect((await runCli(['db', 'migrate'], {env: dbEnv})).code).to.equal(0)
      for (const args of [['users', 'set-password', '--password-stdin'], ['users', 'set-password', '--password-stdin', '--json']]) {
        const result = await runCli(args, {env: dbEnv, input: `${PASSWORD}\n`})
        expect(result.code, result.stderr + result.stdout).to.equal(2)
        expect(result.stderr + result.stdout).to.include('Missing 1 required arg')
        expectNoPassword(result)
      }
    })

    it('a file piped to a command whose FILE is left out: the text is not taken as its path', async () => {
      const result = await runCli(['import', 'users', '--database-url', 'sqlite::memory:'], {env, input: 'username,email\nada,ada@example.com\n'})
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stderr).to.include('Missing 1 required arg')
      expect(result.stderr).not.to.include('ada@example.com')
    })
  })
})
