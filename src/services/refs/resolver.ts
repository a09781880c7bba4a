/**
 * References: how a row is named, resolved one way for 1 row (a command, a GraphQL field,
 * services/find.ts) and for N rows (an import batch). A reference is digits (the row's id) or
 * text (its text key):
 *
 *   users       id, username, or email (text with @)                  refs/users.ts
 *   properties  id or name, + the owner to tell apart a shared name   refs/properties.ts
 *   bookings    id or external reference (or, in imports, the stay)   refs/bookings.ts
 *   payments    id or transaction id                                  refs/payments.ts
 *
 * The case rule, the same on every database: usernames and emails are compared without regard
 * to case (they are unique so: rules/users.ts); every other text key (property names, external
 * references, transaction ids) is compared exactly. MariaDB's collation (utf8mb4_unicode_ci)
 * also finds "harbour loft" for "Harbour Loft" (and "Cafe" for "Café"): the resolvers keep the
 * rows whose key is the one asked, as SQLite finds them.
 *
 * A resolver runs one `IN (...)` query per kind of key, never one per reference, and returns
 * a lookup; a bounded cache carries what earlier batches of the same import run found. Only
 * rows of other entities are cached (the run does not write them), so a retried batch never
 * sees an id that its rolled-back first attempt inserted. A single-row service resolves 1 key
 * (`resolveOne`) and turns "none" (or "ambiguous") into its error.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import type {ServiceContext} from '../context.js'

/** Keys IN (...) lists are cut into, to stay well inside statement size limits. */
const IN_CHUNK = 5000

/**
 * Resolved references of one import run, bounded: two generations of at most max/2 entries.
 * A hit in the old generation moves the entry to the young one; when the young one is full it
 * becomes the old one (the old one is dropped). As good as least-recently-used for a run's
 * access pattern, at the cost of one Map lookup per hit (an LRU Map re-inserts every hit).
 */
export class RefCache {
  private young = new Map<string, unknown>()
  private old = new Map<string, unknown>()

  constructor(readonly max = 50_000) {}

  get<T>(key: string): T | undefined {
    const value = this.young.get(key)
    if (value !== undefined) return value as T
    const aged = this.old.get(key)
    if (aged !== undefined) {
      this.old.delete(key)
      this.set(key, aged)
    }
    return aged as T | undefined
  }

  set(key: string, value: unknown): void {
    if (this.young.size >= this.max / 2 && !this.young.has(key)) {
      this.old = this.young
      this.young = new Map()
    }
    this.young.set(key, value)
  }
}

/** The id a reference names (digits, spaces around them aside), or undefined for a text key. */
export function idOf(ref: string): number | undefined {
  const text = ref.trim()
  return /^\d+$/.test(text) ? Number(text) : undefined
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK))
  return out
}

/** Rows of `sql` (which has `IN (:values)`) for all of `values`, a chunk at a time. */
export async function selectIn<R extends object>(
  ctx: ServiceContext,
  transaction: Transaction | undefined,
  sql: string,
  values: (string | number)[],
): Promise<R[]> {
  const rows: R[] = []
  for (const part of chunks(values)) {
    rows.push(...(await ctx.db.sequelize.query<R>(sql, {replacements: {values: part}, transaction, type: QueryTypes.SELECT})))
  }
  return rows
}

export type Lookup<T> = (ref: string) => T | undefined

/**
 * Resolves the references of a batch (undefined ones are skipped) into a lookup, reading only
 * what `cache` lacks. Outside a transaction (`undefined`) for a read that is not part of a write.
 */
export type Resolver<T> = (
  ctx: ServiceContext,
  transaction: Transaction | undefined,
  refs: Iterable<string | undefined>,
  cache?: RefCache,
) => Promise<Lookup<T>>

/** One reference through an N-key resolver: what a single-row service asks. */
export async function resolveOne<T>(resolver: Resolver<T>, ctx: ServiceContext, transaction: Transaction | undefined, ref: string | number): Promise<T | undefined> {
  const text = String(ref)
  return (await resolver(ctx, transaction, [text]))(text)
}

/**
 * The keys (`kind:value`) of `refs` still to read: those found already, or in the cache (then
 * taken into `found`), are left out. Returns the values wanted of each kind.
 */
export function missingKeys<T>(
  refs: Iterable<string | undefined>,
  keyOf: (ref: string) => string,
  found: Map<string, T>,
  cache: RefCache | undefined,
  prefix: string,
): (kind: string) => Set<string> {
  const wanted = new Map<string, Set<string>>()
  for (const ref of refs) {
    if (ref === undefined) continue
    const key = keyOf(ref)
    if (found.has(key)) continue
    const cached = cache?.get<T>(`${prefix}:${key}`)
    if (cached) {
      found.set(key, cached)
      continue
    }
    const colon = key.indexOf(':')
    const kind = key.slice(0, colon)
    wanted.set(kind, (wanted.get(kind) ?? new Set()).add(key.slice(colon + 1)))
  }
  return (kind) => wanted.get(kind) ?? new Set()
}

/** A table whose rows are named by id or by one unique text key, compared exactly. */
export interface KeyedTable<T extends {id: number}> {
  /** The cache's prefix: the entity. */
  prefix: string
  /** `SELECT … FROM table WHERE` (the columns as `T` names them). */
  select: string
  /** The text key's column. */
  column: string
  /** The text key of a row (null: it has none). */
  keyOf: (row: T) => string | null
  /** A row as either driver returns it, typed. */
  typed: (row: T) => T
}

/** The resolver of a KeyedTable: digits are an id, anything else the text key (exactly, see the header). */
export function keyedResolver<T extends {id: number}>(table: KeyedTable<T>): Resolver<T> {
  return async (ctx, transaction, refs, cache) => {
    const found = new Map<string, T>()
    const keyOf = (ref: string) => {
      const id = idOf(ref)
      return id === undefined ? `key:${ref.trim()}` : `id:${id}`
    }
    const wanted = missingKeys(refs, keyOf, found, cache, table.prefix)
    const rows = [
      ...(await selectIn<T>(ctx, transaction, `${table.select} id IN (:values)`, [...wanted('id')].map(Number))),
      ...(await selectIn<T>(ctx, transaction, `${table.select} ${table.column} IN (:values)`, [...wanted('key')])),
    ]
    for (const row of rows) {
      const typed = table.typed(row)
      const text = table.keyOf(typed)
      // Keyed by the row's own text: a row MariaDB's collation matched in another case or accent is not found.
      for (const key of [`id:${typed.id}`, ...(text === null ? [] : [`key:${text}`])]) {
        found.set(key, typed)
        cache?.set(`${table.prefix}:${key}`, typed)
      }
    }
    return (ref) => found.get(keyOf(ref))
  }
}
