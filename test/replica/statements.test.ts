/**
 * Where each statement ran, read from the servers' own general query logs (log_output = TABLE,
 * mysql.general_log), not inferred from the data: the statements of user app on connections to
 * this test's database, per server, per phase.
 *
 * - Reads (CLI lists, shows and exports; GraphQL queries through `serve`): every statement that
 *   reads the rental data ran on the replica, none on the primary; the replica saw no write and
 *   no locking read from app at all (an export reads in a snapshot transaction of SELECTs).
 * - Writes (a CLI booking and a GraphQL createBooking): the guard write (calendar_version), the
 *   rule check (the calendar read inside the transaction) and the INSERT ran on the primary;
 *   the replica saw nothing of them.
 */
import {expect} from 'chai'

import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {client, ok} from '../support/graphql.js'
import {describeReplica, freshReplicaDatabase, rootOn, type ReplicaDatabase} from '../support/replica.js'
import {serve, type Served} from '../support/serve.js'

const PASSWORD = 'replica-admin-pw-1'
/** The tables of the rental data (not the token and schema bookkeeping a request also reads). */
const DATA = /`?(properties|bookings|reviews|payments)`?\b/i
/** A write or a locking read (an export's snapshot, START TRANSACTION … COMMIT of SELECTs, is neither). */
const WRITE_OR_LOCK = /^\s*(INSERT|UPDATE|DELETE|REPLACE|LOAD|SAVEPOINT|XA|LOCK)\b|\bFOR UPDATE\b|\bLOCK IN SHARE MODE\b/i

interface Logged {
  thread: number
  text: string
}

