/**
 * Keyset pagination for every list: rows ordered by a sort column with the id as tie-break,
 * and an opaque cursor holding the last row's (value, id). Each page is one indexed range
 * scan, however deep, so lists stay fast on a million rows (no OFFSET).
 */
import {DataTypes, Op, literal, type FindOptions, type Model, type ModelStatic, type WhereOptions} from 'sequelize'

import {findRows, normalise, readsDirectly, type RowOf} from '../db/select.js'
import {ValidationError} from '../errors.js'
import type {ServiceContext} from './context.js'
import {parseDate} from './dates.js'

/**
 * The keys of the views a caller will read (undefined: all of them). Only the columns those
 * keys come from are selected, with the id (and the sort column of a page, the parent's key
 * in childrenOf): the other keys of the views are then undefined or whatever the view makes
 * of a missing attribute (false, 0, NaN), and the caller promised not to read them.
 */
export type ViewKeys = readonly string[] | undefined

/** View keys computed from other attributes than their own; every other key is the attribute of its name. */
const VIEW_SOURCES: Partial<Record<string, Record<string, string[]>>> = {
  Booking: {nights: ['startDate', 'endDate']},
  Block: {nights: ['startDate', 'endDate']},
}

/** The attributes to select for `keys` of the view of `model` (plus `always`), or undefined for all. */
export function attributesFor(model: ModelStatic<Model>, keys: ViewKeys, always: string[] = []): Set<string> | undefined {
  if (keys === undefined) return undefined
  const known = model.getAttributes()
  const sources = VIEW_SOURCES[model.name] ?? {}
  const attributes = new Set(['id', ...always])
  for (const key of keys) {
    const from = sources[key] ?? (key in known ? [key] : undefined)
    // A key that is no attribute (nor made of some): select everything rather than guess.
    if (!from) return undefined
    for (const attribute of from) attributes.add(attribute)
  }
  return attributes
}

export interface PageInput {
  /** A sortable field, '-field' for descending. */
  sort?: string
  limit?: number
  /** The `nextCursor` of the previous page. */
  cursor?: string
  /** The keys of the views the caller reads (see ViewKeys); all when left out. */
  keys?: ViewKeys
}

/**
 * A list operation's rule, shared by the service's list and the GraphQL compiler
 * (src/graphql/sql): what the actor may see, as SQL over the table's own columns (undefined:
 * every row; it throws when the actor may not list at all), and the columns it sorts by
 * besides id.
 */
export interface ListRule {
  scope(ctx: ServiceContext): string | undefined
  sortable: string[]
}

/** A list's filter: a where, or a falsy value for one not asked for (see allOf). */
export type ListFilter = WhereOptions | false | undefined | null | ''

/**
 * One page of a list operation: the rows of `model` that `rule` lets the actor see and that meet
 * every filter, sorted as the rule allows, each through `view`. The rule is asked first, so an
 * actor who may not list learns nothing from the filters (a property or user named in them).
 */
export async function listPage<M extends Model, T>(
  ctx: ServiceContext,
  rule: ListRule,
  list: {model: ModelStatic<M>; view: (row: RowOf<M>) => T; input: PageInput},
  filters: () => Promise<ListFilter[]> | ListFilter[],
): Promise<Page<T>> {
  const sql = rule.scope(ctx)
  const where = allOf(sql === undefined ? undefined : literal(sql), ...(await filters()))
  return page(list.model, where, list.input, rule.sortable, list.view)
}

export interface Page<T> {
  items: T[]
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
}

/** A list filter of the rows whose stay (startDate → endDate, check-out exclusive) overlaps [from, to). */
export interface OverlapFilter {
  from?: string
  to?: string
}

/** The condition of an OverlapFilter (undefined when it sets neither end). */
export function overlapping(input: OverlapFilter): WhereOptions | undefined {
  return allOf(input.from && {endDate: {[Op.gt]: parseDate(input.from, 'from')}}, input.to && {startDate: {[Op.lt]: parseDate(input.to, 'to')}})
}

/** A list's where: the conditions given (false, '', undefined and null ones are left out), all to hold. */
export function allOf(...conditions: ListFilter[]): WhereOptions {
  return {[Op.and]: conditions.filter((condition): condition is WhereOptions => Boolean(condition))}
}

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 1000

/** The opaque cursor of a row: its (sort value, id) under `sort`. */
export function encodeCursor(sort: string, value: unknown, id: number): string {
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url')
}

