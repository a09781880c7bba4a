/**
 * An import killed with SIGKILL part-way, then run again (issue 4, acceptance 4): with
 * --upsert the database ends with exactly the rows of the file, no duplicates; with --resume
 * the second run skips exactly what the first committed (its checkpoint is written in the
 * same transaction as each batch) and inserts the rest, and its report covers the whole file,
 * the rows the killed run rejected included (issue 12, item 6).
 */
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import fs from 'node:fs'
import path from 'node:path'

import bcrypt from 'bcrypt'
import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {bin, isolatedEnv, runCli} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const ROWS = 100_000
const BATCH = 500
/** File lines (the header is line 1) holding a bad email. */
const BAD_LINES = [1002, ROWS - 10]
const GOOD = ROWS - BAD_LINES.length
const env = isolatedEnv()
let dir: string
let big: string

interface Summary {
  read: number
  inserted: number
  updated: number
  rejected: number
  skipped: number
}

async function scalar(db: Db, sql: string): Promise<number> {
  const [row] = await db.sequelize.query<{n: number}>(sql, {type: QueryTypes.SELECT})
  return Number(row.n)
}

describe(`stayctl import users, killed and run again (e2e, ${testDialect})`, function () {
  this.timeout(300_000)

  const temp = useScratch({per: 'suite', folder: 'stayctl-import-resume-'})
  const scratch = useScratch({per: 'test', database: 'import_resume'})
  let database: TestDatabase
  let db: Db
  const users = () => scalar(db, 'SELECT COUNT(*) AS n FROM users')

  before(() => {
    dir = temp.dir
    big = path.join(dir, 'users.csv')
    const hash = bcrypt.hashSync('resume password', 4)
    const lines = ['username,email,firstName,passwordHash']
    for (let i = 1; i <= ROWS; i++) lines.push(`resume${i},resume${i}@example.com,Resume ${i},${hash}`)
    // Two bad rows: one early, which the killed run rejects, one late, which the resumed run does.
    for (const line of BAD_LINES) lines[line - 1] = `bad${line},not-an-email,Bad,${hash}`
    fs.writeFileSync(big, lines.join('\n') + '\n')
  })

  beforeEach(() => {
    ;({database, db} = scratch)
  })

  /** Starts the import in small batches, kills it once half the file is committed; returns the rows committed. */
  async function importAndKill(): Promise<number> {
    const child = spawn(process.execPath, [bin, 'import', 'users', big, '--batch-size', String(BATCH), '--database-url', database.url], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const exited = once(child, 'exit')
    try {
      const deadline = Date.now() + 120_000
      while ((await users()) < GOOD / 2) {
        expect(child.exitCode, `the import ended before it was killed: ${output}`).to.equal(null)
        expect(Date.now(), 'no batch was committed in time').to.be.below(deadline)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    } finally {
      child.kill('SIGKILL')
    }
    await exited
    expect(child.signalCode, output).to.equal('SIGKILL')
    // A COMMIT sent just before the kill may still land: wait until the count settles.
    let committed = await users()
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 300))
      const now = await users()
      if (now === committed) break
      committed = now
    }
    expect(committed).to.be.above(BAD_LINES[0]).and.below(GOOD)
    // Only whole batches are committed: each holds BATCH records, and the first bad one is not a user.
    expect((committed + 1) % BATCH, 'only whole batches are committed').to.equal(0)
    return committed + 1
  }

  async function expectExactlyTheFile() {
    expect(await users()).to.equal(GOOD)
    expect(await scalar(db, 'SELECT COUNT(DISTINCT LOWER(username)) AS n FROM users')).to.equal(GOOD)
    const email = testDialect === 'sqlite' ? "username || '@example.com'" : "CONCAT(username, '@example.com')"
    expect(await scalar(db, `SELECT COUNT(*) AS n FROM users WHERE email <> ${email}`)).to.equal(0)
  }

  it('re-run with --upsert: exactly the rows of the file, the committed ones updated', async () => {
    const committed = await importAndKill()
    const result = await runCli(['import', 'users', big, '--upsert', '--json', '--database-url', database.url], {env, timeoutMs: 240_000})
    expect(result.code, result.stderr).to.equal(8)
    const summary = JSON.parse(result.stdout) as Summary
    expect(summary).to.include({read: ROWS, inserted: GOOD - (committed - 1), updated: committed - 1, rejected: 2, skipped: 0})
    await expectExactlyTheFile()
  })

  it('re-run with --resume: skips what was committed, inserts the rest, no duplicates', async () => {
    const committed = await importAndKill()
    expect(await scalar(db, 'SELECT COUNT(*) AS n FROM import_checkpoints')).to.equal(1)
    expect(await scalar(db, 'SELECT records_done AS n FROM import_checkpoints')).to.equal(committed)
    const errors = path.join(dir, 'resume.errors.ndjson')
    const result = await runCli(['import', 'users', big, '--resume', '--errors', errors, '--json', '--database-url', database.url], {env, timeoutMs: 240_000})
    expect(result.code, result.stderr).to.equal(8)
    const summary = JSON.parse(result.stdout) as Summary
    // The report covers the whole file: what the killed run committed and rejected, then the rest.
    expect(summary).to.include({skipped: committed, read: ROWS, inserted: GOOD, updated: 0, rejected: 2})
    const rejected = fs.readFileSync(errors, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {line: number; field: string; reason: string})
    expect(rejected.map((r) => [r.line, r.field])).to.deep.equal(BAD_LINES.map((line) => [line + 0, 'email']))
    await expectExactlyTheFile()
    // The finished import keeps its checkpoint: --resume again imports nothing and reports the file as it was.
    const again = await runCli(['import', 'users', big, '--resume', '--json', '--database-url', database.url], {env, timeoutMs: 240_000})
    expect(again.code, again.stderr).to.equal(8)
    expect(JSON.parse(again.stdout) as Summary).to.include({skipped: ROWS, read: ROWS, inserted: GOOD, updated: 0, rejected: 2})
    const told = await runCli(['import', 'users', big, '--resume', '--database-url', database.url], {env, timeoutMs: 240_000})
    expect(told.code, told.stderr).to.equal(8)
    expect(told.stderr).to.include('An earlier run finished this file: nothing was left to import.')
    await expectExactlyTheFile()
  })
})
