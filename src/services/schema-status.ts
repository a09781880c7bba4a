/**
 * `db status`: which migrations and seeders are applied, pending, interrupted, edited or
 * missing. It reads the files and the meta tables only, so it loads neither umzug nor the
 * schema lock (see schema.ts for the operations that change the schema).
 */
import type {Db} from '../db/index.js'
import type {ReplicaStatus} from '../db/replicas.js'
import {readLeaseState} from '../db/lease.js'
import {metaStorage} from '../db/meta-storage.js'
import {discoverFiles, type RunnerKind} from '../db/migration-files.js'

export interface StatusEntry {
  name: string
  /** interrupted: pending, and partly applied by a runner that died (db migrate finishes it). */
  state: 'applied' | 'pending' | 'interrupted' | 'missing-file'
  appliedAt: string | null
  /** The file changed after it was applied. */
  edited: boolean
}

export interface SeederStatusEntry extends StatusEntry {
  /** What the seeder recorded about its run (size, random seed, rows inserted). */
  details: Record<string, unknown> | null
}

export interface StatusResult {
  database: {url: string; dialect: 'mysql' | 'sqlite'; source: string}
  migrations: StatusEntry[]
  seeders: SeederStatusEntry[]
  pendingMigrations: number
  pendingSeeders: number
  warnings: string[]
  /** The read replicas configured, each with whether reads use it ("in use") or why not; empty without replicas. */
  replicas: ReplicaStatus[]
}

async function statusOf(db: Db, kind: RunnerKind) {
  const files = discoverFiles(kind)
  const rows = await metaStorage(db.sequelize, kind).rows()
  const byName = new Map(rows.map((row) => [row.name, row]))
  const entries: SeederStatusEntry[] = files.map((file) => {
    const row = byName.get(file.name)
    return {
      name: file.name,
      state: row ? ('applied' as const) : ('pending' as const),
      appliedAt: row?.appliedAt?.toISOString() ?? null,
      edited: Boolean(row?.checksum && row.checksum !== file.checksum),
      details: row?.details ?? null,
    }
  })
  const known = new Set(files.map((f) => f.name))
  for (const row of rows) {
    if (!known.has(row.name)) {
      entries.push({
        name: row.name,
        state: 'missing-file' as const,
        appliedAt: row.appliedAt?.toISOString() ?? null,
        edited: false,
        details: row.details,
      })
    }
  }
  return entries
}

/** Applied and pending migrations and seeders, with warnings about edited or missing files and interrupted runs. */
export async function status(db: Db, source: string): Promise<StatusResult> {
  // The schema's state is the primary's; the replicas are only reported.
  db.replicas?.routing.pin()
  const migrations = (await statusOf(db, 'migrations')).map(({details: _details, ...entry}) => entry)
  const seeders = await statusOf(db, 'seeders')
  const warnings: string[] = []
  const lease = await readLeaseState(db.sequelize)
  const step = lease?.step
  if (step) {
    const since = step.startedAt ? ` at ${step.startedAt.toISOString()}` : ''
    const by = step.by ? ` (by ${step.by})` : ''
    const entry = migrations.find((m) => m.name === step.name)
    if (!lease.interrupted) {
      warnings.push(`migration ${step.name} is being ${step.direction === 'up' ? 'applied' : 'reverted'} now by ${lease.holder}`)
    } else if (step.direction === 'up') {
      if (entry?.state === 'pending') entry.state = 'interrupted'
      warnings.push(
        `migration ${step.name} was interrupted${since}${by} and is partly applied; \`stayctl db migrate\` will finish it`,
      )
    } else {
      warnings.push(
        `reverting migration ${step.name} was interrupted${since}${by}, so it may be partly reverted; ` +
          '`stayctl db rollback` will finish reverting it, `stayctl db migrate` will apply it again',
      )
    }
  }
  for (const [what, list] of [
    ['migration', migrations],
    ['seeder', seeders],
  ] as const) {
    for (const entry of list) {
      if (entry.edited) {
        warnings.push(`${what} ${entry.name} was edited after it was applied (its checksum differs)`)
      }
      if (entry.state === 'missing-file') {
        warnings.push(`${what} ${entry.name} is applied but has no file here`)
      }
    }
  }
  return {
    database: {url: db.target.display, dialect: db.dialect, source},
    migrations,
    seeders,
    pendingMigrations: migrations.filter((m) => m.state === 'pending' || m.state === 'interrupted').length,
    pendingSeeders: seeders.filter((s) => s.state === 'pending').length,
    warnings,
    replicas: db.replicas ? await db.replicas.status() : [],
  }
}

/**
 * The migrations of this stayctl that the database has not applied: none when its schema is
 * current for this code (more applied, by a newer stayctl, is fine). What `serve`'s /readyz
 * checks, so that a server never takes traffic on a schema it does not know.
 */
export async function pendingMigrationNames(db: Db, names: string[] = discoverFiles('migrations').map((f) => f.name)): Promise<string[]> {
  const applied = new Set(await metaStorage(db.sequelize, 'migrations', true).executed())
  return names.filter((name) => !applied.has(name))
}
