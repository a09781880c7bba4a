/**
 * The code cache of the bundle (src/cli/compile-cache.ts): a run keeps V8's compiled code in
 * TMPDIR/stayctl-compile-cache-<uid>/ (a folder for each set of Node options), the next reads
 * it back and prints the same; a folder others may write to, one that cannot be made, or
 * NODE_DISABLE_COMPILE_CACHE leaves the cache out, silently.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {isolatedEnv, runCli} from '../support/cli.js'
import {useScratch} from '../support/scratch.js'

describe('code cache of the bundle (e2e)', function () {
  const scratch = useScratch({per: 'test', folder: 'stayctl-cache-test-'})
  let tmp: string

  before(function () {
    if (process.getuid === undefined) this.skip()
  })

  beforeEach(() => {
    tmp = scratch.dir
  })

  const base = () => path.join(tmp, `stayctl-compile-cache-${process.getuid!()}`)
  /** The cache files, by name, with their contents. */
  const cached = () => {
    if (!fs.existsSync(base())) return new Map<string, Buffer>()
    return new Map(
      fs
        .readdirSync(base(), {recursive: true})
        .map(String)
        .filter((file) => file.endsWith('.v8'))
        .map((file) => [file, fs.readFileSync(path.join(base(), file))]),
    )
  }

  it('keeps the compiled code of a run in a private folder, and the next run reads it and prints the same', async () => {
    const env = isolatedEnv({TMPDIR: tmp})
    const first = await runCli(['--help'], {env})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).to.equal('')
    const files = cached()
    expect([...files.keys()].some((file) => file.endsWith(`src+cli+run.js.v8`)), [...files.keys()].join(' ')).to.equal(true)
    expect(fs.statSync(base()).mode & 0o777).to.equal(0o700)

    const second = await runCli(['--help'], {env})
    expect(second).to.deep.equal(first)
    // Read back, not written again.
    expect(cached()).to.deep.equal(files)
  })

  it('keeps the caches of an import (which sets a V8 flag while it runs): the next run reads them, writes none', async () => {
    const folder = fs.mkdtempSync(path.join(tmp, 'import-'))
    const file = path.join(folder, 'users.csv')
    fs.writeFileSync(file, 'username,email,password\nada,ada@example.com,correct-horse-battery\n')
    const env = isolatedEnv({TMPDIR: tmp, STAYCTL_DATABASE_URL: `sqlite:${path.join(folder, 'db.sqlite')}`, STAYCTL_BCRYPT_COST: '4'})
    expect((await runCli(['db', 'migrate'], {env})).code).to.equal(0)
    const imports = async (n: number) => {
      const result = await runCli(['import', 'users', file, '--upsert', '--json'], {env})
      expect(result.code, `import ${n}: ${result.stderr}`).to.equal(0)
    }
    await imports(1)
    await imports(2)
    const written = new Map([...cached().keys()].map((name) => [name, fs.statSync(path.join(base(), name)).mtimeMs]))
    await imports(3)
    const rewritten = [...written].filter(([name, mtime]) => fs.statSync(path.join(base(), name)).mtimeMs !== mtime).map(([name]) => name)
    expect(rewritten, 'caches V8 refused and the third run wrote again').to.deep.equal([])
  })

  it('compiles anew, and rewrites, a cache file V8 refuses', async () => {
    const env = isolatedEnv({TMPDIR: tmp})
    const first = await runCli(['--help'], {env})
    const [name] = [...cached().keys()].filter((file) => file.endsWith('src+cli+run.js.v8'))
    fs.writeFileSync(path.join(base(), name), 'not a code cache')
    const second = await runCli(['--help'], {env})
    expect(second).to.deep.equal(first)
    expect(cached().get(name)!.toString()).not.to.equal('not a code cache')
  })

  it('keeps a cache per set of Node options, so that runs with other V8 flags do not rewrite it', async () => {
    const plain = isolatedEnv({TMPDIR: tmp})
    await runCli(['--help'], {env: plain})
    const files = cached()
    const flagged = await runCli(['--help'], {env: {...plain, NODE_OPTIONS: '--max-semi-space-size=32'}})
    expect(flagged.code, flagged.stderr).to.equal(0)
    expect(fs.readdirSync(base())).to.have.length(2)
    for (const [name, contents] of files) expect(cached().get(name), name).to.deep.equal(contents)
  })

  it('writes nothing under NODE_DISABLE_COMPILE_CACHE', async () => {
    const result = await runCli(['--help'], {env: isolatedEnv({TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '1'})})
    expect(result.code).to.equal(0)
    expect(fs.existsSync(base())).to.equal(false)
  })

  it('leaves alone a folder that others may write to', async () => {
    fs.mkdirSync(base())
    fs.chmodSync(base(), 0o777)
    const result = await runCli(['--help'], {env: isolatedEnv({TMPDIR: tmp})})
    expect(result.code).to.equal(0)
    expect(result.stderr).to.equal('')
    expect(fs.readdirSync(base())).to.deep.equal([])
  })

  it('runs without a cache where its folder cannot be made', async () => {
    const notAFolder = path.join(tmp, 'file')
    fs.writeFileSync(notAFolder, '')
    const result = await runCli(['--help'], {env: isolatedEnv({TMPDIR: notAFolder})})
    expect(result.code).to.equal(0)
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.match(/^USAGE/m)
  })
})
