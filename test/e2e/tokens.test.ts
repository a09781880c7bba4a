/**
 * `stayctl tokens create|list|revoke` through the built binary: the token is printed once
 * (table and --json), never by `tokens list` in any format, and works until revoked; the
 * documented exit codes and JSON shapes hold.
 */
import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {authenticate, hashToken} from '../../src/services/auth.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {cli, cliEnv, errorJson, expectExit, expectShape, okJson, removeHome, testBackend} from './helpers.js'

const TOKEN = {
  id: 'number',
  userId: 'number',
  username: 'string|null',
  name: 'string',
  kind: 'string',
  status: 'string',
  createdAt: 'date',
  expiresAt: 'date|null',
  lastUsedAt: 'date|null',
  revokedAt: 'date|null',
}

describe(`e2e: tokens (${testDialect})`, function () {
  this.timeout(180_000)

  const scratch = useScratch({per: 'suite', database: 'tokens'})
  let db: Db
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>
  let aliceId: number

  before(async () => {
    ;({db, database} = scratch)
    env = cliEnv(database)
    scratch.defer(() => removeHome(env))
    run = cli(env)
    const backend = testBackend(db)
    aliceId = (await backend.users.create({username: 'alice', email: 'alice@example.com', password: 'alice-password-1'})).id
    await backend.users.create({username: 'ivy', email: 'ivy@example.com', password: 'ivy-password-1', isActive: false})
  })

  it('create prints the token once, as a table or JSON; list never shows it; revoke ends it', async () => {
    const table = expectExit(await run(['tokens', 'create', '--name', 'ci', '--user', 'alice']), 0)
    const printed = /stay_t_[A-Za-z0-9_-]{43}/.exec(table.stdout)?.[0]
    expect(printed, table.stdout).to.be.a('string')
    expect(table.stderr).to.match(/cannot be shown again/)

    const created = okJson<Record<string, unknown> & {token: string; id: number}>(
      await run(['tokens', 'create', '--name', 'backup', '--user', 'alice@example.com', '--expires-in-days', '7', '--json']),
    )
    expectShape(created, {...TOKEN, token: 'string'}, 'tokens create')
    expect(created).to.include({userId: aliceId, username: 'alice', name: 'backup', kind: 'api', status: 'active'})
    expect(created.token).to.match(/^stay_t_[A-Za-z0-9_-]{43}$/)
    expect(await authenticate(db, created.token)).to.deep.equal({name: 'alice', userId: aliceId, isAdmin: false, tokenId: created.id})

    const outputs = [
      await run(['tokens', 'list']),
      await run(['tokens', 'list', '--csv', '--all']),
      await run(['tokens', 'list', '--json', '--user', 'alice']),
      await run(['tokens', 'list', '--columns', 'id,userId,username,name,kind,status,createdAt,expiresAt,lastUsedAt,revokedAt']),
    ]
    for (const result of outputs) {
      expectExit(result, 0)
      for (const token of [printed!, created.token]) {
        expect(result.stdout + result.stderr).not.to.include(token)
        expect(result.stdout + result.stderr).not.to.include(hashToken(token))
      }
    }
    const page = JSON.parse(outputs[2].stdout) as {items: Record<string, unknown>[]; nextCursor: string | null}
    expect(page.items.map((t) => t.name)).to.deep.equal(['backup', 'ci'])
    // Each token names its user (it was null in lists: the included user came back flattened).
    expect(page.items.map((t) => t.username)).to.deep.equal(['alice', 'alice'])
    page.items.forEach((item, i) => expectShape(item, TOKEN, `tokens list.items[${i}]`))

    const revoked = okJson(await run(['tokens', 'revoke', String(created.id), '--json']))
    expectShape(revoked, TOKEN, 'tokens revoke')
    expect(revoked).to.include({id: created.id, status: 'revoked'})
    let refused: unknown
    await authenticate(db, created.token).catch((error: unknown) => (refused = error))
    expect(refused).to.be.instanceOf(Error)
    const live = okJson<{items: {id: number}[]}>(await run(['tokens', 'list', '--json']))
    expect(live.items.map((t) => t.id)).not.to.include(created.id)
    // Again: no change, still exit 0.
    expect(okJson(await run(['tokens', 'revoke', String(created.id), '--json']))).to.include({status: 'revoked'})
  })

  it('exit codes: 3 without --user or with bad days, 4 for unknown users and tokens, 5 for a deactivated user', async () => {
    expect(errorJson(await run(['tokens', 'create', '--name', 'ci', '--json']), 3).message).to.match(/local operator/)
    errorJson(await run(['tokens', 'create', '--name', 'ci', '--user', 'alice', '--expires-in-days', '400', '--json']), 3)
    errorJson(await run(['tokens', 'create', '--name', 'session', '--user', 'alice', '--json']), 3)
    errorJson(await run(['tokens', 'create', '--name', 'ci', '--user', 'nobody', '--json']), 4)
    errorJson(await run(['tokens', 'create', '--name', 'ci', '--user', 'ivy', '--json']), 5)
    errorJson(await run(['tokens', 'revoke', '999999', '--json']), 4)
    errorJson(await run(['tokens', 'list', '--user', 'nobody', '--json']), 4)
    expectExit(await run(['tokens', 'create', '--user', 'alice']), 2)
  })
})
