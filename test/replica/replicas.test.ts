/**
 * Read replicas on a real MariaDB primary and replica (`mariadb-replica start`), as user app,
 * which cannot write to the read_only replica: a write sent there would fail loudly.
 *
 * Where a statement ran is read from the data itself: a row that only the replica has (written
 * there by root) shows that a read ran on the replica; a row that only the primary has (root,
 * sql_log_bin=0), or a row written while replication is stopped, shows that it ran on the primary.
 */
import {expect} from 'chai'

import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {client, ok} from '../support/graphql.js'
import {freshReplicaDatabase, describeReplica, rootOn, switchableProxy, type ReplicaDatabase} from '../support/replica.js'
import {serve, type Served} from '../support/serve.js'

const PASSWORD = 'replica-admin-pw-1'
const ONLY_ON_REPLICA = 'onlyonreplica'

describeReplica('read replicas', function () {
  let database: ReplicaDatabase
  let env: NodeJS.ProcessEnv
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) => runCli(args, {env: {...env, ...extra}, input})
  const json = <T>(result: CliResult): T => {
    expect(result.code, result.stderr).to.equal(0)
    return JSON.parse(result.stdout) as T
  }
  const usernames = (result: CliResult) => json<{items: {username: string}[]}>(result).items.map((u) => u.username)
  const warnings = (result: CliResult) => result.stderr.split('\n').filter((line) => /read replica/.test(line))

  before(async function () {
    database = await freshReplicaDatabase('reads')
    env = isolatedEnv({STAYCTL_DATABASE_URL: database.primaryUrl, STAYCTL_READ_REPLICA_URLS: database.replicaUrl})
    expect((await run(['db', 'migrate'])).code).to.equal(0)
    expect((await run(['users', 'create', '--username', 'root1', '--email', 'root1@x.io', '--admin', '--password-stdin'], {}, `${PASSWORD}\n`)).code).to.equal(0)
    expect((await run(['users', 'create', '--username', 'host1', '--email', 'host1@x.io', '--password-stdin'], {}, `${PASSWORD}\n`)).code).to.equal(0)
    expect((await run(['users', 'create', '--username', 'guest1', '--email', 'guest1@x.io', '--password-stdin'], {}, `${PASSWORD}\n`)).code).to.equal(0)
    const created = await run(['properties', 'create', '--owner', 'host1', '--name', 'Sea View', '--address', '1 Quay', '--price', '100.00'])
    expect(created.code, created.stderr).to.equal(0)
    await database.synced()
    await database.sql(
      1,
      "INSERT INTO users (id, username, email, password_hash, is_active, is_admin, created_at, updated_at) VALUES (900001, ?, 'r@x.io', 'x', 1, 0, NOW(), NOW())",
      [ONLY_ON_REPLICA],
    )
  })

  after(async function () {
    await database?.sql(1, 'START SLAVE').catch(() => {})
    await database?.sql(1, 'DELETE FROM users WHERE id = 900001').catch(() => {})
    await database?.drop()
  })

  it('runs lists, shows and exports on the replica, and the same commands without it on the primary', async function () {
    expect(usernames(await run(['users', 'list', '--json']))).to.include(ONLY_ON_REPLICA)
    expect(json<{username: string}>(await run(['users', 'show', ONLY_ON_REPLICA, '--json'])).username).to.equal(ONLY_ON_REPLICA)
    const exported = await run(['export', 'users', '--format', 'ndjson'])
    expect(exported.code, exported.stderr).to.equal(0)
    expect(exported.stdout).to.include(ONLY_ON_REPLICA)
    for (const list of [['properties', 'list'], ['bookings', 'list'], ['reviews', 'list'], ['payments', 'list'], ['audit', 'list'], ['tokens', 'list']]) {
      const result = await run([...list, '--json'])
      expect(result.code, `${list.join(' ')}: ${result.stderr}`).to.equal(0)
      expect(warnings(result), list.join(' ')).to.deep.equal([])
    }
    expect(usernames(await run(['users', 'list', '--json'], {STAYCTL_READ_REPLICA_URLS: ''}))).not.to.include(ONLY_ON_REPLICA)
    const status = json<{replicas: {url: string; state: string; checkedAt: string}[]}>(await run(['db', 'status', '--json']))
    expect(status.replicas).to.deep.equal([{url: database.replicaUrl, state: 'in use', reason: null, checkedAt: status.replicas[0].checkedAt}])
    const settings = json<{settings: {key: string; value: string; source: string}[]}>(await run(['config', 'list', '--json'])).settings
    expect(settings.find((setting) => setting.key === 'readReplicaUrls')).to.include({value: database.replicaUrl, source: 'env STAYCTL_READ_REPLICA_URLS'})
  })

  it('runs writes, their reads and their rule checks on the primary: an overlap only the primary has is refused', async function () {
    const primary = await rootOn(0, database.name)
    try {
      await primary.query('SET SESSION sql_log_bin = 0')
      await primary.query(
        "INSERT INTO bookings (id, property_id, guest_id, start_date, end_date, status, total_price, created_at, updated_at) SELECT 800001, p.id, u.id, '2031-05-01', '2031-05-05', 'confirmed', 400, NOW(), NOW() FROM properties p, users u WHERE p.name = 'Sea View' AND u.username = 'root1'",
      )
      const refused = await run(['bookings', 'create', '--property', 'Sea View', '--guest', 'guest1', '--from', '2031-05-02', '--to', '2031-05-04', '--json'])
      expect(refused.code, refused.stdout + refused.stderr).to.equal(5)
      expect(refused.stdout).to.include('800001')
      await primary.query('DELETE FROM bookings WHERE id = 800001')
    } finally {
      await primary.end()
    }
    // The reads of a write (its references) go to the primary: the replica, in use, names the property otherwise.
    await database.sql(1, "UPDATE properties SET name = 'Sea View (replica)' WHERE name = 'Sea View'")
    expect(json<{items: {name: string}[]}>(await run(['properties', 'list', '--json'])).items.map((p) => p.name)).to.include('Sea View (replica)')
    const made = json<{id: number}>(await run(['bookings', 'create', '--property', 'Sea View', '--guest', 'guest1', '--from', '2031-06-01', '--to', '2031-06-03', '--json']))
    // The write itself landed on the primary (app could not write to the read_only replica).
    expect(await database.sql(0, 'SELECT id FROM bookings WHERE id = ?', [made.id])).to.have.length(1)
    await database.synced()
    await database.sql(1, "UPDATE properties SET name = 'Sea View' WHERE name = 'Sea View (replica)'")
  })

  it('with replication stopped: a write names what it just made, and reads past the lag limit fall back with one warning', async function () {
    await database.sql(1, 'STOP SLAVE')
    try {
      // A property the replica does not have: booking it (a write reading its reference) must read the primary.
      expect((await run(['properties', 'create', '--owner', 'host1', '--name', 'Paused Place', '--address', '2 Quay', '--price', '80.00'])).code).to.equal(0)
      const booked = await run(['bookings', 'create', '--property', 'Paused Place', '--guest', 'guest1', '--from', '2031-07-01', '--to', '2031-07-03', '--json'])
      expect(booked.code, booked.stderr).to.equal(0)
      const listed = await run(['properties', 'list', '--json', '--max-replica-lag', '1'])
      expect(json<{items: {name: string}[]}>(listed).items.map((p) => p.name)).to.include('Paused Place')
      expect(warnings(listed)).to.have.length(1)
      expect(warnings(listed)[0]).to.match(/skipped.*lagging/)
    } finally {
      await database.sql(1, 'START SLAVE')
    }
    await database.synced()
    const back = await run(['properties', 'list', '--json', '--max-replica-lag', '1'])
    expect(warnings(back)).to.deep.equal([])
  })

  describe('serve', function () {
    let served: Served
    let proxy: Awaited<ReturnType<typeof switchableProxy>>
    let token: string
    const gql = () => client(served.url, () => token)
    const listedUsers = async () => ok(await gql().gql<{users: {nodes: {username: string}[]}}>('{ users(first: 100) { nodes { username } } }')).users.nodes.map((u) => u.username)
    const eventually = async (what: () => Promise<boolean>) => {
      for (let i = 0; i < 40; i++) {
        if (await what()) return
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      throw new Error('not within 10 s')
    }

    before(async function () {
      const replica = new URL(database.replicaUrl)
      proxy = await switchableProxy({host: replica.hostname, port: Number(replica.port)})
      replica.host = `127.0.0.1:${proxy.port}`
      served = await serve({...env, STAYCTL_READ_REPLICA_URLS: replica.toString(), STAYCTL_MAX_REPLICA_LAG: '1'})
      const login = await client(served.url).gql<{login: {token: string}}>('mutation($p: String!) { login(login: "root1", password: $p) { token } }', {p: PASSWORD})
      token = ok(login).login.token
    })
    after(async function () {
      served?.child.kill('SIGTERM')
      await served?.exited
      proxy?.close()
    })

    it('answers queries from the replica, and a mutation and what it returns from the primary', async function () {
      expect(await listedUsers()).to.include(ONLY_ON_REPLICA)
      await database.sql(1, 'STOP SLAVE')
      try {
        const made = await gql().gql<{createProperty: {id: string}; createBooking: {id: string; property: {name: string}; guest: {username: string}}}>(
          `mutation { createProperty(input: {owner: "host1", name: "Fresh Place", address: "3 Quay", pricePerNight: "90.00"}) { id }
            createBooking(input: {property: "Fresh Place", guest: "guest1", startDate: "2031-08-01", endDate: "2031-08-03"}) { id property { name } guest { username } } }`,
        )
        expect(ok(made).createBooking.property.name).to.equal('Fresh Place')
      } finally {
        await database.sql(1, 'START SLAVE')
      }
      const ready = (await (await fetch(`${served.base}/readyz`)).json()) as {replicas: {state: string}[]}
      expect(ready.replicas.map((r) => r.state)).to.have.length(1)
    })

    it('skips a replica that goes down with one log line, and uses it again once it is back, without a restart', async function () {
      await proxy.down()
      // A command whose replica is down reads from the primary, with one warning line.
      const viaProxy = new URL(database.replicaUrl)
      viaProxy.host = `127.0.0.1:${proxy.port}`
      const local = await run(['users', 'list', '--json'], {STAYCTL_READ_REPLICA_URLS: viaProxy.toString()})
      expect(usernames(local)).not.to.include(ONLY_ON_REPLICA)
      expect(warnings(local)).to.have.length(1)
      expect(warnings(local)[0], warnings(local)[0]).to.match(/skipped.*down/)
      await eventually(async () => !(await listedUsers().catch(() => [ONLY_ON_REPLICA])).includes(ONLY_ON_REPLICA))
      expect(served.stderr().split('\n').filter((l) => /read replica .* skipped/.test(l))).to.have.length(1)
      const ready = (await (await fetch(`${served.base}/readyz`)).json()) as {status: string; replicas: {state: string}[]}
      expect(ready).to.deep.include({status: 'ready'})
      expect(ready.replicas[0].state).to.equal('down')
      await proxy.up()
      await eventually(async () => (await listedUsers()).includes(ONLY_ON_REPLICA))
      expect(served.stderr()).to.match(/read replica .* is back in use/)
    })
  })
})
