/**
 * Property references: digits are an id, anything else a name, compared exactly on every
 * database (see resolver.ts). Names are not unique: (owner, name) is the natural key, so a name
 * that several properties share names none of them unless the owner tells them apart. Commands
 * refuse it as ambiguous (services/properties.ts findProperty), importers reject the row; both
 * say it in the words of `ambiguousName`.
 */
import type {Transaction} from 'sequelize'

import type {ServiceContext} from '../context.js'
import {idOf, selectIn, type RefCache} from './resolver.js'
import {isUser} from './users.js'

export interface PropertyRef {
  id: number
  name: string
  ownerId: number
  ownerUsername: string
  ownerEmail: string
}

export interface PropertyQuery {
  /** An id or a name (names are compared exactly, on every database). */
  property: string
  /** The owner (id, username or email), to tell apart a name that several hosts use. */
  owner?: string
}

/**
 * A resolved property, or why it could not be: unknown, not the owner's, or a name several
 * properties share (`ambiguous`: those properties, by id).
 */
export type PropertyResolution =
  | {property: PropertyRef; error?: undefined; ambiguous?: undefined}
  | {property?: undefined; error: string; ambiguous?: PropertyRef[]}

const PROPERTY_SELECT =
  'SELECT p.id AS id, p.name AS name, p.owner_id AS ownerId, u.username AS ownerUsername, u.email AS ownerEmail' +
  ' FROM properties p JOIN users u ON u.id = p.owner_id WHERE'

function propertyRef(row: PropertyRef): PropertyRef {
  return {id: Number(row.id), name: row.name, ownerId: Number(row.ownerId), ownerUsername: row.ownerUsername, ownerEmail: row.ownerEmail}
}

const owns = (owner: string, p: PropertyRef) => isUser(owner, {id: p.ownerId, username: p.ownerUsername, email: p.ownerEmail})

/** A name several hosts' properties share, said the one way commands and importers say it. */
export function ambiguousName(name: string, candidates: PropertyRef[]): string {
  const hosts = [...new Set(candidates.map((c) => c.ownerUsername))]
  return `property name "${name}" is ambiguous: hosts ${hosts.join(', ')} each have one`
}

/**
 * The property of `name` among the properties that have it (`candidates`, by id), narrowed to
 * `owner`'s when given: one, or why not.
 */
export function pickByName(name: string, candidates: PropertyRef[], owner?: string): PropertyResolution {
  const mine = owner ? candidates.filter((c) => owns(owner, c)) : candidates
  if (mine.length === 1) return {property: mine[0]}
  if (mine.length === 0) return {error: owner ? `unknown property "${name}" of owner "${owner}"` : `unknown property "${name}"`}
  if (owner) return {error: `${mine[0].ownerUsername} has ${mine.length} properties named "${name}"; refer to one by id`, ambiguous: mine}
  return {error: `${ambiguousName(name, mine)}; add propertyOwner to say whose`, ambiguous: mine}
}

/** Resolves property references by id or name (+ owner): one query per kind of key. */
export async function resolveProperties(
  ctx: ServiceContext,
  transaction: Transaction | undefined,
  queries: Iterable<PropertyQuery | undefined>,
  cache?: RefCache,
): Promise<(query: PropertyQuery) => PropertyResolution> {
  const byId = new Map<number, PropertyRef>()
  const byName = new Map<string, PropertyRef[]>()
  const ids = new Set<number>()
  const names = new Set<string>()
  for (const query of queries) {
    if (!query) continue
    const text = query.property.trim()
    const id = idOf(text)
    if (id !== undefined) {
      const cached = byId.get(id) ?? cache?.get<PropertyRef>(`property:id:${id}`)
      if (cached) byId.set(id, cached)
      else ids.add(id)
    } else {
      const cached = byName.get(text) ?? cache?.get<PropertyRef[]>(`property:name:${text}`)
      if (cached) byName.set(text, cached)
      else names.add(text)
    }
  }
  for (const row of await selectIn<PropertyRef>(ctx, transaction, `${PROPERTY_SELECT} p.id IN (:values)`, [...ids])) {
    const ref = propertyRef(row)
    byId.set(ref.id, ref)
    cache?.set(`property:id:${ref.id}`, ref)
  }
  const named = new Map<string, PropertyRef[]>()
  for (const row of await selectIn<PropertyRef>(ctx, transaction, `${PROPERTY_SELECT} p.name IN (:values)`, [...names])) {
    // MariaDB compares names without case (or accents); keep exact matches, as SQLite does.
    if (!names.has(row.name)) continue
    named.set(row.name, [...(named.get(row.name) ?? []), propertyRef(row)])
  }
  for (const [name, list] of named) {
    list.sort((a, b) => a.id - b.id)
    byName.set(name, list)
    cache?.set(`property:name:${name}`, list)
  }

  return ({property, owner}) => {
    const text = property.trim()
    const id = idOf(text)
    if (id === undefined) return pickByName(text, byName.get(text) ?? [], owner)
    const ref = byId.get(id)
    if (!ref) return {error: `unknown property "${text}"`}
    if (owner && !owns(owner, ref)) return {error: `property ${ref.id} belongs to ${ref.ownerUsername}, not "${owner}"`}
    return {property: ref}
  }
}

/** One property reference (see resolveProperties). */
export async function resolveProperty(ctx: ServiceContext, transaction: Transaction | undefined, query: PropertyQuery): Promise<PropertyResolution> {
  return (await resolveProperties(ctx, transaction, [query]))(query)
}
