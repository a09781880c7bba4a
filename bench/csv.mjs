#!/usr/bin/env node
/**
 * CSV reading benchmark: our CsvReader (src/services/formats/csv-reader.ts) against csv-parse,
 * the library we would otherwise use. Build first, then run:
 *
 *   npm run build && node bench/csv.mjs [--rows 500000] [--rounds 3] [--csv-parse-way readable]
 *
 * The file (bench/out/csv-<rows>.csv, written once per run) is shaped like a users import:
 * username,email,firstName,lastName,password,isActive,isAdmin,createdAt, one line a row, with a
 * quoted field holding a comma in every 7th row, doubled quotes in every 11th and a line break
 * in every 97th. Each way reads it from a file stream in 256 KiB chunks (as an import does) and
 * does the same work with every record: counts it and adds up the lengths of its fields; the
 * counts and sums of all ways and rounds must be equal, else the bench fails (exit 1).
 *
 * ours       new CsvReader(), push(chunk, out) for each chunk of the stream, end(out): as
 *            src/services/formats/records.ts feeds it.
 * csv-parse  its streaming API, `fs.createReadStream(file).pipe(parse())`, with its fastest
 *            settings: arrays of fields (no `columns`), no cast, no info, no raw; records taken
 *            with read() in a 'readable' handler, as its README does (--csv-parse-way data: a
 *            'data' handler instead). Naming the delimiters, Buffers instead of strings
 *            (`encoding: null`) and other stream buffer sizes were tried: none was faster
 *            beyond the noise (csv-parse 6.2.1, node 20).
 *
 * Every read runs in a child process of its own (same node, same flags), so that one way's
 * garbage and JIT state do not weigh on the other and each has its own peak RSS (the child's
 * maxRSS). Rounds are interleaved (ours, csv-parse, then csv-parse, ours, …): a slow moment
 * of the machine touches both. Printed per round and as the median: rows/s of each way, the ratio
 * ours / csv-parse, and the peak RSS; plus the load average, since the machine may be shared.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'bench', 'out')
const CHUNK = 256 * 1024

const {values: options} = parseArgs({
  options: {
    rows: {type: 'string', default: '500000'},
    rounds: {type: 'string', default: '3'},
    'csv-parse-way': {type: 'string', default: 'readable'},
    // Internal: run one read in this process and print its result as JSON.
    child: {type: 'string'},
    file: {type: 'string'},
  },
})

/** One record's worth of the work both ways do. */
function tally(result, fields) {
  result.records += 1
  for (let i = 0; i < fields.length; i++) result.chars += fields[i].length
}

async function readOurs(file) {
  const {CsvReader} = await import(path.join(root, 'dist', 'src', 'services', 'formats', 'csv-reader.js'))
  const result = {records: 0, chars: 0, broken: 0}
  const started = performance.now()
  const reader = new CsvReader()
  const parsed = []
  const take = () => {
    for (const record of parsed) {
      if (record.broken) result.broken += 1
      tally(result, record.fields)
    }
    parsed.length = 0
  }
  for await (const chunk of fs.createReadStream(file, {highWaterMark: CHUNK})) {
    reader.push(chunk, parsed)
    take()
  }
  reader.end(parsed)
  take()
  return {...result, seconds: (performance.now() - started) / 1000}
}

async function readCsvParse(file, way) {
  const {parse} = await import('csv-parse')
  const result = {records: 0, chars: 0, broken: 0}
  const started = performance.now()
  const parser = fs.createReadStream(file, {highWaterMark: CHUNK}).pipe(parse())
  await new Promise((resolve, reject) => {
    if (way === 'data') parser.on('data', (record) => tally(result, record))
    else {
      parser.on('readable', () => {
        let record
        while ((record = parser.read()) !== null) tally(result, record)
      })
    }
    parser.on('error', reject)
    parser.on('end', resolve)
  })
  return {...result, seconds: (performance.now() - started) / 1000}
}

if (options.child) {
  const result = options.child === 'ours' ? await readOurs(options.file) : await readCsvParse(options.file, options['csv-parse-way'])
  console.log(JSON.stringify({...result, rssMb: process.resourceUsage().maxRSS / 1024}))
  process.exit(0)
}

// ---------------------------------------------------------------------------------------

const ROWS = Number(options.rows)
const ROUNDS = Number(options.rounds)
if (!Number.isInteger(ROWS) || ROWS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('bench/csv: --rows and --rounds take positive whole numbers')
  process.exit(2)
}
if (!['readable', 'data'].includes(options['csv-parse-way'])) {
  console.error('bench/csv: --csv-parse-way is readable or data')
  process.exit(2)
}
if (!fs.existsSync(path.join(root, 'dist', 'src', 'services', 'formats', 'csv-reader.js'))) {
  console.error('bench/csv: build first (npm run build)')
  process.exit(2)
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Niklaus']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Wirth']

