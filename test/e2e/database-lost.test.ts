/**
 * A command whose database connection breaks while it runs exits 7 (UNAVAILABLE, "cannot
 * connect …"), as when the database cannot be reached at all, and as the same command does
 * against a server (SERVICE_UNAVAILABLE), not 1 as a bug; `serve --db-timeout` bounds what a
 * database that stops answering costs the server's clients. MariaDB only (the server of
 * STAYCTL_TEST_DATABASE_URL, else 127.0.0.1:3306 when it answers), reached through a proxy
 * in the test process that resets the connection when the command's statement goes by.
 */
import {expect} from 'chai'

import {isolatedEnv, runCli} from '../support/cli.js'
import {serve} from '../support/serve.js'
import {proxiedDatabase, type ProxiedDatabase, type TcpProxy} from '../support/tcp-proxy.js'
import {removeHome} from './helpers.js'

describe('a database connection lost while a command runs (e2e, MariaDB)', function () {
  this.timeout(120_000)
  let database: ProxiedDatabase | undefined
  let proxy: TcpProxy
  let env: NodeJS.ProcessEnv

  before(async function () {
    const proxied = await proxiedDatabase('lost')
    if (!proxied) return this.skip()
    database = proxied
    proxy = proxied.proxy
    env = isolatedEnv({STAYCTL_DATABASE_URL: proxied.proxied.toString()})
  })
  after(async () => {
    removeHome(env)
    await database?.drop()
  })

  it('exits 7 with one line saying the connection broke, also under --json', async () => {
    expect((await runCli(['users', 'list'], {env})).code).to.equal(0)
    proxy.cutOn('FROM `users`')
    const plain = await runCli(['users', 'list'], {env})
    expect(plain.code, plain.stderr).to.equal(7)
    expect(plain.stderr.trim().split('\n')).to.have.length(1)
    expect(plain.stderr).to.match(/^Error: cannot connect to mysql:\/\/.*: the server (reset|closed) the connection/)
    const json = await runCli(['users', 'list', '--json'], {env})
    expect(json.code).to.equal(7)
    expect(JSON.parse(json.stdout).error).to.include({code: 'UNAVAILABLE', exitCode: 7})
  })

  it('serve --db-timeout: while the database hangs, /readyz is 503 within 2 s and requests fail with SERVICE_UNAVAILABLE', async () => {
    proxy.cutOn(undefined)
    const url = new URL(env.STAYCTL_DATABASE_URL!)
    url.searchParams.set('connectTimeout', '1000')
    const served = await serve({...env, STAYCTL_DATABASE_URL: url.toString()}, ['--db-timeout', '1'])
    try {
      expect((await fetch(`${served.base}/readyz`)).status).to.equal(200)
      proxy.hang()
      let started = performance.now()
      expect((await fetch(`${served.base}/readyz`, {signal: AbortSignal.timeout(10_000)})).status).to.equal(503)
      expect(performance.now() - started).to.be.below(2_000)
      started = performance.now()
      const response = await fetch(served.url, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({query: '{ properties { nodes { id } } }'}),
        signal: AbortSignal.timeout(10_000),
      })
      expect((await response.json()).errors[0].extensions.code).to.equal('SERVICE_UNAVAILABLE')
      expect(performance.now() - started).to.be.below(4_000)
      proxy.resume()
      served.child.kill('SIGTERM')
      expect(await served.exited).to.equal(0)
    } finally {
      proxy.resume()
      served.child.kill('SIGKILL')
    }
  })
})
