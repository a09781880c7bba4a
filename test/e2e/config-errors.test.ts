/**
 * Bad configuration (acceptance 7): each mistake gives exactly one line on stderr naming the
 * problem and the setting to fix, with the password masked, no stack trace, and exit code 7
 * (2 when the URL itself cannot be used); under --json, a JSON error with the same code.
 *
 * The MySQL cases talk to the server of STAYCTL_TEST_DATABASE_URL when that is a mysql:// URL,
 * else to MariaDB on 127.0.0.1:3306, and are skipped only when that server is not reachable.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {expect} from 'chai'
import mysql from 'mysql2/promise'

import {isolatedEnv, runCli} from '../support/cli.js'
import {useScratch} from '../support/scratch.js'

const PASSWORD = 's3cr3t-pw'

const server = new URL(
  (process.env.STAYCTL_TEST_DATABASE_URL ?? '').startsWith('mysql')
    ? process.env.STAYCTL_TEST_DATABASE_URL!
    : 'mysql://root@127.0.0.1:3306/test',
)

/** A URL to the test server with another user, password or database. */
function serverUrl(change: {user?: string; password?: string; database?: string}): string {
  const url = new URL(server.toString())
  if (change.user !== undefined) url.username = change.user
  if (change.password !== undefined) url.password = change.password
  if (change.database !== undefined) url.pathname = `/${change.database}`
  return url.toString()
}

async function serverReachable(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username || 'root'),
      password: decodeURIComponent(server.password),
      connectTimeout: 3000,
    })
    await connection.end()
    return true
  } catch {
    return false
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer()
    listener.on('error', reject)
    listener.listen(0, '127.0.0.1', () => {
      const {port} = listener.address() as net.AddressInfo
      listener.close(() => resolve(port))
    })
  })
}

interface Case {
  title: string
  /** The URL, or a function giving it (evaluated when the test runs). */
  url: () => string | Promise<string>
  exit: 2 | 7
  /** The problem, as the message must name it. */
  problem: RegExp
  /** What to do next, beyond naming the setting (the suggestion). */
  next?: RegExp
  mysql?: boolean
  args?: string[]
}

const cases: Case[] = [
  {
    title: 'an unreachable host (closed port)',
    url: async () => `mysql://root:${PASSWORD}@127.0.0.1:${await closedPort()}/stayctl`,
    exit: 7,
    problem: /connection refused/,
  },
  {
    title: 'an unreachable host, for db create',
    url: async () => `mysql://root:${PASSWORD}@127.0.0.1:${await closedPort()}/stayctl`,
    exit: 7,
    problem: /connection refused/,
    args: ['db', 'create'],
  },
  {
    title: 'a wrong password',
    url: () => serverUrl({password: PASSWORD}),
    exit: 7,
    problem: /access denied \(wrong user or password\)/,
    mysql: true,
  },
  {
    title: 'a user that does not exist',
    url: () => serverUrl({user: 'stayctl_no_such_user', password: PASSWORD}),
    exit: 7,
    problem: /access denied/,
    mysql: true,
  },
  {
    title: 'a wrong password, for db migrate',
    url: () => serverUrl({password: PASSWORD}),
    exit: 7,
    problem: /access denied/,
    mysql: true,
    args: ['db', 'migrate'],
  },
  {
    title: 'a MySQL database that does not exist',
    url: () => serverUrl({database: `stayctl_missing_${process.pid}`}),
    exit: 7,
    problem: /database "stayctl_missing_\d+" does not exist/,
    next: /create it with `stayctl db create`/,
    mysql: true,
  },
  {
    title: 'an unknown URL scheme',
    url: () => `postgres://app:${PASSWORD}@127.0.0.1:5432/stayctl`,
    exit: 2,
    problem: /unknown scheme "postgres:"/,
  },
  {
    title: 'a malformed URL (port out of range)',
    url: () => `mysql://app:${PASSWORD}@127.0.0.1:99999/stayctl`,
    exit: 2,
    problem: /not a well-formed URL/,
  },
  {
    title: 'a URL typed without its scheme',
    url: () => `app:${PASSWORD}@127.0.0.1:3306/stayctl`,
    exit: 2,
    problem: /unknown scheme "app:"/,
  },
  {
    title: 'a bare file name (no scheme)',
    url: () => 'stayctl.sqlite',
    exit: 2,
    problem: /"stayctl.sqlite": it has no scheme/,
  },
  {
    title: 'a MySQL URL without a database name',
    url: () => `mysql://app:${PASSWORD}@127.0.0.1:3306/`,
    exit: 2,
    problem: /no database name/,
  },
]