/** Row i of the users file: plain fields, and now and then a quoted one with a comma, doubled quotes or a line break. */
function row(i) {
  const n = String(i).padStart(7, '0')
  let first = FIRST[i % FIRST.length]
  let last = LAST[(i * 7) % LAST.length]
  if (i % 7 === 0) last = `"${last}, Jr."`
  if (i % 11 === 0) first = `"${first} ""the"" ${first.toLowerCase()}"`
  if (i % 97 === 0) last = `"${LAST[i % LAST.length]}\nof the second line"`
  const created = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().replace('.000Z', 'Z')
  return `user${n},user${n}@example.com,${first},${last},pass-${(i * 2_654_435_761) % 1_000_000_007},${i % 13 !== 0},${i % 500 === 0},${created}`
}

/** The header and rows 1..n, written 10,000 rows at a time. */
function writeFile(file, n) {
  const fd = fs.openSync(file, 'w')
  try {
    fs.writeSync(fd, 'username,email,firstName,lastName,password,isActive,isAdmin,createdAt\n')
    for (let from = 1; from <= n; from += 10_000) {
      const rows = Array.from({length: Math.min(10_000, n - from + 1)}, (_, k) => row(from + k))
      fs.writeSync(fd, rows.join('\n') + '\n')
    }
  } finally {
    fs.closeSync(fd)
  }
}

function runChild(way, file) {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', way, '--file', file, '--csv-parse-way', options['csv-parse-way']], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  })
  if (child.status !== 0) throw new Error(`bench/csv: the ${way} read exited ${child.status}: ${child.stderr}`)
  return JSON.parse(child.stdout)
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ')

fs.mkdirSync(out, {recursive: true})
const file = path.join(out, `csv-${ROWS}.csv`)
writeFile(file, ROWS)
const mb = fs.statSync(file).size / 2 ** 20
console.log(`bench/csv: ${os.cpus().length} cores, node ${process.version}; ${fmt(ROWS)} rows (${mb.toFixed(1)} MB), ${ROUNDS} rounds (load average ${load()})`)
console.log(`  csv-parse: streaming, parse() with its defaults (arrays, no columns/cast/info/raw), records by '${options['csv-parse-way']}'`)

const results = {ours: [], 'csv-parse': []}
const failures = []
let expected
for (let round = 1; round <= ROUNDS; round++) {
  // Each round starts with the way the round before ended with.
  for (const way of round % 2 ? ['ours', 'csv-parse'] : ['csv-parse', 'ours']) {
    const r = runChild(way, file)
    results[way].push(r)
    const work = `${r.records} records, ${r.chars} characters, ${r.broken} broken`
    expected ??= work
    if (work !== expected) failures.push(`${way} in round ${round} read ${work}, not ${expected}`)
  }
  const [ours, theirs] = [results.ours.at(-1), results['csv-parse'].at(-1)]
  console.log(
    `  round ${round}: ours ${fmt(ROWS / ours.seconds).padStart(10)} rows/s (${ours.seconds.toFixed(2)} s, ${ours.rssMb.toFixed(0)} MB)` +
      `   csv-parse ${fmt(ROWS / theirs.seconds).padStart(10)} rows/s (${theirs.seconds.toFixed(2)} s, ${theirs.rssMb.toFixed(0)} MB)` +
      `   ours/csv-parse ${(theirs.seconds / ours.seconds).toFixed(2)}x`,
  )
}
const rate = (way) => median(results[way].map((r) => ROWS / r.seconds))
const ratio = median(results.ours.map((r, i) => results['csv-parse'][i].seconds / r.seconds))
const peak = (way) => Math.max(...results[way].map((r) => r.rssMb)).toFixed(0)
console.log(
  `  median:  ours ${fmt(rate('ours')).padStart(10)} rows/s, peak RSS ${peak('ours')} MB;  csv-parse ${fmt(rate('csv-parse')).padStart(10)} rows/s,` +
    ` peak RSS ${peak('csv-parse')} MB;  ours/csv-parse ${ratio.toFixed(2)}x  (load average ${load()})`,
)
console.log(`  both read: ${expected}`)
if (failures.length > 0) console.log(`\nFAIL: ${failures.join('; ')}`)
process.exitCode = failures.length === 0 ? 0 : 1
