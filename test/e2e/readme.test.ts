/**
 * The README's quick start (acceptance 1): its stayctl commands, run as written on the SQLite
 * default with no database configured, succeed and leave a migrated database behind.
 * `npm ci` and `npm run build` are what `npm test` has already done.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {isolatedEnv, root, runCli} from '../support/cli.js'

function quickStart(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const block = /<!-- quickstart -->\s*```sh\n([\s\S]*?)\n```\s*<!-- quickstartstop -->/.exec(readme)
  expect(block, 'README.md has no quickstart block').to.not.equal(null)
  return block![1].trim()
}

describe('README quick start (e2e)', () => {
  const line = quickStart()
  const steps = line.split('&&').map((step) => step.trim())

  it('is one command line that installs, builds and runs stayctl', () => {
    expect(line).not.to.include('\n')
    expect(steps.slice(0, 2)).to.deep.equal(['npm ci', 'npm run build'])
    expect(steps.slice(2).every((step) => step.startsWith('./bin/run.js '))).to.equal(true)
    expect(line).not.to.match(/["'`$]/)
  })

  it('runs as written on the SQLite default: a seeded database and a listing you can see', async () => {
    const commands = steps.slice(2).map((step) => step.split(/\s+/).slice(1))
    const env = isolatedEnv()
    let last = ''
    for (const args of commands) {
      const {code, stdout, stderr} = await runCli(args, {env, timeoutMs: 120_000})
      expect(code, `stayctl ${args.join(' ')}\n${stderr}`).to.equal(0)
      last = stdout
    }
    // The last step shows a listing of the seeded database.
    expect(commands.at(-1)!.slice(0, 2)).to.deep.equal(['properties', 'show'])
    expect(last).to.match(/Name\s+\S/)
    expect(last).to.match(/Owner\s+\S/)
    expect(fs.existsSync(path.join(env.XDG_DATA_HOME!, 'stayctl', 'stayctl.sqlite'))).to.equal(true)
    const check = await runCli(['db', 'status', '--check', '--json'], {env})
    expect(check.code, check.stderr).to.equal(0)
    const status = JSON.parse(check.stdout) as {database: {source: string; dialect: string}; pendingMigrations: number}
    expect(status.database).to.include({source: 'default', dialect: 'sqlite'})
    expect(status.pendingMigrations).to.equal(0)
  })
})
