/**
 * In a real terminal (tmux): prompts check each answer as it is typed and ask again; Ctrl-C at
 * a prompt exits 130 quietly, having changed nothing; destructive commands say what they will
 * do before asking.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {isolatedEnv, runCli} from '../support/cli.js'
import {useScratch} from '../support/scratch.js'
import {startInTmux, tmuxAvailable, type Pane} from '../support/tmux.js'
import {removeHome} from './helpers.js'

/** What a suite of this file works with, once its `before` ran. */
interface TtySuite {
  /** The environment naming the suite's database. */
  env: NodeJS.ProcessEnv
  /** The scratch folder holding the database (and whatever the suite writes next to it). */
  folder: string
  /** Starts stayctl in a tmux pane (with the suite's env unless given), closed after the test. */
  start(args: string[], env?: NodeJS.ProcessEnv): Pane
}

/**
 * The set-up every suite here shares, registered in the calling describe: the suite is skipped
 * without tmux; otherwise a migrated SQLite database `name` in a scratch folder (seeded with
 * `seed` when given), and the last pane a test started is closed after it.
 */
function ttySuite(name: string, seed?: string[]): TtySuite {
  const scratch = useScratch({per: 'suite', folder: 'stayctl-tty-'})
  let pane: Pane | undefined
  const suite: TtySuite = {
    env: {},
    folder: '',
    start: (args, env = suite.env) => (pane = startInTmux(args, env)),
  }

  before(async function () {
    if (!tmuxAvailable()) return this.skip()
    suite.folder = scratch.dir
    suite.env = isolatedEnv({STAYCTL_DATABASE_URL: `sqlite:${path.join(suite.folder, `${name}.sqlite`)}`})
    const {env} = suite
    scratch.defer(() => removeHome(env))
    expect((await runCli(['db', 'migrate'], {env})).code).to.equal(0)
    if (seed) expect((await runCli(['db', 'seed', ...seed], {env})).code).to.equal(0)
  })

  afterEach(() => pane?.close())
  return suite
}

describe('in a terminal (e2e, tmux)', function () {
  this.timeout(120_000)
  const tty = ttySuite('tty')

  it('users create re-asks a bad username and a bad email before the passwords; Ctrl-C exits 130 and creates nothing', async () => {
    const pane = tty.start(['users', 'create'])
    await pane.waitFor(/Username:/)
    pane.type('x', 'Enter')
    await pane.waitFor(/username "x" is not valid: 3–50 letters/)
    pane.press('BSpace')
    pane.type('alice', 'Enter')
    await pane.waitFor(/Email:/)
    expect(pane.screen()).to.not.match(/Password:/)
    pane.type('liam', 'Enter')
    await pane.waitFor(/email "liam" is not a valid address/)
    expect(pane.screen()).to.not.match(/Password:/)
    pane.press('C-u')
    pane.type('alice@example.com', 'Enter')
    await pane.waitFor(/Password:/)
    pane.press('C-c')
    expect(await pane.exitCode()).to.equal(130)
    expect(pane.screen()).to.not.match(/force closed|STAYCTL_DEBUG|Error/)
    const users = await runCli(['users', 'list', '--json'], {env: tty.env})
    expect((JSON.parse(users.stdout) as {items: {username: string}[]}).items.map((u) => u.username)).to.not.include('alice')
  })

  it('db rollback --all says what it reverts and asks; no keeps everything', async () => {
    const pane = tty.start(['db', 'rollback', '--all'])
    const screen = await pane.waitFor(/Revert \d+ migrations \([^)]*\)\s+on\s+sqlite:\S*tty\.sqlite\? Tables they made are dropped/)
    expect(screen).to.match(/\(y\/N\)/)
    pane.type('n', 'Enter')
    expect(await pane.exitCode()).to.equal(0)
    expect(pane.screen()).to.include('Nothing changed.')
    const status = JSON.parse((await runCli(['db', 'status', '--json'], {env: tty.env})).stdout) as {pendingMigrations: number}
    expect(status.pendingMigrations).to.equal(0)
  })
})

