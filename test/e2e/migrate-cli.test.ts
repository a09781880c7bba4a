/**
 * The schema commands as users and CI run them: the built bin/run.js in child processes,
 * checked by exit code, output, and what the database holds afterwards. Build first.
 */
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import mysql from 'mysql2/promise'

import DbStatus from '../../commands/db/status.js'
import type {DatabaseTarget} from '../../src/config/database-url.js'
import {discoverFiles} from '../../src/db/migrator.js'
import {columns, metaRows, schemaSnapshot, tableNames} from '../support/catalog.js'
import {isolatedEnv, root, runCli} from '../support/cli.js'
import {testDialect, type TestDatabase, withDb} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const MIGRATIONS = discoverFiles('migrations').map((f) => f.name)
const TABLES = ['api_tokens', 'audit_events', 'blocks', 'bookings', 'calendar_feeds', 'calendar_gaps', 'calendar_tokens', 'import_checkpoints', 'import_rejections', 'login_attempts', 'payments', 'properties', 'reviews', 'users']

const env = isolatedEnv()
const stayctl = (database: TestDatabase, ...args: string[]) => runCli([...args, '--database-url', database.url], {env})

async function databaseExists(target: DatabaseTarget): Promise<boolean> {
  if (target.dialect === 'sqlite') return fs.existsSync(target.storage)
  const connection = await mysql.createConnection({host: target.host, port: target.port, user: target.user, password: target.password})
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [target.database],
    )
    return rows.length > 0
  } finally {
    await connection.end()
  }
}

/** A fresh database per test, dropped after it. */
function useFreshDatabase(label: string): () => TestDatabase {
  const scratch = useScratch({per: 'test', database: label, empty: true, open: false})
  return () => scratch.database
}

