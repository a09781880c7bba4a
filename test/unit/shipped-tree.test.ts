/**
 * scripts/shipped-tree.mjs, which .ci/run's installed-package smoke test runs on `npm i -g` of
 * the packed tarball: a shipped dependency whose version is not the lockfile's is reported.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

// @ts-expect-error -- a plain ES module script, without types
import {compareBundle, compareTree, installedPackages} from '../../scripts/shipped-tree.mjs'
import {tempFolder} from '../support/isolated-env.js'

const lock = {
  packages: {
    '': {name: 'stayctl'},
    'node_modules/sqlite3': {version: '6.0.1'},
    'node_modules/sqlite3/node_modules/tar': {version: '7.5.10'},
    'node_modules/fsevents': {version: '2.3.3', optional: true},
    'node_modules/mocha': {version: '11.8.0', dev: true},
  },
}

function tree(packages: Record<string, string>): string {
  const dir = tempFolder('stayctl-tree-')
  for (const [rel, version] of Object.entries(packages)) {
    fs.mkdirSync(path.join(dir, rel), {recursive: true})
    fs.writeFileSync(path.join(dir, rel, 'package.json'), JSON.stringify({version}))
  }
  return dir
}

describe('shipped tree against the lockfile', () => {
  it('accepts the lockfile runtime tree (dev and missing optional packages aside)', () => {
    const dir = tree({'node_modules/sqlite3': '6.0.1', 'node_modules/sqlite3/node_modules/tar': '7.5.10'})
    expect(compareTree(lock, installedPackages(dir))).to.deep.equal([])
  })

  it('reports a version that differs, a missing package and one the lockfile does not have', () => {
    const dir = tree({'node_modules/sqlite3': '6.0.1', 'node_modules/sqlite3/node_modules/tar': '7.5.11', 'node_modules/@x/y': '1.0.0'})
    expect(compareTree(lock, installedPackages(dir))).to.deep.equal([
      'version differs: node_modules/sqlite3/node_modules/tar installed 7.5.11, lockfile 7.5.10',
      'not in the lockfile: node_modules/@x/y@1.0.0',
    ])
    fs.rmSync(path.join(dir, 'node_modules/sqlite3'), {recursive: true})
    expect(compareTree(lock, installedPackages(dir))).to.include('missing: node_modules/sqlite3@6.0.1')
  })

  it('reports a bundled package whose version is not the lockfile one', () => {
    // A build plugin's module (a wrapper of string-width, named by its namespace) is no package; what it wraps is an input of its own.
    const meta = {inputs: {'node_modules/sqlite3/lib/index.js': {}, 'src/x.ts': {}, 'ascii-width:/build/node_modules/string-width/index.js': {}}}
    expect(compareBundle(lock, meta, () => '6.0.1')).to.deep.equal([])
    expect(compareBundle(lock, meta, () => '6.0.2')).to.deep.equal(['bundled node_modules/sqlite3@6.0.2, lockfile 6.0.1'])
  })
})
