#!/usr/bin/env node
/**
 * The installed package is the tested package: compares an installed stayctl's node_modules
 * (`npm i -g` of the packed tarball) with npm-shrinkwrap.json, the lockfile the suite ran on.
 * Every runtime (non-dev) entry of the lockfile must be installed at the same path with the same
 * version, and nothing else may be installed. Also checks that what esbuild bundled into dist/
 * (dist/meta.json's inputs) has the lockfile's versions.
 *
 *   node scripts/shipped-tree.mjs INSTALLED_PACKAGE_DIR   # e.g. PREFIX/lib/node_modules/stayctl
 *   node scripts/shipped-tree.mjs --bundle                # dist/meta.json against the lockfile
 *
 * Prints one line per difference and exits 1 if there is any.
 */
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Package directories (relative paths like node_modules/a/node_modules/@b/c) under dir. */
export function installedPackages(dir, rel = '') {
  const found = {}
  const nm = path.join(dir, rel, 'node_modules')
  if (!fs.existsSync(nm)) return found
  for (const name of fs.readdirSync(nm)) {
    if (name.startsWith('.')) continue
    const names = name.startsWith('@') ? fs.readdirSync(path.join(nm, name)).map((sub) => `${name}/${sub}`) : [name]
    for (const pkg of names) {
      const pkgRel = path.posix.join(rel, 'node_modules', pkg)
      const manifest = path.join(dir, pkgRel, 'package.json')
      if (!fs.existsSync(manifest)) continue
      found[pkgRel] = JSON.parse(fs.readFileSync(manifest, 'utf8')).version
      Object.assign(found, installedPackages(dir, pkgRel))
    }
  }
  return found
}

/** Differences between a lockfile's runtime entries and installed {path: version}. */
export function compareTree(lock, installed) {
  const problems = []
  const expected = Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev && !entry.link)
  const known = new Set(expected.map(([key]) => key))
  for (const [key, entry] of expected) {
    if (!(key in installed)) {
      if (!entry.optional) problems.push(`missing: ${key}@${entry.version}`)
    } else if (installed[key] !== entry.version) {
      problems.push(`version differs: ${key} installed ${installed[key]}, lockfile ${entry.version}`)
    }
  }
  for (const key of Object.keys(installed)) {
    if (!known.has(key)) problems.push(`not in the lockfile: ${key}@${installed[key]}`)
  }
  return problems
}

/**
 * Bundled packages (paths under node_modules/ in an esbuild metafile) whose version is not the
 * lockfile's. Inputs of a build plugin's namespace (`ascii-width:…`, `unused-dialect:…`, see
 * scripts/build.mjs) are modules the build wrote, not files of a package: a wrapper's package is
 * an input of its own, by its path.
 */
export function compareBundle(lock, meta, versionAt) {
  const problems = []
  const dirs = new Set()
  for (const input of Object.keys(meta.inputs)) {
    if (/^[a-z][\w-]+:/.test(input)) continue
    const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//)
    if (match) dirs.add(match[1])
  }
  for (const dir of dirs) {
    const entry = lock.packages[dir]
    if (!entry) problems.push(`bundled but not in the lockfile: ${dir}`)
    else if (versionAt(dir) !== entry.version) problems.push(`bundled ${dir}@${versionAt(dir)}, lockfile ${entry.version}`)
  }
  return problems
}

function main(argv) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'npm-shrinkwrap.json'), 'utf8'))
  let problems
  if (argv[0] === '--bundle') {
    const meta = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'meta.json'), 'utf8'))
    const versionAt = (dir) => JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')).version
    problems = compareBundle(lock, meta, versionAt)
  } else if (argv[0]) {
    problems = compareTree(lock, installedPackages(path.resolve(argv[0])))
  } else {
    console.error('usage: shipped-tree.mjs INSTALLED_PACKAGE_DIR | --bundle')
    return 2
  }
  for (const problem of problems) console.log(`shipped-tree: ${problem}`)
  console.log(`shipped-tree: ${problems.length === 0 ? 'same versions as npm-shrinkwrap.json' : `${problems.length} difference(s)`}`)
  return problems.length === 0 ? 0 : 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = main(process.argv.slice(2))