describe(`stayctl db … (e2e, ${testDialect})`, function () {
  this.timeout(120_000)

  describe('five `db migrate` started together on an empty database', () => {
    const database = useFreshDatabase('five')

    it('all exit 0; one applies every migration, once; the others report up to date', async () => {
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => stayctl(database(), 'db', 'migrate')))
      for (const result of results) expect(result.code, result.stderr).to.equal(0)
      const applied = results.filter((r) => new RegExp(`^Applied ${MIGRATIONS.length} migrations to `, 'm').test(r.stdout))
      const upToDate = results.filter((r) => /^Database is up to date/m.test(r.stdout))
      expect(applied, results.map((r) => r.stdout).join('')).to.have.length(1)
      expect(upToDate).to.have.length(4)
      await withDb(database(), async (db) => {
        expect((await metaRows(db)).map((row) => row.name)).to.deep.equal(MIGRATIONS)
        expect(await tableNames(db)).to.deep.equal([...TABLES, 'SequelizeMeta'].sort())
      })
    })
  })

  describe('a runner killed while holding the schema lock', () => {
    const database = useFreshDatabase('killed')

    it('does not leave the lock held: the next `db migrate` succeeds promptly', async () => {
      const holder = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/hold-lock.ts'), database().url], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      try {
        let output = ''
        holder.stdout.on('data', (chunk) => (output += chunk))
        holder.stderr.on('data', (chunk) => (output += chunk))
        const deadline = Date.now() + 30_000
        while (!output.includes('locked')) {
          expect(holder.exitCode, output).to.equal(null)
          expect(Date.now(), 'the holder never took the lock').to.be.below(deadline)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }

        // While the holder lives, the lock is really held: a runner that waits one second gives up.
        const blocked = await stayctl(database(), 'db', 'migrate', '--lock-timeout', '1')
        expect(blocked.code, blocked.stderr).to.equal(7)
        expect(blocked.stderr).to.match(/timed out waiting for the schema lock/)
      } finally {
        holder.kill('SIGKILL')
      }
      if (holder.exitCode === null && holder.signalCode === null) await once(holder, 'exit')

      const started = Date.now()
      const result = await runCli(['db', 'migrate', '--database-url', database().url], {env, timeoutMs: 60_000})
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.match(new RegExp(`^Applied ${MIGRATIONS.length} migrations`, 'm'))
      expect(Date.now() - started).to.be.below(30_000)
    })
  })

  describe('db migrate --dry-run', () => {
    const database = useFreshDatabase('dryrun')

    it('prints the SQL of every pending migration and changes nothing', async () => {
      const before = await withDb(database(), async (db) => ({tables: await tableNames(db), schema: await schemaSnapshot(db)}))
      const result = await stayctl(database(), 'db', 'migrate', '--dry-run')
      expect(result.code, result.stderr).to.equal(0)
      for (const name of MIGRATIONS) expect(result.stdout).to.include(`-- ${name}\n`)
      for (const table of TABLES) expect(result.stdout).to.match(new RegExp(`^CREATE TABLE (IF NOT EXISTS )?\`${table}\``, 'm'))
      const after = await withDb(database(), async (db) => ({tables: await tableNames(db), schema: await schemaSnapshot(db)}))
      expect(after).to.deep.equal(before)
      expect(after.tables).to.deep.equal([])

      const json = await stayctl(database(), 'db', 'migrate', '--dry-run', '--json')
      expect(json.code, json.stderr).to.equal(0)
      const parsed = JSON.parse(json.stdout) as {dryRun: boolean; pending: {name: string; statements: string[]}[]}
      expect(parsed.dryRun).to.equal(true)
      expect(parsed.pending.map((m) => m.name)).to.deep.equal(MIGRATIONS)
    })
  })

  describe('db status', () => {
    const database = useFreshDatabase('status')

    it('--check exits non-zero exactly when a migration is pending', async () => {
      const check = () => stayctl(database(), 'db', 'status', '--check')
      const empty = await check()
      expect(empty.code, empty.stderr).to.equal(1)
      expect(empty.stdout).to.include(`${MIGRATIONS.length} migration(s) pending`)

      expect((await stayctl(database(), 'db', 'migrate', '--to', MIGRATIONS[2])).code).to.equal(0)
      expect((await check()).code).to.equal(1)

      expect((await stayctl(database(), 'db', 'migrate')).code).to.equal(0)
      const done = await check()
      expect(done.code, done.stderr).to.equal(0)
      expect(done.stdout).to.include('Schema is up to date.')

      expect((await stayctl(database(), 'db', 'rollback', '--yes')).code).to.equal(0)
      expect((await check()).code).to.equal(1)
    })

    it('--json prints one document with the documented keys, also with --check while pending', async () => {
      expect((await stayctl(database(), 'db', 'migrate', '--to', MIGRATIONS[2])).code).to.equal(0)
      const documented = DbStatus.description!
      for (const args of [['--json'], ['--json', '--check']]) {
        const result = await stayctl(database(), 'db', 'status', ...args)
        expect(result.code, args.join(' ')).to.equal(args.includes('--check') ? 1 : 0)
        const parsed = JSON.parse(result.stdout) as Record<string, unknown> & {
          database: Record<string, unknown>
          migrations: Record<string, unknown>[]
        }
        expect(Object.keys(parsed).sort()).to.deep.equal(
          ['database', 'migrations', 'pendingMigrations', 'pendingSeeders', 'replicas', 'seeders', 'warnings'].sort(),
        )
        expect(parsed.database).to.deep.equal({url: database().target.display, dialect: testDialect, source: 'flag --database-url'})
        expect(parsed.pendingMigrations).to.equal(MIGRATIONS.length - 3)
        expect(parsed.replicas, 'no read replicas configured').to.deep.equal([])
        expect(parsed.migrations.map((m) => [m.name, m.state])).to.deep.equal(
          MIGRATIONS.map((name, i) => [name, i < 3 ? 'applied' : 'pending']),
        )
        expect(Object.keys(parsed.migrations[0]).sort()).to.deep.equal(['appliedAt', 'edited', 'name', 'state'])
        const keys = [...Object.keys(parsed), ...Object.keys(parsed.database), ...Object.keys(parsed.migrations[0])]
        for (const key of keys) expect(documented, `"${key}" is not in the description of db status`).to.include(`"${key}"`)
      }
    })

    it('says where the database setting came from (DATABASE_URL)', async () => {
      const result = await runCli(['db', 'status', '--json'], {env: {...env, DATABASE_URL: database().url}})
      expect(result.code, result.stderr).to.equal(0)
      expect((JSON.parse(result.stdout) as {database: {source: string; url: string}}).database).to.include({
        source: 'env DATABASE_URL',
        url: database().target.display,
      })
    })
  })

  describe('db reset', () => {
    const database = useFreshDatabase('reset')

    it('off a terminal refuses without --yes (exit 2, nothing changed); with --yes (or its alias --force) drops and migrates', async () => {
      expect((await stayctl(database(), 'db', 'migrate')).code).to.equal(0)
      await withDb(database(), async (db) => {
        await db.sequelize.query('CREATE TABLE stray (id INTEGER PRIMARY KEY)')
        await db.sequelize.query(
          "INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ('ann', 'ann@example.com', 'x', '2026-01-01', '2026-01-01')",
        )
      })
      const state = () =>
        withDb(database(), async (db) => ({
          schema: await schemaSnapshot(db),
          users: (await db.sequelize.query('SELECT username FROM users', {plain: false, raw: true}))[0],
        }))
      const before = await state()

      const refused = await stayctl(database(), 'db', 'reset')
      expect(refused.code, refused.stderr).to.equal(2)
      expect(refused.stderr).to.include('--yes')
      expect(await state()).to.deep.equal(before)

      const forced = await stayctl(database(), 'db', 'reset', '--force')
      expect(forced.code, forced.stderr).to.equal(0)
      expect(forced.stdout).to.match(new RegExp(`Dropped ${TABLES.length + 2} table\\(s\\) and applied ${MIGRATIONS.length} migration\\(s\\)`))
      await withDb(database(), async (db) => {
        expect(await tableNames(db)).to.deep.equal([...TABLES, 'SequelizeMeta'].sort())
        expect((await metaRows(db)).map((row) => row.name)).to.deep.equal(MIGRATIONS)
        expect((await db.sequelize.query('SELECT id FROM users'))[0]).to.deep.equal([])
      })
    })
  })

  describe('db rollback --all on a seeded database', () => {
    const database = useFreshDatabase('rollback')

    it('reverts every migration (refunds that refer to their charges, and all), then migrates again', async () => {
      expect((await stayctl(database(), 'db', 'migrate')).code).to.equal(0)
      const seeded = await stayctl(database(), 'db', 'seed', '--size', 'small')
      expect(seeded.code, seeded.stderr).to.equal(0)
      await withDb(database(), async (db) => {
        const [[{n}]] = (await db.sequelize.query('SELECT COUNT(*) AS n FROM payments WHERE refund_of_id IS NOT NULL')) as [{n: number}[], unknown]
        expect(Number(n), 'the seed has refunds').to.be.above(0)
      })
      const reverted = await stayctl(database(), 'db', 'rollback', '--all', '--yes')
      expect(reverted.code, reverted.stderr).to.equal(0)
      expect(reverted.stdout).to.include(`Reverted ${MIGRATIONS.length} migrations`)
      await withDb(database(), async (db) => expect(await metaRows(db)).to.deep.equal([]))
      const again = await stayctl(database(), 'db', 'migrate')
      expect(again.code, again.stderr).to.equal(0)
      // The seeders' record went with the tables: seeding again fills the empty database.
      const reseeded = await stayctl(database(), 'db', 'seed', '--size', 'small', '--json')
      expect(reseeded.code, reseeded.stderr).to.equal(0)
      expect(JSON.parse(reseeded.stdout)).to.include({alreadySeeded: false})
    })
  })

  describe('db reset, refused, on a SQLite file that does not exist yet', () => {
    it('asks before it opens anything: no file is created', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-reset-'))
      const file = path.join(dir, 'never.sqlite')
      try {
        const refused = await runCli(['db', 'reset', '--database-url', `sqlite:${file}`], {env})
        expect(refused.code, refused.stderr).to.equal(2)
        expect(refused.stderr).to.include('--yes')
        expect(fs.readdirSync(dir)).to.deep.equal([])
      } finally {
        fs.rmSync(dir, {recursive: true, force: true})
      }
    })
  })

  describe('db drop', () => {
    const database = useFreshDatabase('drop')

    it('needs the database name: none (exit 2) or a wrong one (exit 2) keep it; the right one drops it', async () => {
      expect((await stayctl(database(), 'db', 'migrate')).code).to.equal(0)
      const target = database().target
      const name = target.dialect === 'mysql' ? target.database : path.basename(target.storage)

      const missing = await stayctl(database(), 'db', 'drop')
      expect(missing.code, missing.stderr).to.equal(2)
      expect(missing.stderr).to.include(`--confirm ${name}`)
      const wrong = await stayctl(database(), 'db', 'drop', '--confirm', `${name}_not`)
      expect(wrong.code, wrong.stderr).to.equal(2)
      expect(wrong.stderr).to.include('does not match')
      expect(await databaseExists(target)).to.equal(true)

      const dropped = await stayctl(database(), 'db', 'drop', '--confirm', name)
      expect(dropped.code, dropped.stderr).to.equal(0)
      expect(dropped.stdout).to.include('Dropped')
      expect(await databaseExists(target)).to.equal(false)
      if (target.dialect === 'sqlite') expect(fs.existsSync(`${target.storage}-wal`)).to.equal(false)
    })
  })

  describe('`db migrate` on a fresh database', () => {
    const database = useFreshDatabase('quiet')

    it('prints nothing but its progress on stderr (no warning from Sequelize, whose MEDIUMTEXT on SQLite warns), and keeps no rejected row of an import', async () => {
      const result = await stayctl(database(), 'db', 'migrate')
      expect(result.code, result.stderr).to.equal(0)
      const lines = result.stderr.split('\n').filter((line) => line.trim() !== '')
      expect(lines.filter((line) => !/^✔ \S+ \(\d+ ms\)$/.test(line)), result.stderr).to.deep.equal([])
      await withDb(database(), async (db) => {
        // The rows themselves (a users file's hold passwords) are read from the file again by --resume.
        expect((await columns(db, 'import_rejections')).map((c) => c.name)).to.deep.equal(['id', 'file_key', 'line', 'field', 'reason'])
      })
    })
  })

  describe('db create', () => {
    const database = useFreshDatabase('create')

    it('creates a missing database, and is idempotent', async () => {
      await database().drop()
      const target = database().target
      expect(await databaseExists(target)).to.equal(false)

      const created = await stayctl(database(), 'db', 'create', '--json')
      expect(created.code, created.stderr).to.equal(0)
      expect(JSON.parse(created.stdout)).to.deep.include({created: true, changed: true})
      expect(await databaseExists(target)).to.equal(true)

      const again = await stayctl(database(), 'db', 'create')
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stdout).to.include('already exists')

      expect((await stayctl(database(), 'db', 'migrate')).code).to.equal(0)
      if (target.dialect === 'mysql') {
        await withDb(database(), async (db) => {
          const [[row]] = (await db.sequelize.query(
            'SELECT DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()',
          )) as [{charset: string}[], unknown]
          expect(row.charset).to.equal('utf8mb4')
        })
      }
    })
  })

  describe('a migration that fails', () => {
    const database = useFreshDatabase('failing')

    it('exits 1 with one line naming the migration and the database message', async () => {
      await withDb(database(), (db) => db.sequelize.query('CREATE TABLE users (id INTEGER PRIMARY KEY)'))
      const result = await stayctl(database(), 'db', 'migrate')
      expect(result.code).to.equal(1)
      const lines = result.stderr.trim().split('\n').filter((line) => line.startsWith('Error'))
      expect(lines, result.stderr).to.have.length(1)
      expect(lines[0]).to.include(MIGRATIONS[0]).and.to.match(/username/)
      expect(lines[0]).to.not.match(/Original error|STAYCTL_DEBUG/)
      if (testDialect === 'mysql') expect(lines[0]).to.match(/DDL/)
      expect(result.stderr).to.not.match(/^\s+at /m)

      const json = await stayctl(database(), 'db', 'migrate', '--json')
      expect(json.code).to.equal(1)
      const error = (JSON.parse(json.stdout) as {error: {code: string; message: string; exitCode: number}}).error
      expect(error).to.include({code: 'INTERNAL', exitCode: 1})
      expect(error.message).to.include(MIGRATIONS[0])
    })
  })
})
