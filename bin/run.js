#!/usr/bin/env node
// CommonJS (bin/package.json), as is the bundle in dist/: an ES module here would start Node's
// ES module loader, a few milliseconds of every run.
'use strict'
const path = require('node:path')

const root = path.join(__dirname, '..')
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  // Fast path: `stayctl --version` answers from package.json alone, without loading oclif, in
  // exactly oclif's format.
  const {version} = JSON.parse(require('node:fs').readFileSync(path.join(root, 'package.json'), 'utf8'))
  process.stdout.write(`stayctl/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // dist/ is the CLI bundled (scripts/build.mjs). Its compiled code is kept on disk between
  // runs by dist's own code cache (src/cli/compile-cache.ts), written at exit with every
  // function the run compiled. Node's module.enableCompileCache (22.1+) keeps what was compiled
  // before the code ran (oclif's chunk: 110 KB of code against 335 KB), and with it alone
  // `--help` took 17 ms longer and `db status` 42 ms on Node 22 and 24. Node's serves the rest
  // (mysql2, sqlite3's wrapper).
  // The bundle is minified: a stack trace (STAYCTL_DEBUG) names the sources through its source
  // maps, which code compiled by dist's own code cache would not have: debug runs go without it.
  const debug = Boolean(process.env.STAYCTL_DEBUG)
  if (debug) process.setSourceMapsEnabled(true)
  const Module = require('node:module')
  if (Module.enableCompileCache) Module.enableCompileCache()
  if (!debug) require('../dist/src/cli/compile-cache.js').enableCodeCache(path.join(root, 'dist'))
  // oclif is given the package root: from bin/ it would take bin/package.json for stayctl's.
  require('../dist/src/cli/run.js').run(root)
}
