/**
 * `stayctl db doctor` through the built binary on the test database (SQLite, or MariaDB with
 * STAYCTL_TEST_DATABASE_URL): it names the engine, every check passes on the servers the tests
 * use, and --json prints the documented shape (over --api, admins only: test/contract). Findings that
 * fail (exit 9) need a server set up to trigger them: the replica tier does that on its own
 * primary (test/replica/doctor.test.ts); each check both ways is in test/unit/doctor.test.ts.
 */
import {expect} from 'chai'

import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {cli, cliEnv, okJson, removeHome} from './helpers.js'

describe('db doctor', function () {
  const scratch = useScratch({per: 'suite', database: 'doctor', open: false})
  let database: TestDatabase
  let env: NodeJS.ProcessEnv

  before(() => {
    database = scratch.database
    env = cliEnv(database)
    scratch.defer(() => removeHome(env))
  })

  it(`names the engine and passes every check on the test ${testDialect} database, exit 0`, async function () {
    const report = okJson<{engine: {name: string}; findings: {check: string; status: string; fix: string | null}[]; fail: number}>(await cli(env)(['db', 'doctor', '--json']))
    expect(report.engine.name).to.equal(testDialect === 'sqlite' ? 'SQLite' : 'MariaDB')
    const checks = report.findings.map((f) => f.check)
    expect(checks).to.include.members(testDialect === 'sqlite' ? ['engine', 'sqlite-journal', 'sqlite-foreign-keys'] : ['engine', 'local-infile', 'sql-mode', 'time-zone', 'isolation', 'check-constraints', 'migration-lease'])
    expect(report.findings.filter((f) => f.status === 'fail')).to.deep.equal([])
    expect(report.fail).to.equal(0)
    const human = await cli(env)(['db', 'doctor'])
    expect(human.code).to.equal(0)
    expect(human.stdout).to.match(/Engine: (SQLite|MariaDB) \d/)
    expect(human.stdout).to.match(/\d+ ok, \d+ warnings, 0 failing\./)
  })
})
