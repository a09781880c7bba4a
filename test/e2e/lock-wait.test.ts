/**
 * A write facing another writer that holds SQLite's write lock (an atomic import, an open
 * `sqlite3` shell) waits for it once, up to the busy timeout, then gives up: exit 5 (CONFLICT)
 * with one line that says why, while the other still holds the lock. Before, Sequelize tried
 * the BEGIN five times and inTransaction the transaction eight times, each waiting the whole
 * busy timeout (30 s): twenty minutes, with a Sequelize warning on stderr at every round.
 * The busy timeout is shortened for the test (STAYCTL_TEST_SQLITE_BUSY_MS=1000), so the old
 * behaviour waits about 45 s where the holder lets go after 20: the command then succeeds, and
 * the test fails.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'
import sqlite3 from 'sqlite3'

import type {Db} from '../../src/db/index.js'
import {LOCK_WAIT_MESSAGE} from '../../src/db/lock-wait.js'
import type {CliResult} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {cli, cliEnv, errorJson, expectExit, removeHome} from './helpers.js'

/** How long the holder keeps the lock if the command does not give up first. */
const HOLD_BOUND_MS = 20_000

describe('a write waits out another writer once (SQLite, e2e)', function () {
  this.timeout(120_000)
  const scratch = useScratch({per: 'suite', folder: 'lockwait-', database: 'lockwait', dialect: 'sqlite'})
  let db: Db
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>

  before(async function () {
    // SQLite's own lock; MySQL's lock waits are the server's (innodb_lock_wait_timeout), classified by the same rule.
    if (testDialect !== 'sqlite') this.skip()
    ;({db, database} = scratch)
    env = cliEnv(database, {STAYCTL_TEST_SQLITE_BUSY_MS: '1000'})
    scratch.defer(() => removeHome(env))
    run = cli(env)
  })

  /** Runs `command` while another connection holds the write lock: its result, and whether the lock was still held when it ended. */
  async function whileLocked(command: () => Promise<CliResult>): Promise<{result: CliResult; endedWhileHeld: boolean}> {
    if (database.target.dialect !== 'sqlite') throw new Error('unreachable')
    const holder = new sqlite3.Database(database.target.storage)
    const exec = (sql: string) => new Promise<void>((resolve, reject) => holder.exec(sql, (error) => (error ? reject(error) : resolve())))
    await exec('BEGIN IMMEDIATE')
    let bound: NodeJS.Timeout | undefined
    try {
      const pending = command()
      const ended = await Promise.race([pending.then(() => true), new Promise<false>((resolve) => (bound = setTimeout(() => resolve(false), HOLD_BOUND_MS)))])
      await exec('COMMIT')
      return {result: await pending, endedWhileHeld: ended}
    } finally {
      clearTimeout(bound)
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
  }

  const create = (username: string, json: boolean) =>
    run(['users', 'create', '--username', username, '--email', `${username}@example.com`, '--password-stdin', ...(json ? ['--json'] : [])], {
      input: 'Lock-wait-password-1\n',
    })

  it('gives up with exit 5 and one JSON error while the other still holds the lock; nothing is written', async () => {
    const {result, endedWhileHeld} = await whileLocked(() => create('waited.json', true))
    expect({endedWhileHeld, code: result.code, stderr: result.stderr}).to.deep.equal({endedWhileHeld: true, code: 5, stderr: ''})
    expect(errorJson(result, 5)).to.include({code: 'CONFLICT', message: LOCK_WAIT_MESSAGE})
    expect(await db.models.User.count({where: {username: 'waited.json'}})).to.equal(0)
  })

  it('says it in one line on stderr, without a word of Sequelize', async () => {
    const {result, endedWhileHeld} = await whileLocked(() => create('waited.text', false))
    expect(endedWhileHeld, 'ended while the lock was held').to.equal(true)
    expectExit(result, 5)
    expect(result.stderr.trim().split('\n'), result.stderr).to.have.length(1)
    expect(result.stderr).to.include(LOCK_WAIT_MESSAGE).and.not.match(/Rolling back|transaction/i)
  })

  /** An import (`args`, without --json) stopped by the lock: exit 5, the --resume command as its suggestion; going on writes `username`. */
  async function expectResumable(args: string[], username: string) {
    const {result, endedWhileHeld} = await whileLocked(() => run([...args, '--json']))
    expect(endedWhileHeld, 'ended while the lock was held').to.equal(true)
    const error = errorJson(result, 5)
    expect(error).to.include({code: 'CONFLICT', message: LOCK_WAIT_MESSAGE})
    expect(error.suggestion).to.equal(`the batches committed before it stay; go on with: stayctl ${args.join(' ')} --resume`)
    expectExit(await run([...args, '--resume', '--json']), 0)
    expect(await db.models.User.count({where: {username}})).to.equal(1)
  }

  it('an import of a file stopped by it says how to go on (--resume), and going on imports the file', async () => {
    const file = path.join(scratch.dir, 'waiting-users.csv')
    fs.writeFileSync(file, 'username,email,password\nwaited.import,waited.import@example.com,Lock-wait-password-1\n')
    await expectResumable(['import', 'users', file], 'waited.import')
  })

  it('so does an import of a folder, and going on imports the rest', async () => {
    const dir = path.join(scratch.dir, 'waiting-folder')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'users.csv'), 'username,email,password\nwaited.folder,waited.folder@example.com,Lock-wait-password-1\n')
    await expectResumable(['import', 'all', dir], 'waited.folder')
  })

  it('writes once the lock is free', async () => {
    expectExit(await create('waited.json', true), 0)
    expect(await db.models.User.count({where: {username: 'waited.json'}})).to.equal(1)
  })
})
