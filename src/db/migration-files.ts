/**
 * The migration and seeder files: where they are, their names and their checksums. Apart from
 * the runners (migrator.ts, which loads umzug), so that `db status` reads them without umzug.
 */
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {sha256Hex} from '../digest.js'

export type RunnerKind = 'migrations' | 'seeders'

export interface MigrationFile {
  name: string
  /** The file that is executed (compiled .js, or .ts when running from sources). */
  runPath: string
  /** sha256 of the TypeScript source (line endings normalised), else of the run file. */
  checksum: string
}

const here = path.dirname(fileURLToPath(import.meta.url))
/** Built (dist/, bundled: this code then lives in a chunk of dist/chunks) or run from the sources (tsx). */
const compiled = import.meta.url.endsWith('.js')

let root: string | undefined
/** The package root: the nearest folder above this code whose package.json is stayctl's. */
export function packageRoot(): string {
  if (root) return root
  for (let dir = here; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as {name?: string}).name === 'stayctl') return (root = dir)
    if (path.dirname(dir) === dir) throw new Error(`stayctl's package.json is not above ${here}`)
  }
}

/** Where the files that run are: dist/<kind> when built, <kind> itself from the sources. */
export function runDir(kind: RunnerKind): string {
  return compiled ? path.join(packageRoot(), 'dist', kind) : sourceDir(kind)
}

export function sourceDir(kind: RunnerKind): string {
  return path.join(packageRoot(), kind)
}

function checksumOf(file: string): string {
  const text = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n')
  return sha256Hex(text)
}

const RUNNABLE = /^(\d{4}\.\d{2}\.\d{2}T\d{2}\.\d{2}\.\d{2}\.[\w-]+)\.(js|ts)$/

/** The migration (or seeder) files, sorted by their timestamped names. */
export function discoverFiles(kind: RunnerKind): MigrationFile[] {
  const dir = runDir(kind)
  if (!fs.existsSync(dir)) return []
  const files: MigrationFile[] = []
  for (const entry of fs.readdirSync(dir).sort()) {
    const match = RUNNABLE.exec(entry)
    if (!match || entry.endsWith('.d.ts')) continue
    const name = match[1]
    const runPath = path.join(dir, entry)
    const source = path.join(sourceDir(kind), `${name}.ts`)
    files.push({name, runPath, checksum: checksumOf(fs.existsSync(source) ? source : runPath)})
  }
  return files
}