describe('bad configuration (e2e)', function () {
  const temp = useScratch({per: 'suite', folder: 'stayctl-config-errors-'})
  let reachable = false
  let scratch: string

  before(async () => {
    reachable = await serverReachable()
    scratch = temp.dir
  })

  /** Asserts the one-line contract; returns the line. */
  function expectOneLine(stderr: string, stdout: string): string {
    expect(stdout, 'nothing on stdout').to.equal('')
    const lines = stderr.split('\n').filter((line) => line !== '')
    expect(lines, `stderr:\n${stderr}`).to.have.length(1)
    expect(stderr).not.to.match(/^\s+at /m)
    expect(lines[0]).to.match(/^Error: /)
    return lines[0]
  }

  for (const c of cases) {
    describe(c.title, () => {
      beforeEach(function () {
        if (c.mysql && !reachable) this.skip()
      })

      it(`via --database-url: one line, the setting named, exit ${c.exit}`, async () => {
        const url = await c.url()
        const {code, stdout, stderr} = await runCli([...(c.args ?? ['db', 'status']), '--database-url', url])
        // A password typed in the flag is warned about first (command-line-secrets.test.ts); the error is the one line after it.
        const warned = stderr.startsWith('Warning: --database-url put the database password')
        expect(warned, stderr).to.equal(url.includes(PASSWORD))
        const line = expectOneLine(warned ? stderr.slice(stderr.indexOf('\n') + 1) : stderr, stdout)
        expect(line).to.match(c.problem)
        if (c.next) expect(line).to.match(c.next)
        expect(line).to.include('--database-url')
        expect(line).to.include('DATABASE_URL')
        expect(stderr + stdout).not.to.include(PASSWORD)
        if (url.includes(PASSWORD)) expect(line).to.include(':****@')
        expect(code, line).to.equal(c.exit)
      })

      it('via DATABASE_URL with --json: a JSON error object, the same exit code', async () => {
        const url = await c.url()
        const {code, stdout, stderr} = await runCli([...(c.args ?? ['db', 'status']), '--json'], {
          env: isolatedEnv({DATABASE_URL: url}),
        })
        expect(stderr + stdout).not.to.include(PASSWORD)
        const body = JSON.parse(stdout) as {error: {code: string; message: string; exitCode: number; suggestion?: string}}
        expect(body.error.code).to.equal(c.exit === 7 ? 'UNAVAILABLE' : 'USAGE')
        expect(body.error.exitCode).to.equal(c.exit)
        expect(body.error.message).to.match(c.problem)
        expect(body.error.suggestion).to.include('DATABASE_URL')
        if (c.next) expect(body.error.suggestion).to.match(c.next)
        expect(code).to.equal(c.exit)
      })
    })
  }

  describe('an SQLite path in a folder that cannot be created', () => {
    it('names the folder and the setting, exit 7', async () => {
      const file = path.join(scratch, 'not-a-folder')
      fs.writeFileSync(file, 'a file where a folder should be\n')
      const url = `sqlite:${path.join(file, 'data', 'stayctl.sqlite')}`
      for (const args of [['db', 'migrate'], ['db', 'create']]) {
        const {code, stdout, stderr} = await runCli([...args, '--database-url', url])
        const line = expectOneLine(stderr, stdout)
        expect(line).to.include(`cannot create the folder ${path.join(file, 'data')}`)
        expect(line).to.include('--database-url')
        expect(code, `${args.join(' ')}: ${line}`).to.equal(7)
      }
    })

    it('db status reads it as a database that does not exist yet (everything pending) and creates nothing', async () => {
      const file = path.join(scratch, 'not-a-folder-for-status')
      fs.writeFileSync(file, '')
      const {code, stdout} = await runCli(['db', 'status', '--json', '--database-url', `sqlite:${path.join(file, 'x.sqlite')}`])
      const body = JSON.parse(stdout) as {pendingMigrations: number; warnings: string[]}
      expect(body.pendingMigrations).to.be.above(0)
      expect(body.warnings[0]).to.match(/x\.sqlite does not exist yet; `stayctl db migrate` creates it/)
      expect(code).to.equal(0)
      expect(fs.statSync(file).isFile()).to.equal(true)
    })

    it('gives the same error as JSON under --json', async () => {
      const file = path.join(scratch, 'not-a-folder-either')
      fs.writeFileSync(file, '')
      const {code, stdout} = await runCli(['db', 'migrate', '--json'], {
        env: isolatedEnv({STAYCTL_DATABASE_URL: `sqlite:${path.join(file, 'x.sqlite')}`}),
      })
      const body = JSON.parse(stdout) as {error: {code: string; exitCode: number; message: string}}
      expect(body.error).to.include({code: 'UNAVAILABLE', exitCode: 7})
      expect(body.error.message).to.include('cannot create the folder')
      expect(code).to.equal(7)
    })
  })

  describe('a broken config file', () => {
    it('names the file, exit 2', async () => {
      const env = isolatedEnv()
      const file = path.join(env.HOME!, 'stayctl.json')
      fs.writeFileSync(file, '{"databaseUrl": ')
      const {code, stdout, stderr} = await runCli(['db', 'status'], {env: {...env, STAYCTL_CONFIG: file}})
      const line = expectOneLine(stderr, stdout)
      expect(line).to.include(`config file ${file} is not valid JSON`)
      expect(code).to.equal(2)
    })

    it('a bad URL in the config file names the file as the setting to fix', async () => {
      const env = isolatedEnv()
      const file = path.join(env.XDG_CONFIG_HOME!, 'stayctl', 'config.json')
      fs.mkdirSync(path.dirname(file), {recursive: true})
      fs.writeFileSync(file, JSON.stringify({databaseUrl: `postgres://app:${PASSWORD}@127.0.0.1/x`}))
      const {code, stdout, stderr} = await runCli(['db', 'status'], {env})
      const line = expectOneLine(stderr, stdout)
      expect(line).to.include(`"databaseUrl" in ${file}`)
      expect(line).not.to.include(PASSWORD)
      expect(code).to.equal(2)
    })
  })
})