describeReplica('where statements run, from the servers’ general logs', function () {
  let database: ReplicaDatabase
  let env: NodeJS.ProcessEnv
  let served: Served
  let token: string
  const saved: {output: string; on: string}[] = []
  const run = async (args: string[], input?: string): Promise<CliResult> => {
    const result = await runCli(args, {env, input})
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(0)
    return result
  }
  const gql = <T>(query: string) => client(served.url, () => token).gql<T>(query)

  /** The server's clock now (the log's event_time is the server's). */
  const now = async (i: number) => ((await database.sql(i, 'SELECT NOW(6) AS t')) as {t: string}[])[0].t

  /** App's statements on server i between two marks, on connections opened to this database. */
  async function logged(i: number, from: string, to: string): Promise<Logged[]> {
    const c = await rootOn(i)
    try {
      const [rows] = await c.query(
        `SELECT thread_id AS thread, CONVERT(argument USING utf8mb4) AS text FROM mysql.general_log
          WHERE event_time >= ? AND event_time < ? AND command_type IN ('Query', 'Execute') AND user_host LIKE 'app[app]%'
            AND thread_id IN (SELECT thread_id FROM mysql.general_log WHERE command_type IN ('Connect', 'Init DB') AND argument LIKE ?)
          ORDER BY event_time`,
        [from, to, `%${database.name}%`],
      )
      return rows as Logged[]
    } finally {
      await c.end()
    }
  }

  before(async function () {
    database = await freshReplicaDatabase('statements')
    for (const i of [0, 1]) {
      const c = await rootOn(i)
      try {
        const [[row]] = (await c.query('SELECT @@global.log_output AS output, @@global.general_log AS `on`')) as unknown as [{output: string; on: string}[]]
        saved[i] = row
        await c.query("SET GLOBAL log_output = 'TABLE'")
        await c.query('SET GLOBAL general_log = 1')
      } finally {
        await c.end()
      }
    }
    env = isolatedEnv({STAYCTL_DATABASE_URL: database.primaryUrl, STAYCTL_READ_REPLICA_URLS: database.replicaUrl})
    await run(['db', 'migrate'])
    await run(['users', 'create', '--username', 'root1', '--email', 'root1@x.io', '--admin', '--password-stdin'], `${PASSWORD}\n`)
    await run(['users', 'create', '--username', 'host1', '--email', 'host1@x.io', '--password-stdin'], `${PASSWORD}\n`)
    await run(['users', 'create', '--username', 'guest1', '--email', 'guest1@x.io', '--password-stdin'], `${PASSWORD}\n`)
    await run(['properties', 'create', '--owner', 'host1', '--name', 'Log House', '--address', '1 Quay', '--price', '100.00'])
    await run(['bookings', 'create', '--property', 'Log House', '--guest', 'guest1', '--from', '2031-01-10', '--to', '2031-01-12'])
    served = await serve(env)
    const login = await client(served.url).gql<{login: {token: string}}>('mutation($p: String!) { login(login: "root1", password: $p) { token } }', {p: PASSWORD})
    token = ok(login).login.token
    await database.synced()
  })

  after(async function () {
    served?.child.kill('SIGTERM')
    await served?.exited
    for (const i of [0, 1]) {
      if (!saved[i]) continue
      const c = await rootOn(i)
      try {
        await c.query('SET GLOBAL general_log = ?', [Number(saved[i].on)])
        await c.query('SET GLOBAL log_output = ?', [saved[i].output])
      } finally {
        await c.end()
      }
    }
    await database?.drop()
  })

  it('reads: the rental data is read on the replica only, and the replica sees no write or locking read', async function () {
    const from = [await now(0), await now(1)]
    await run(['properties', 'list', '--json'])
    await run(['bookings', 'list', '--json'])
    await run(['properties', 'show', 'Log House', '--json'])
    await run(['export', 'bookings', '--format', 'ndjson'])
    ok(await gql('{ properties(first: 10) { nodes { name owner { username } bookings(first: 5) { nodes { startDate } } reviews(first: 5) { nodes { rating } } } } }'))
    ok(await gql('{ bookings(first: 10) { nodes { startDate property { name } } } }'))
    const to = [await now(0), await now(1)]
    const [onPrimary, onReplica] = [await logged(0, from[0], to[0]), await logged(1, from[1], to[1])]
    const dataReads = onReplica.filter((s) => DATA.test(s.text))
    // lists, show and export of the CLI, two GraphQL queries: at least one data read each.
    expect(dataReads.length, onReplica.map((s) => s.text).join('\n')).to.be.at.least(6)
    expect(onReplica.filter((s) => WRITE_OR_LOCK.test(s.text)).map((s) => s.text)).to.deep.equal([])
    expect(onPrimary.filter((s) => DATA.test(s.text)).map((s) => s.text)).to.deep.equal([])
  })

  it('writes: the guard, the rule check and the insert run on the primary; the replica sees none of them', async function () {
    const from = [await now(0), await now(1)]
    await run(['bookings', 'create', '--property', 'Log House', '--guest', 'guest1', '--from', '2031-02-01', '--to', '2031-02-03', '--json'])
    ok(await gql('mutation { createBooking(input: {property: "Log House", guest: "guest1", startDate: "2031-03-01", endDate: "2031-03-04"}) { id } }'))
    const to = [await now(0), await now(1)]
    const [onPrimary, onReplica] = [await logged(0, from[0], to[0]), await logged(1, from[1], to[1])]
    const texts = onPrimary.map((s) => s.text)
    // Per booking: the guard write, then (same connection, same transaction) the calendar read, then the insert.
    const guards = onPrimary.filter((s) => /UPDATE properties SET calendar_version/i.test(s.text))
    expect(guards, texts.join('\n')).to.have.length(2)
    for (const guard of guards) {
      const thread = onPrimary.filter((s) => s.thread === guard.thread).map((s) => s.text)
      const at = thread.findIndex((t) => /UPDATE properties SET calendar_version/i.test(t))
      const rest = thread.slice(at + 1)
      const end = rest.findIndex((t) => /^\s*COMMIT\b/i.test(t))
      const inTransaction = rest.slice(0, end)
      expect(inTransaction.some((t) => /^\s*SELECT\b[\s\S]*\bFROM\s+`?bookings`?/i.test(t)), thread.join('\n')).to.equal(true)
      expect(inTransaction.some((t) => /^\s*INSERT INTO `?bookings`?/i.test(t)), thread.join('\n')).to.equal(true)
    }
    expect(onReplica.filter((s) => WRITE_OR_LOCK.test(s.text) || DATA.test(s.text)).map((s) => s.text)).to.deep.equal([])
  })

  it('causal reads (replicaConsistency causal): a request waits until the replica has what the primary committed before it, then reads it there', async function () {
    const causal = await serve({...env, STAYCTL_REPLICA_CONSISTENCY: 'causal', STAYCTL_MAX_REPLICA_LAG: '30'})
    try {
      const login = await client(causal.url).gql<{login: {token: string}}>('mutation($p: String!) { login(login: "root1", password: $p) { token } }', {p: PASSWORD})
      const query = () => client(causal.url, () => ok(login).login.token).gql<{properties: {nodes: {name: string}[]}}>('{ properties(first: 50) { nodes { name } } }')
      ok(await query())
      await database.sql(1, 'STOP SLAVE SQL_THREAD')
      let restarted = false
      try {
        await run(['properties', 'create', '--owner', 'host1', '--name', 'Causal Cabin', '--address', '9 Quay', '--price', '70.00'])
        const from = await now(1)
        const answer = query()
        setTimeout(() => void database.sql(1, 'START SLAVE SQL_THREAD').then(() => (restarted = true)), 1500)
        const names = ok(await answer).properties.nodes.map((p) => p.name)
        // It waited for the replica (bounded reads would have answered at once, without the cabin).
        expect(restarted, 'answered before replication resumed').to.equal(true)
        expect(names).to.include('Causal Cabin')
        const onReplica = await logged(1, from, await now(1))
        expect(onReplica.some((s) => /\bSELECT\b[\s\S]*\bFROM `?properties`?/i.test(s.text)), onReplica.map((s) => s.text).join('\n')).to.equal(true)
        expect(causal.stderr()).not.to.match(/skipped/)
      } finally {
        if (!restarted) await database.sql(1, 'START SLAVE SQL_THREAD').catch(() => {})
      }
    } finally {
      causal.child.kill('SIGTERM')
      await causal.exited
    }
  })
})
