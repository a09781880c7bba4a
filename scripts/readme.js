#!/usr/bin/env node
/**
 * Keeps the generated parts of README.md current (needs `npm run build` first):
 *   - between <!-- usage -->, <!-- commands --> and <!-- toc --> markers: `oclif readme`;
 *   - between <!-- exit-codes --> and <!-- exit-codesstop -->: the table of src/errors.ts.
 *
 *   node scripts/readme.js           rewrite README.md            (npm run readme)
 *   node scripts/readme.js --check   fail when README.md is stale (npm run readme:check)
 *
 * The check regenerates into a temporary copy and compares. oclif prints the version line
 * of the machine that ran it (`stayctl/0.1.0 linux-x64 node-v20.19.0`); its platform and
 * Node version are ignored by the comparison, the package version is not.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const readme = path.join(root, 'README.md')
const check = process.argv.includes('--check')

function fail(message) {
  console.error(`readme: ${message}`)
  process.exit(1)
}

if (!fs.existsSync(path.join(root, 'oclif.manifest.json')) || !fs.existsSync(path.join(root, 'dist', 'src', 'errors.js'))) {
  fail('no build found; run `npm run build` first')
}

/** Replaces what lies between <!-- name --> and <!-- namestop --> with the body. */
function replaceSection(text, name, body) {
  const start = `<!-- ${name} -->`
  const stop = `<!-- ${name}stop -->`
  const from = text.indexOf(start)
  const to = text.indexOf(stop)
  if (from === -1 || to === -1 || to < from) fail(`README.md has no ${start} … ${stop} section`)
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`
}

async function exitCodeTable() {
  const {ERROR_CATALOGUE} = await import(pathToFileURL(path.join(root, 'dist', 'src', 'errors.js')).href)
  const rows = Object.entries(ERROR_CATALOGUE)
    .map(([kind, entry]) => ({kind, ...entry}))
    .sort((a, b) => a.exit - b.exit || a.kind.localeCompare(b.kind))
  return [
    '| exit | error | meaning | GraphQL `extensions.code` |',
    '|---|---|---|---|',
    '| 0 | — | success | — |',
    ...rows.map((r) => `| ${r.exit} | \`${r.kind}\` | ${r.meaning} | ${r.graphql ? `\`${r.graphql}\`` : '—'} |`),
  ].join('\n')
}

/** Writes the generated sections into `file` (a copy of README.md, or README.md itself). */
async function generate(file) {
  const oclif = path.join(root, 'node_modules', 'oclif', 'bin', 'run.js')
  const result = spawnSync(process.execPath, [oclif, 'readme', '--no-aliases', '--readme-path', file], {
    cwd: root,
    // A fixed width, so the help text wraps the same on every terminal; no update check.
    env: {...process.env, COLUMNS: '120', OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1'},
    encoding: 'utf8',
  })
  if (result.status !== 0) fail(`oclif readme failed:\n${result.stderr}${result.stdout}`)
  const text = fs.readFileSync(file, 'utf8')
  fs.writeFileSync(file, replaceSection(text, 'exit-codes', await exitCodeTable()))
}

const normalize = (text) => text.replace(/^(stayctl\/\S+) \S+ node-v\S+$/gm, '$1 <platform> node-<version>')

if (check) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-readme-'))
  const copy = path.join(dir, 'README.md')
  try {
    fs.copyFileSync(readme, copy)
    await generate(copy)
    const current = normalize(fs.readFileSync(readme, 'utf8'))
    const fresh = normalize(fs.readFileSync(copy, 'utf8'))
    if (current === fresh) {
      console.log('readme: README.md is current')
    } else {
      const diff = spawnSync('diff', ['-u', readme, copy], {encoding: 'utf8'})
      console.error(diff.stdout || '(no diff tool: compare README.md with `npm run readme` output)')
      console.error('readme: README.md is stale: run `npm run build && npm run readme` and commit the result')
      process.exitCode = 1
    }
  } finally {
    fs.rmSync(dir, {recursive: true, force: true})
  }
} else {
  await generate(readme)
  console.log('readme: README.md regenerated')
}