describe('confirmations that say how much (e2e, tmux)', function () {
  this.timeout(180_000)
  const tty = ttySuite('money', ['--size', 'small'])
  const json = async (...args: string[]) => JSON.parse((await runCli([...args, '--json'], {env: tty.env})).stdout) as Record<string, unknown>

  it('payments refund shows the amount and what remains; no refunds nothing', async () => {
    const charges = (await json('payments', 'list', '--kind', 'charge', '--status', 'completed', '--limit', '1000')).items as {id: number; amount: string}[]
    const charge = charges.find((c) => Number(c.amount) > 2)!
    const before = await json('payments', 'show', String(charge.id))
    const pane = tty.start(['payments', 'refund', String(charge.id), '--amount', '1.00'])
    const screen = await pane.waitFor(/Refund payment \d+\?\s+It refunds 1\.00; [\d.]+\s+would remain refundable\./)
    expect(screen).to.include(`Refund payment ${charge.id}?`)
    pane.type('n', 'Enter')
    expect(await pane.exitCode()).to.equal(0)
    expect(await json('payments', 'show', String(charge.id))).to.deep.equal(before)
  })

  it('bookings cancel --refund policy shows what it refunds and why; no keeps the booking', async () => {
    const bookings = (await json('bookings', 'list', '--status', 'confirmed', '--limit', '1000')).items as {id: number; startDate: string}[]
    const today = new Date().toISOString().slice(0, 10)
    let target: {id: number; paid: string} | undefined
    for (const b of bookings.filter((x) => x.startDate > today)) {
      const shown = (await json('bookings', 'show', String(b.id))) as {id: number; paid: string; refunded: string}
      if (Number(shown.paid) > Number(shown.refunded)) {
        target = shown
        break
      }
    }
    expect(target, 'a confirmed future booking with money paid').to.not.equal(undefined)
    const pane = tty.start(['bookings', 'cancel', String(target!.id), '--refund', 'policy'])
    await pane.waitFor(new RegExp(`Cancel booking ${target!.id} with a policy refund\\?\\s+It refunds \\d+\\.\\d{2} \\(\\d+% by\\s+policy, \\d+ days\\s+before\\s+check-in\\)\\.`))
    pane.type('n', 'Enter')
    expect(await pane.exitCode()).to.equal(0)
    expect(pane.screen()).to.include('Nothing changed.')
    expect(await json('bookings', 'show', String(target!.id))).to.include({status: 'confirmed'})
  })
})

describe('long lists on a terminal (e2e, tmux)', function () {
  this.timeout(120_000)
  const tty = ttySuite('pager', ['--users', '80', '--properties', '5', '--bookings', '5'])

  it('a page longer than the terminal goes through the pager (less), a framed table without row rules; q leaves it', async () => {
    const pane = tty.start(['users', 'list', '--limit', '60'], {...tty.env, PAGER: 'less'})
    const screen = await pane.waitFor(/^:\s*$/m)
    expect(screen).to.match(/┌─+┬/)
    expect(screen).to.match(/│ +ID │ Username/)
    expect(screen).to.not.match(/EXIT=/)
    pane.type('q')
    expect(await pane.exitCode()).to.equal(0)
  })

  it('a page that fits is printed as it is, and STAYCTL_PAGER=cat never pages', async () => {
    const whole = tty.start(['users', 'list', '--limit', '60'], {...tty.env, STAYCTL_PAGER: 'cat'})
    expect(await whole.exitCode()).to.equal(0)
    whole.close()
    const fits = tty.start(['users', 'list', '--limit', '5'], {...tty.env, PAGER: 'less'})
    expect(await fits.exitCode()).to.equal(0)
    expect(fits.screen()).to.match(/│ +5 │/)
  })
})

