#!/usr/bin/env node
/**
 * Startup benchmark: the wall time of `stayctl --version`, `--help`, `db status` and
 * `users list` (on a migrated SQLite database with a few users) and `import --help`, each as a
 * ratio to `node -e 0` measured in the same run.
 *
 *   npm run build && node bench/startup.js [--runs 15] [--warmup 3] [--json] [--check]
 *
 * Runs are interleaved (one of each command per round), so a slow moment of the machine
 * touches every command alike; the median of the rounds is reported, with the load average
 * of the machine before and after. HOME and the XDG folders point into a temporary folder, so
 * no real configuration or database is touched. --check exits 1 when a command is not within
 * its bar (issue 14: `--help` ≤ 2.5×, `db status` ≤ 6×; `--version` ≤ 2.5×). The results are
 * also written to bench/out/startup.json.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {isolatedHome} from '../test/support/isolated-env.js'

/** The bars of --check: ratio to `node -e 0`. */
const LIMITS = {'stayctl --version': 2.5, 'stayctl --help': 2.5, 'stayctl db status': 6}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')

const {values: options} = parseArgs({
  options: {
    runs: {type: 'string', default: process.env.BENCH_RUNS ?? '15'},
    warmup: {type: 'string', default: '3'},
    json: {type: 'boolean', default: false},
    check: {type: 'boolean', default: false},
  },
})
const runs = Number(options.runs)
const warmup = Number(options.warmup)
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
  console.error('--runs must be a positive integer and --warmup a non-negative one')
  process.exit(2)
}
if (!fs.existsSync(path.join(root, 'oclif.manifest.json')) || !fs.existsSync(path.join(root, 'dist'))) {
  console.error('bench/startup: no build found; run `npm run build` first')
  process.exit(2)
}

// An isolated home (as the tests use): the default SQLite database lands in its XDG data folder.
const env = isolatedHome({}, 'stayctl-bench-')
const home = env.HOME

const commands = [
  {name: 'node -e 0', args: ['-e', '0']},
  {name: 'stayctl --version', args: [bin, '--version']},
  {name: 'stayctl --help', args: [bin, '--help']},
  {name: 'stayctl db status', args: [bin, 'db', 'status']},
  {name: 'stayctl users list', args: [bin, 'users', 'list']},
  {name: 'stayctl import --help', args: [bin, 'import', '--help']},
]

function runOnce(command, input) {
  const started = performance.now()
  const result = spawnSync(process.execPath, command.args, {env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
  const ms = performance.now() - started
  if (result.status !== 0) {
    throw new Error(`${command.name} exited ${result.status ?? result.signal}:\n${result.stderr}`)
  }
  return ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

try {
  runOnce({name: 'stayctl db migrate', args: [bin, 'db', 'migrate']})
  for (let i = 1; i <= 5; i++) {
    const args = [bin, 'users', 'create', '--username', `bench${i}`, '--email', `bench${i}@example.com`, '--password-stdin']
    runOnce({name: 'stayctl users create', args}, 'bench-password\n')
  }
  const loadBefore = os.loadavg()
  for (let i = 0; i < warmup; i++) for (const command of commands) runOnce(command)
  const samples = new Map(commands.map((command) => [command.name, []]))
  for (let i = 0; i < runs; i++) for (const command of commands) samples.get(command.name).push(runOnce(command))

  const anchor = median(samples.get('node -e 0'))
  const results = commands.map((command) => {
    const values = samples.get(command.name)
    const med = median(values)
    return {
      command: command.name,
      medianMs: Number(med.toFixed(1)),
      minMs: Number(Math.min(...values).toFixed(1)),
      maxMs: Number(Math.max(...values).toFixed(1)),
      ratio: Number((med / anchor).toFixed(2)),
    }
  })
  const loadAfter = os.loadavg()
  const checks = Object.entries(LIMITS).map(([command, limit]) => {
    const {ratio} = results.find((r) => r.command === command)
    return {command, ratio, limit, within: ratio <= limit}
  })
  const report = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    loadAverage: {before: loadBefore.map((l) => Number(l.toFixed(2))), after: loadAfter.map((l) => Number(l.toFixed(2)))},
    runs,
    warmup,
    results,
    checks,
    withinLimits: checks.every((c) => c.within),
  }
  fs.mkdirSync(path.join(root, 'bench', 'out'), {recursive: true})
  fs.writeFileSync(path.join(root, 'bench', 'out', 'startup.json'), JSON.stringify(report, null, 2) + '\n')

  if (options.json) {
    console.log(JSON.stringify(report, null, 2))
  } else {
    const load = (l) => l.map((x) => x.toFixed(2)).join(' ')
    console.log(`startup: median of ${runs} runs after ${warmup} warm-up, node ${process.version}, ${report.cpus} cpus`)
    console.log(`load average before ${load(loadBefore)}, after ${load(loadAfter)}`)
    console.log('')
    const width = Math.max(...results.map((r) => r.command.length))
    console.log(`${'command'.padEnd(width)}  ${'median'.padStart(9)}  ${'min'.padStart(9)}  ${'max'.padStart(9)}  ${'× node'.padStart(7)}`)
    for (const r of results) {
      const ms = (value) => `${value.toFixed(1)} ms`.padStart(9)
      console.log(`${r.command.padEnd(width)}  ${ms(r.medianMs)}  ${ms(r.minMs)}  ${ms(r.maxMs)}  ${`${r.ratio.toFixed(2)}×`.padStart(7)}`)
    }
    console.log('')
    for (const c of checks) {
      console.log(`${c.command.replace(/^stayctl /, '')} is ${c.ratio.toFixed(2)}× node -e 0: ${c.within ? 'within' : 'NOT within'} ${c.limit}×`)
    }
  }
  if (options.check && !report.withinLimits) process.exitCode = 1
} finally {
  fs.rmSync(home, {recursive: true, force: true})
}
