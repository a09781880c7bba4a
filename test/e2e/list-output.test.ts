/**
 * Lists as scripts and people read them (Heroku's and gh's conventions): in a pipe, tab-separated
 * rows under a header line and no box drawing; --no-header for rows only; --filter keeps the rows
 * of the page whose column contains a text; --csv honours --no-header; -h is --help. (On a
 * terminal: a framed table cut to its width, test/unit/render.test.ts.)
 */
import path from 'node:path'

import {expect} from 'chai'

import {isolatedEnv, runCli} from '../support/cli.js'
import {useScratch} from '../support/scratch.js'
import {removeHome} from './helpers.js'

const BOX = /[│─┌┐└┘├┤┬┴┼]/

describe('list output in a pipe (e2e)', function () {
  this.timeout(300_000)
  const scratch = useScratch({per: 'suite', folder: 'stayctl-lists-'})
  let env: NodeJS.ProcessEnv
  const run = (...args: string[]) => runCli(args, {env})

  before(async () => {
    env = isolatedEnv({STAYCTL_DATABASE_URL: `sqlite:${path.join(scratch.dir, 'lists.sqlite')}`})
    scratch.defer(() => removeHome(env))
    expect((await run('db', 'migrate')).code).to.equal(0)
    const seeded = await run('db', 'seed', '--users', '12', '--properties', '4', '--bookings', '10')
    expect(seeded.code, seeded.stderr).to.equal(0)
  })

  it('users list: a header line, then one tab-separated line per user, no box drawing', async () => {
    const {code, stdout} = await run('users', 'list', '--limit', '5')
    expect(code).to.equal(0)
    expect(stdout).to.not.match(BOX)
    const lines = stdout.trimEnd().split('\n')
    expect(lines).to.have.length(6)
    expect(lines[0].split('\t')).to.deep.equal(['ID', 'Username', 'Email', 'Active', 'Admin'])
    expect(lines[1].split('\t')).to.have.length(5)
    expect(lines[1].split('\t')[1]).to.equal('admin')
  })

  it('--no-header prints the rows only, in a pipe and as CSV', async () => {
    const plain = await run('users', 'list', '--limit', '3', '--no-header')
    expect(plain.stdout.trimEnd().split('\n')).to.have.length(3)
    expect(plain.stdout.split('\n')[0].split('\t')[1]).to.equal('admin')
    const csv = await run('users', 'list', '--limit', '3', '--csv', '--no-header', '--columns', 'username')
    expect(csv.stdout.trimEnd().split('\r\n')).to.deep.equal(['admin', ...csv.stdout.trimEnd().split('\r\n').slice(1)])
    expect(csv.stdout.trimEnd().split('\r\n')).to.have.length(3)
  })

  it('--filter column=text keeps the matching rows (case-insensitive); an unknown column exits 2', async () => {
    const all = (await run('users', 'list', '--limit', '50', '--no-header', '--columns', 'username')).stdout.trimEnd().split('\n')
    const filtered = await run('users', 'list', '--limit', '50', '--no-header', '--columns', 'username', '--filter', 'username=ADM')
    expect(filtered.stdout.trimEnd().split('\n')).to.deep.equal(all.filter((name) => name.toLowerCase().includes('adm')))
    expect(filtered.stdout.trimEnd().split('\n')).to.include('admin')
    const unknown = await run('users', 'list', '--filter', 'shoe=9')
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.match(/--filter "shoe=9" is not column=text with one of: id, username/)
  })

  it('-h prints the help of the command', async () => {
    const {code, stdout} = await run('users', 'list', '-h')
    expect(code).to.equal(0)
    expect(stdout).to.match(/^List users/)
    expect(stdout).to.include('--no-header')
  })
})
