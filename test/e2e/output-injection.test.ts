/**
 * What stayctl prints must not act on the programs that show it (issue 12, item 13): names
 * holding terminal escapes (clear the screen, retitle the window, carriage returns) reach the
 * terminal without their control characters in tables, `show` blocks, messages and errors,
 * while --json keeps them exactly; CSV cells that a spreadsheet would run as formulas start
 * with a `'` in `list --csv` and in `export`, which `import` takes back.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {migratedDatabase, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {cli, cliEnv, expectExit, okJson, removeHome, testBackend} from './helpers.js'

const CLEAR = '\u001b[2J'
const TITLE = '\u001b]0;owned\u0007'
const NAME = `Loft${CLEAR}${TITLE}\rSpoofed`
const FORMULA = "=cmd|' /C calc'!A0"
/** Any control character but line feed (tables and blocks have line feeds; nothing here has colour: stdout is a pipe). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

describe('output that cannot act on terminals and spreadsheets (e2e)', () => {
  const scratch = useScratch({per: 'suite', database: 'output_injection'})
  let database: TestDatabase
  let db: Db
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>
  let evil: number
  let formula: number

  before(async function () {
    this.timeout(120_000)
    ;({db, database} = scratch)
    env = cliEnv(database)
    scratch.defer(() => removeHome(env))
    run = cli(env)
    const backend = testBackend(db)
    await backend.users.create({username: 'host', email: 'host@example.com', password: 'secret-123', firstName: FORMULA})
    evil = (await backend.properties.create({owner: 'host', name: NAME, address: `1 ${CLEAR}Road`, pricePerNight: '80', description: `one${TITLE}\ntwo`})).id
    formula = (await backend.properties.create({owner: 'host', name: FORMULA, address: '+1 Shore Rd', pricePerNight: '90'})).id
  })

  it('prints tables and show blocks without control characters (lists in a pipe: tabs between cells only)', async () => {
    for (const args of [['properties', 'list'], ['properties', 'show', String(evil)], ['properties', 'list', '--columns', 'id,name,address']]) {
      const {stdout} = expectExit(await run(args), 0)
      const list = args[1] === 'list'
      // A list in a pipe is tab-separated: each cell, between the tabs, has no control character.
      const cells = list ? stdout.split('\n').flatMap((line) => line.split('\t')) : [stdout]
      for (const cell of cells) expect(cell, args.join(' ')).not.to.match(CONTROL)
      if (list) expect(stdout.split('\n').map((line) => line.split('\t').length), 'one column per tab').to.satisfy((n: number[]) => new Set(n.filter((x) => x > 1)).size === 1)
      expect(stdout, args.join(' ')).to.include('Loft[2J]0;ownedSpoofed')
    }
  })

  it('prints messages and errors without control characters', async () => {
    const updated = expectExit(await run(['properties', 'update', String(evil), '--price', '81']), 0)
    expect(updated.stdout).to.include('Loft[2J]0;ownedSpoofed')
    expect(updated.stdout).not.to.match(CONTROL)
    const missing = expectExit(await run(['properties', 'show', `nowhere${CLEAR}${TITLE}`]), 4)
    expect(missing.stderr).to.include('nowhere[2J]0;owned')
    expect(missing.stderr).not.to.match(CONTROL)
  })

  it('keeps the values exactly under --json', async () => {
    expect(okJson<{name: string; description: string}>(await run(['properties', 'show', String(evil), '--json']))).to.deep.include({name: NAME, description: `one${TITLE}\ntwo`})
  })

  it("starts formula cells with a ' in list --csv", async () => {
    const {stdout} = expectExit(await run(['properties', 'list', '--csv', '--columns', 'id,name,address']), 0)
    expect(stdout.trimEnd().split('\r\n'), JSON.stringify(stdout)).to.include(`${formula},'${FORMULA},'+1 Shore Rd`)
    expect(stdout.split(/\r\n|,/).filter((cell) => /^"?[=+\-@]/.test(cell))).to.deep.equal([])
  })

  it("starts formula cells with a ' in export, and import takes the quote back", async () => {
    const dir = fs.mkdtempSync(path.join(env.HOME!, 'export-'))
    const file = path.join(dir, 'properties.csv')
    const users = path.join(dir, 'users.csv')
    expectExit(await run(['export', 'users', '--include-password-hashes', '--output', users]), 0)
    expectExit(await run(['export', 'properties', '--output', file]), 0)
    const text = fs.readFileSync(file, 'utf8')
    expect(text).to.include(`,'${FORMULA},`)
    expect(fs.readFileSync(users, 'utf8')).to.include(`,'${FORMULA},`)
    const target = await migratedDatabase('output_injection_import')
    try {
      const into = {...env, STAYCTL_DATABASE_URL: target.database.url}
      expectExit(await run(['import', 'all', dir], {env: into}), 0)
      const names = okJson<{items: {name: string}[]}>(await run(['properties', 'list', '--json'], {env: into})).items.map((p) => p.name)
      expect(names).to.deep.equal([NAME, FORMULA])
      const again = path.join(dir, 'again.csv')
      expectExit(await run(['export', 'properties', '--output', again], {env: into}), 0)
      expect(fs.readFileSync(again, 'utf8')).to.equal(text)
    } finally {
      await target.db.close()
      await target.database.drop()
    }
  })
})
