/**
 * Causes that used to end in exit 1 ("a bug") and their documented codes (README, "Errors and
 * exit codes"): a database that is not migrated and a SQLite file that is not there (7, and
 * the file is not created), an output folder that is missing and an enumeration filter with
 * a value it cannot hold (3), an argument that is not a number (2). Each is one line on stderr,
 * or one JSON error under --json. Unknown MySQL users: config-errors.test.ts.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'
import mysql from 'mysql2/promise'

import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {useScratch} from '../support/scratch.js'
import {removeHome} from './helpers.js'

function expectOneLine(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).to.equal(code)
  expect(result.stdout).to.equal('')
  expect(result.stderr.trimEnd().split('\n'), result.stderr).to.have.length(1)
  expect(result.stderr).to.match(pattern)
}

function expectJsonError(result: CliResult, code: number, kind: string, pattern: RegExp): void {
  expect(result.code, result.stdout + result.stderr).to.equal(code)
  const body = JSON.parse(result.stdout) as {error: {code: string; exitCode: number; message: string; suggestion?: string}}
  expect(body.error.code).to.equal(kind)
  expect(body.error.exitCode).to.equal(code)
  expect(`${body.error.message}; ${body.error.suggestion ?? ''}`).to.match(pattern)
}

describe('exit codes of the causes that were exit 1 (e2e)', function () {
  this.timeout(300_000)
  const scratch = useScratch({per: 'suite', folder: 'stayctl-exit-'})
  let folder: string
  let env: NodeJS.ProcessEnv
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, {env: {...env, ...extra}})

  before(async () => {
    folder = scratch.dir
    env = isolatedEnv({STAYCTL_DATABASE_URL: `sqlite:${path.join(folder, 'main.sqlite')}`})
    scratch.defer(() => removeHome(env))
    expect((await run(['db', 'migrate'])).code).to.equal(0)
  })

  it('a SQLite file that does not exist: 7, says to migrate, and the file is not created', async () => {
    const typo = path.join(folder, 'typo.sqlite')
    expectOneLine(await run(['users', 'list', '--database-url', `sqlite:${typo}`]), 7, /no database at sqlite:.*typo\.sqlite.*`stayctl db migrate`/)
    expect(fs.existsSync(typo)).to.equal(false)
    expect(fs.existsSync(path.dirname(typo))).to.equal(true)
  })

  it('a SQLite database that is not migrated: 7 with "run `stayctl db migrate`", locally and under --json', async () => {
    const empty = path.join(folder, 'empty.sqlite')
    fs.writeFileSync(empty, '')
    expectOneLine(await run(['bookings', 'list', '--database-url', `sqlite:${empty}`]), 7, /has no table "bookings".*run `stayctl db migrate`/)
    expectJsonError(await run(['users', 'list', '--json', '--database-url', `sqlite:${empty}`]), 7, 'UNAVAILABLE', /no table "users".*run `stayctl db migrate`/)
  })

  it('a MySQL database that is not migrated: 7 with "run `stayctl db migrate`"', async function () {
    const server = new URL((process.env.STAYCTL_TEST_DATABASE_URL ?? '').startsWith('mysql') ? process.env.STAYCTL_TEST_DATABASE_URL! : 'mysql://root@127.0.0.1:3306/test')
    const database = `stayctl_unmigrated_${process.pid}`
    let connection: mysql.Connection
    try {
      connection = await mysql.createConnection({host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username || 'root'), password: decodeURIComponent(server.password)})
    } catch {
      return this.skip()
    }
    try {
      await connection.query(`CREATE DATABASE ${database}`)
      server.pathname = `/${database}`
      expectOneLine(await run(['bookings', 'list', '--database-url', server.toString()]), 7, /has no table "bookings".*run `stayctl db migrate`/)
    } finally {
      await connection.query(`DROP DATABASE IF EXISTS ${database}`)
      await connection.end()
    }
  })

  it('export to a folder that does not exist: 3, naming the folder; nothing written', async () => {
    const missing = path.join(folder, 'missing', 'users.csv')
    expectOneLine(await run(['export', 'users', '-o', missing]), 3, /cannot write .*users\.csv: the folder .*missing does not exist/)
    expect(fs.existsSync(path.dirname(missing))).to.equal(false)
  })

  it('export --where with a value an enumeration cannot hold: 3, listing the values', async () => {
    expectOneLine(await run(['export', 'bookings', '--where', 'status=done', '-o', path.join(folder, 'b.csv')]), 3, /status is one of pending, confirmed, cancelled/)
    expect(fs.existsSync(path.join(folder, 'b.csv'))).to.equal(false)
    expect((await run(['export', 'bookings', '--where', 'status=Cancelled', '-o', path.join(folder, 'b.csv')])).code).to.equal(0)
  })

  it('an argument that is not a number (tokens revoke abc): 2', async () => {
    expectJsonError(await run(['tokens', 'revoke', 'abc', '--json']), 2, 'USAGE', /Expected an integer but received: abc/)
  })
})
