/**
 * Issue 12, item 8: a NUL character or a lone UTF-16 surrogate is invalid input wherever text
 * enters: a GraphQL argument is BAD_USER_INPUT naming it (never INTERNAL, and the log holds
 * nothing of the value), an import row holding one is a rejected row with its line, field and
 * reason (the good rows go in), a command-line flag is exit 3 naming the flag. Nothing of it is
 * ever stored, on SQLite as on MariaDB.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import UsersCreate from '../../commands/users/create.js'
import {ValidationError} from '../../src/errors.js'
import {importFolder} from '../../src/services/import/folder.js'
import {importFile, type Rejection} from '../../src/services/import/index.js'
import {hashPassword, verifyPassword} from '../../src/services/passwords.js'
import {checkTexts, textProblem} from '../../src/services/text.js'
import {root} from '../support/cli.js'
import {testDialect} from '../support/db.js'
import {fixtures} from '../support/fixtures.js'
import {codes, ok, useGraphQLServer} from '../support/graphql.js'
import {dumpTables} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'

const NUL = 'a\u0000b'
const LONE = 'a\ud800b'

/** Whether any row of any table holds a NUL or a lone surrogate. */
async function storedBadText(db: Parameters<typeof dumpTables>[0]): Promise<string[]> {
  const found: string[] = []
  for (const [table, rows] of Object.entries(await dumpTables(db))) {
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) if (typeof value === 'string' && textProblem(value)) found.push(`${table}.${column}`)
    }
  }
  return found
}

describe('text input checks (unit)', () => {
  it('textProblem finds a NUL and lone surrogates, and nothing in other text', () => {
    expect(textProblem(NUL)).to.match(/NUL/)
    for (const lone of [LONE, '\ud800', '\udc00x', 'x\udbff']) expect(textProblem(lone), JSON.stringify(lone)).to.match(/lone UTF-16 surrogate/)
    for (const fine of ['', 'plain', 'Zoë 😀 ✓', '\u0001\u001f\t\n', '\ud83d\ude00']) expect(textProblem(fine), JSON.stringify(fine)).to.equal(undefined)
  })

  it('checkTexts names the path of the bad string and never repeats it', () => {
    let caught: unknown
    try {
      checkTexts({email: 'ok@example.com', where: ['x=1', `secret-${NUL}`]}, 'input')
    } catch (error) {
      caught = error
    }
    expect(caught).to.be.instanceOf(ValidationError)
    expect((caught as ValidationError).details).to.deep.equal({field: 'input.where[1]'})
    expect((caught as ValidationError).message).not.to.include('secret')
  })

  it('no password holds a NUL (bcrypt would stop reading at it)', async () => {
    let caught: unknown
    await hashPassword(`password-1${NUL}`, 4).catch((error: unknown) => (caught = error))
    expect(caught).to.be.instanceOf(ValidationError)
    const hash = await hashPassword('password-1a', 4)
    expect(await verifyPassword('password-1a\u0000anything', hash)).to.equal(false)
  })
})

