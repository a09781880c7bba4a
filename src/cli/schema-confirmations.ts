/**
 * What `db rollback` and `db seed --undo` are about to do, in the words of their confirmation
 * prompt (asked on a terminal unless --yes; refused off a terminal without it: prompts.ts).
 */
import type {Db} from '../db/index.js'
import {status} from '../services/schema-status.js'
import {SEED_TABLES} from '../services/seed-rows.js'

export interface RollbackChoice {
  step?: number
  to?: string
  all?: boolean
}

/** The question for a rollback, or undefined when it reverts nothing (or --to names no applied migration: the service says so). */
export async function rollbackQuestion(db: Db, choice: RollbackChoice): Promise<string | undefined> {
  const applied = (await status(db, '')).migrations.filter((m) => m.state !== 'pending').map((m) => m.name)
  let reverting: string[]
  if (choice.all) reverting = applied
  else if (choice.to !== undefined) {
    const at = applied.indexOf(choice.to)
    if (at < 0) return undefined
    reverting = applied.slice(at)
  } else reverting = applied.slice(-(choice.step ?? 1))
  if (reverting.length === 0) return undefined
  const rows = choice.all ? await rowCounts(db) : ''
  const names = reverting.length === 1 ? reverting[0] : `${reverting.at(-1)} … ${reverting[0]}`
  return `Revert ${reverting.length} migration${reverting.length === 1 ? '' : 's'} (${names}) on ${db.target.display}? Tables they made are dropped with their rows${rows}`
}

/** The question for `db seed --undo`, with the rows the seeders recorded; undefined when nothing is seeded. */
export async function undoSeedQuestion(db: Db): Promise<string | undefined> {
  const seeders = (await status(db, '')).seeders.filter((s) => s.state !== 'pending')
  if (seeders.length === 0) return undefined
  const recorded = seeders.map((s) => (s.details?.rows ?? {}) as Record<string, unknown>)
  const counts = SEED_TABLES.map((table) => `${recorded.reduce((sum, rows) => sum + Number(rows[table] ?? 0), 0)} ${table}`)
  return `Delete the demo data the seeders inserted into ${db.target.display} (${counts.join(', ')})?`
}

/** ": 12 users, 30 properties, …" for the tables of the data model that hold rows. */
async function rowCounts(db: Db): Promise<string> {
  const counts: string[] = []
  for (const table of SEED_TABLES) {
    const [rows] = (await db.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`).catch(() => [[{n: 0}]])) as [{n: number | string}[], unknown]
    const n = Number(rows[0]?.n ?? 0)
    if (n > 0) counts.push(`${n} ${table}`)
  }
  return counts.length > 0 ? ` (${counts.join(', ')})` : ''
}
