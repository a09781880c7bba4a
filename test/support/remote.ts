/**
 * Two copies of the scenario for tests that compare a local run with a remote one: a local
 * database, and an in-process `stayctl serve` on a database of its own with an API token of
 * the scenario's admin; both loaded the same way, so their ids agree. Runs on the scenario's
 * calendar (STAYCTL_TODAY = TODAY) for the whole `describe`.
 */
import type {Db} from '../../src/db/index.js'
import {createToken} from '../../src/services/auth.js'
import {migratedDatabase, type TestDatabase} from './db.js'
import {TODAY, loadScenario, testContext, type ScenarioIds} from './fixtures.js'
import {startTestServer, type TestServer} from './graphql.js'
import {clearTables} from './integration.js'

export interface TwinScenario {
  local: {db: Db; database: TestDatabase; ids: ScenarioIds}
  server: TestServer
  ids: ScenarioIds
  /** An API token of the scenario's admin on the server. */
  adminToken: string
  /** Loads the scenario again on both sides (and a new admin token). */
  reset(): Promise<void>
}

export function useTwinScenario(label: string): TwinScenario {
  const state = {local: {}} as TwinScenario
  let savedToday: string | undefined
  const load = async (db: Db) => {
    await clearTables(db)
    const ctx = testContext(db)
    const ids = await loadScenario(ctx)
    const token = await createToken(ctx, {name: 'twin', user: ids.users.admin})
    return {ids, token: token.token}
  }
  state.reset = async () => {
    const [local, remote] = await Promise.all([load(state.local.db), load(state.server.db)])
    if (JSON.stringify(local.ids) !== JSON.stringify(remote.ids)) throw new Error('the two scenarios got different ids')
    state.local.ids = local.ids
    state.ids = remote.ids
    state.adminToken = remote.token
  }
  before(async function () {
    this.timeout(120_000)
    savedToday = process.env.STAYCTL_TODAY
    process.env.STAYCTL_TODAY = TODAY
    const opened = await migratedDatabase(`${label}_local`)
    state.local.db = opened.db
    state.local.database = opened.database
    state.server = await startTestServer(`${label}_remote`)
    await state.reset()
  })
  after(async () => {
    if (savedToday === undefined) delete process.env.STAYCTL_TODAY
    else process.env.STAYCTL_TODAY = savedToday
    await state.local.db?.close()
    await state.local.database?.drop()
    await state.server?.stop()
  })
  return state
}