describe(`a NUL or a lone surrogate is invalid input everywhere (issue 12, item 8; ${testDialect})`, function () {
  this.timeout(120_000)
  const s = useGraphQLServer('text_input')

  async function expectBadInput(query: string, variables: Record<string, unknown>, field: string, options: {anonymous?: boolean} = {}) {
    // The admin token's first use notes last_used_at: not a write of the request refused.
    ok(await s.gql('{ whoami { actor } }'))
    const before = await dumpTables(s.db)
    const response = await s.gql(query, variables, options)
    expect(codes(response), JSON.stringify(response.errors)).to.deep.equal(['BAD_USER_INPUT'])
    expect(response.errors![0].extensions?.details).to.deep.equal({field})
    expect(await dumpTables(s.db), 'a refused request wrote something').to.deep.equal(before)
    return response
  }

  it('properties(search:) and login(login:) answer BAD_USER_INPUT naming the argument; the log holds nothing of the value', async () => {
    for (const bad of [NUL, LONE]) {
      await expectBadInput('query ($s: String) { properties(search: $s) { nodes { id } } }', {s: `harbour ${bad}`}, 'search', {anonymous: true})
      await expectBadInput('mutation ($l: String!) { login(login: $l, password: "whatever-1") { token } }', {l: `adm${bad}in`}, 'login', {anonymous: true})
    }
    // In the document itself, as a literal (graphql-js refuses a lone surrogate's escape when parsing already).
    await expectBadInput(`{ properties(search: ${JSON.stringify(`x${NUL}`)}) { nodes { id } } }`, {}, 'search', {anonymous: true})
    const log = s.logs.join('\n')
    expect(log).not.to.match(/INTERNAL|internal=/)
    expect(log).not.to.match(/harbour|adm/)
  })

  it('in input objects and lists: the path of the argument is named, and nothing is stored', async () => {
    const {guest} = s.ids.users
    await expectBadInput('mutation ($r: String!, $i: UpdateUserInput!) { updateUser(ref: $r, input: $i) { id } }', {r: String(guest), i: {firstName: LONE}}, 'input.firstName')
    await expectBadInput('mutation ($r: String!, $i: UpdateUserInput!) { updateUser(ref: $r, input: $i) { id } }', {r: String(guest), i: {lastName: NUL}}, 'input.lastName')
    await expectBadInput(
      'mutation ($i: CreatePropertyInput!) { createProperty(input: $i) { id } }',
      {i: {owner: fixtures.users.host.username, name: `Bad ${NUL} name`, address: '1 Street', pricePerNight: '10.00', description: 'fine'}},
      'input.name',
    )
    await expectBadInput('query ($w: [String!]) { exportPage(entity: users, where: $w) { rows } }', {w: ['username=x', `email=${NUL}`]}, 'where[1]')
    await expectBadInput('query ($r: String!) { user(ref: $r) { id } }', {r: `1${NUL}`}, 'ref')
    expect(await storedBadText(s.db)).to.deep.equal([])
  })

  it('importRows rejects the rows that hold one, naming the field, and takes the others', async () => {
    const rows = [
      {username: 'good.one', email: 'good.one@example.com', password: 'password-123'},
      {username: 'nul.name', email: 'nul.name@example.com', password: 'password-123', firstName: NUL},
      {username: 'lone.name', email: 'lone.name@example.com', password: 'password-123', lastName: LONE},
      {username: `nul${NUL}user`, email: 'nul.user@example.com', password: 'password-123'},
    ]
    const data = ok(
      await s.gql<{importRows: {inserted: number; rejected: number; rejections: {line: number; field: string; reason: string}[]}}>(
        'mutation ($rows: [JSON!]!) { importRows(input: {entity: users, rows: $rows}) { inserted rejected rejections { line field reason } } }',
        {rows},
      ),
    )
    expect(data.importRows).to.include({inserted: 1, rejected: 3})
    expect(data.importRows.rejections.map((r) => [r.line, r.field])).to.deep.equal([
      [2, 'firstName'],
      [3, 'lastName'],
      [4, 'username'],
    ])
    expect(data.importRows.rejections[0].reason).to.match(/^firstName contains a NUL character/)
    expect(await storedBadText(s.db)).to.deep.equal([])
  })

  describe('files', () => {
    const temp = useScratch({per: 'suite', folder: 'stayctl-text-'})
    let dir: string
    before(() => (dir = temp.dir))

    it('import (and import all) rejects each row holding one with its line, field and reason, and takes the good rows', async () => {
      const folder = fs.mkdtempSync(path.join(dir, 'all-'))
      const users = [
        {username: 'file.good', email: 'file.good@example.com', password: 'password-123', firstName: 'Zoë 😀'},
        {username: 'file.nul', email: 'file.nul@example.com', password: 'password-123', firstName: NUL},
        {username: 'file.lone', email: 'file.lone@example.com', password: 'password-123', lastName: LONE},
        {username: 'file.pass', email: 'file.pass@example.com', password: `password-1${NUL}`},
      ]
      // JSON.stringify writes a lone surrogate as the escape \ud800, as another program might.
      fs.writeFileSync(path.join(folder, 'users.ndjson'), users.map((u) => JSON.stringify(u)).join('\n') + '\n')
      fs.writeFileSync(
        path.join(folder, 'properties.csv'),
        ['owner,name,address,pricePerNight', 'file.good,Good Place,1 Road,10.00', `file.good,Bad${NUL}Place,2 Road,10.00`, `file.good,Other Place,3 ${NUL} Road,10.00`].join('\n') + '\n',
      )
      const reported: string[] = []
      const summary = await importFolder(s.ctx, {dir: folder, onRejected: (entity, _file, r) => reported.push(`${entity} ${r.line} ${r.field}: ${r.reason}`)})
      const counts = (entity: string) => {
        const file = summary.files.find((f) => f.entity === entity)!
        return {inserted: file.inserted, rejected: file.rejected}
      }
      expect(counts('users')).to.deep.equal({inserted: 1, rejected: 3})
      expect(counts('properties')).to.deep.equal({inserted: 1, rejected: 2})
      expect(reported).to.deep.equal([
        'users 2 firstName: firstName contains a NUL character (U+0000)',
        'users 3 lastName: lastName contains a lone UTF-16 surrogate, which is no Unicode character',
        'users 4 password: password contains a NUL character (U+0000)',
        'properties 3 name: name contains a NUL character (U+0000)',
        'properties 4 address: address contains a NUL character (U+0000)',
      ])

      const file = path.join(dir, 'again.ndjson')
      fs.writeFileSync(file, JSON.stringify({username: 'file.two', email: 'file.two@example.com', password: 'password-123', lastName: LONE}) + '\n')
      const rejections: Rejection[] = []
      const single = await importFile(s.ctx, {entity: 'users', file, onRejected: (r) => rejections.push(r)})
      expect(single).to.include({inserted: 0, rejected: 1})
      expect(rejections.map((r) => [r.line, r.field])).to.deep.equal([[1, 'lastName']])
      expect(await storedBadText(s.db)).to.deep.equal([])
    })
  })

  it('a command-line flag holding one is exit 3 naming the flag, and nothing is written', async () => {
    const before = await dumpTables(s.db)
    const output: string[] = []
    const write = process.stdout.write
    process.stdout.write = ((chunk: string) => output.push(String(chunk)) > 0) as typeof process.stdout.write
    let caught: unknown
    try {
      await UsersCreate.run(['--username', 'flag.user', '--email', 'flag@example.com', '--first-name', NUL, '--database-url', s.database.url, '--json'], root)
    } catch (error) {
      caught = error
    } finally {
      process.stdout.write = write
    }
    const exitCode = process.exitCode
    process.exitCode = 0
    expect((caught as {oclif?: {exit?: number}}).oclif?.exit).to.equal(3)
    expect(exitCode).to.equal(3)
    const body = JSON.parse(output.join('')) as {error: {code: string; details: unknown; message: string}}
    expect(body.error).to.deep.include({code: 'VALIDATION', details: {field: '--first-name'}})
    expect(await dumpTables(s.db)).to.deep.equal(before)
  })
})