/**
 * The last row's (value, id) held by a cursor. A cursor names the sort it was made for, so
 * one from another sort or direction, or a tampered one, is refused instead of paging wrong.
 */
export function decodeCursor(cursor: string, sort: string, isDate: boolean): [string | number | null, number] {
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    decoded = undefined
  }
  if (Array.isArray(decoded) && decoded.length === 3 && decoded[0] === sort && Number.isInteger(decoded[2])) {
    const value: unknown = decoded[1]
    const valid =
      sort.replace(/^-/, '') === 'id'
        ? value === null
        : (typeof value === 'string' || typeof value === 'number') && !(isDate && Number.isNaN(new Date(value).getTime()))
    if (valid) return [value as string | number | null, decoded[2] as number]
  }
  throw new ValidationError(`cursor "${cursor}" is not one this command gave out for sort "${sort}"`, {
    suggestion: 'pass the nextCursor of the previous page with the same --sort, or start again without --cursor',
    details: {field: 'cursor'},
  })
}

export function parseSort(sort: string | undefined, allowed: string[]): {field: string; desc: boolean} {
  const raw = sort ?? 'id'
  const desc = raw.startsWith('-')
  const field = raw.replace(/^[-+]/, '')
  if (!allowed.includes(field) && field !== 'id') {
    throw new ValidationError(`cannot sort by "${field}"; sort by one of: ${['id', ...allowed].join(', ')} (prefix - for descending)`, {
      details: {field: 'sort'},
    })
  }
  return {field, desc}
}

export function parseLimit(limit: number | undefined): number {
  const value = limit ?? DEFAULT_LIMIT
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new ValidationError(`limit must be from 1 to ${MAX_LIMIT}, got ${limit}`, {details: {field: 'limit'}})
  }
  return value
}

/**
 * One page of `model` rows matching `where`, mapped through `view`. `sortable` lists the
 * attributes besides id that may be sorted on (each should be indexed, with id, for speed).
 */
export async function page<M extends Model, T>(
  model: ModelStatic<M>,
  where: WhereOptions,
  input: PageInput,
  sortable: string[],
  view: (row: RowOf<M>) => T,
  options: Omit<FindOptions, 'where' | 'order' | 'limit'> = {},
): Promise<Page<T>> {
  const {field, desc} = parseSort(input.sort, sortable)
  const limit = parseLimit(input.limit)
  const cmp = desc ? Op.lt : Op.gt
  const sortKey = `${desc ? '-' : ''}${field}`
  const conditions: WhereOptions[] = [where]
  if (input.cursor) {
    const isDate = model.getAttributes()[field]?.type instanceof DataTypes.DATE
    const [rawValue, lastId] = decodeCursor(input.cursor, sortKey, isDate)
    if (field === 'id') {
      conditions.push({id: {[cmp]: lastId}})
    } else {
      const value = isDate && rawValue !== null ? new Date(rawValue) : rawValue
      conditions.push({[Op.or]: [{[field]: {[cmp]: value}}, {[field]: value, id: {[cmp]: lastId}}]})
    }
  }
  const direction = desc ? 'DESC' : 'ASC'
  // Plain rows, not model instances: a page of a thousand costs a fraction of building a
  // thousand instances. Both ways give the one row shape of src/db/select.ts.
  const find: FindOptions = {
    ...options,
    where: {[Op.and]: conditions},
    order: field === 'id' ? [['id', direction]] : [[field, direction], ['id', direction]],
    limit: limit + 1,
    raw: true,
    // Included rows (a token's user) as nested objects, as the views read them, not as "user.username" keys.
    nest: true,
  }
  const rows = readsDirectly(model as ModelStatic<Model>, find)
    ? await findRows<RowOf<M>>(model as ModelStatic<Model>, find, attributesFor(model as ModelStatic<Model>, input.keys, [field]))
    : normalise<RowOf<M>>(model as ModelStatic<Model>, (await model.findAll(find)) as unknown as Record<string, unknown>[])
  const more = rows.length > limit
  const items = rows.slice(0, limit)
  const last = items.at(-1) as unknown as Record<string, unknown> | undefined
  let nextCursor: string | null = null
  if (more && last) {
    const value = field === 'id' ? null : last[field]
    // Date-times are ISO-8601 text in every row (src/db/select.ts), as the cursor holds them.
    nextCursor = encodeCursor(sortKey, value, Number(last.id))
  }
  return {items: items.map(view), nextCursor}
}