describe('tables of other commands on a terminal (e2e, tmux)', function () {
  this.timeout(120_000)
  const tty = ttySuite('tables', ['--size', 'small'])

  it('db status frames each section (in a pipe: tab-separated rows, test/e2e/table-output.test.ts)', async () => {
    const pane = tty.start(['db', 'status'])
    expect(await pane.exitCode()).to.equal(0)
    const screen = pane.screen()
    expect(screen).to.match(/^Seeders:\n┌─+┬─+┬─+┐\n│ Name +│ State +│ Applied at +│\n├─+┼/m)
    expect(screen).to.match(/│ 2026\.11\.21T10\.00\.00\.demo-data +│ applied +│/)
    expect(screen).to.not.include('\t')
  })

  it("payments show frames a charge's refunds, cut to the terminal's 120 columns", async () => {
    const refunds = JSON.parse((await runCli(['payments', 'list', '--kind', 'refund', '--limit', '1', '--json'], {env: tty.env})).stdout) as {items: {refundOfId: number}[]}
    const charge = refunds.items[0].refundOfId
    const pane = tty.start(['payments', 'show', String(charge)])
    expect(await pane.exitCode()).to.equal(0)
    // Joined: a line longer than the pane, wrapped by it, is one line again.
    const screen = pane.text()
    expect(screen).to.match(/^Refunds:\n┌─+┬/m)
    expect(screen).to.match(/│ +ID │ Booking │ Kind +│ Amount │ Status +│ Transaction +│ Refund of │ Date +│ Reason +│/)
    const framed = screen.split('\n').filter((line) => /^[┌│├└]/.test(line))
    expect(framed.join('\n')).to.include('…')
    for (const line of framed) expect(line.length, line).to.be.at.most(120)
  })
})

describe('Ctrl-C during an import (e2e, tmux)', function () {
  this.timeout(300_000)
  const tty = ttySuite('import')
  const ROWS = 60_000
  let file: string

  // After ttySuite's, which skips the suite (this hook too) without tmux.
  before(() => {
    file = path.join(tty.folder, 'users.csv')
    const hash = '$2b$04$abcdefghijklmnopqrstuu5Q0KpNQs1s6ZrHHdbm9Qz5JvS3HTi8e'
    const lines = ['username,email,passwordHash']
    for (let i = 1; i <= ROWS; i++) lines.push(`tty${i},tty${i}@example.com,${hash}`)
    fs.writeFileSync(file, `${lines.join('\n')}\n`)
  })

  it('exits 130 saying what is committed and how to go on; --resume then imports exactly the rest', async () => {
    const pane = tty.start(['import', 'users', file, '--batch-size', '200'])
    await pane.waitFor(/users: [\d,]+ read, [1-9][\d,]* written/)
    pane.press('C-c')
    expect(await pane.exitCode(60_000)).to.equal(130)
    // Joined: a path the 120 columns wrapped is one word again.
    const screen = pane.text().replace(/\n/g, ' ')
    expect(screen, screen).to.match(/Interrupted: [\d]+ records of the file are done .*committed\)\.\s+Go on with: stayctl import users \S+users\.csv\s+--resume/)
    const done = Number(/Interrupted: (\d+) records/.exec(screen)![1])
    expect(done).to.be.above(0).and.below(ROWS)
    const resumed = await runCli(['import', 'users', file, '--resume', '--json'], {env: tty.env, timeoutMs: 240_000})
    expect(resumed.code, resumed.stderr).to.equal(0)
    expect(JSON.parse(resumed.stdout)).to.include({read: ROWS, inserted: ROWS, rejected: 0, skipped: done, interrupted: false})
    // Exactly the file, once: the export has every row of it and no other.
    const exported = path.join(path.dirname(file), 'out.csv')
    expect((await runCli(['export', 'users', '-o', exported], {env: tty.env})).code).to.equal(0)
    expect(fs.readFileSync(exported, 'utf8').trim().split('\n')).to.have.length(ROWS + 1)
  })
})
