/**
 * The rules of listings, as one kernel for `properties create/update` and `import properties`:
 *   - naming: a name (at most 200 characters), an address (300) and a description (10,000),
 *     trimmed; a nightly price above 0 that its column holds; a known cancellation policy;
 *   - ownership: an inactive host cannot list a property;
 *   - the natural key (owner, name), by which an import finds the property a row is: a row
 *     naming one that exists is a duplicate, or (option `upsert`) updates it. Single-row
 *     operations name properties by id, so `properties create` does not use it.
 *
 * PropertyNames (pure) holds the properties of the (owner, name) keys that loadPropertyNames
 * reads. Nothing is locked: properties have no unique key on (owner, name), so two imports
 * of the same new property at once may both insert it (as two `properties create` may).
 */
import {QueryTypes, type Transaction} from 'sequelize'

import {ValidationError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {MAX_PRICE_CENTS, formatCents, parseAmount} from '../money.js'

/** Trims a text field; `undefined` stays undefined (not given), '' becomes null. */
export function checkText(value: string | undefined | null, field: string, max: number, required: boolean): string | null | undefined {
  if (value === undefined) return undefined
  const trimmed = (value ?? '').trim()
  if (required && trimmed === '') throw new ValidationError(`${field} must not be empty`, {details: {field}})
  if (trimmed.length > max) throw new ValidationError(`${field} is longer than ${max} characters`, {details: {field}})
  return trimmed === '' ? null : trimmed
}

/** A property's name: required, at most 200 characters (undefined: not given). */
export const checkPropertyName = (value: string | undefined): string | undefined => checkText(value, 'name', 200, true) ?? undefined
/** A property's address: required, at most 300 characters (undefined: not given). */
export const checkAddress = (value: string | undefined): string | undefined => checkText(value, 'address', 300, true) ?? undefined
/** A property's description: at most 10,000 characters; blank is none (undefined: not given). */
export const checkDescription = (value: string | null | undefined): string | null | undefined => checkText(value, 'description', 10_000, false)

/** A nightly price in cents: a positive amount with at most two decimals, within what its column holds. */
export function checkPricePerNight(value: string | number): number {
  const cents = parseAmount(value, 'price per night')
  if (cents <= 0) throw new ValidationError('price per night must be above 0', {details: {field: 'pricePerNight'}})
  if (cents > MAX_PRICE_CENTS) {
    throw new ValidationError(`price per night must be at most ${formatCents(MAX_PRICE_CENTS)}; got ${formatCents(cents)}`, {details: {field: 'pricePerNight'}})
  }
  return cents
}

/** A host as the ownership rule reads it. */
export interface Host {
  id: number
  username: string
  isActive: boolean
}

/** Why `owner` cannot hold a property listed (`listed`) or not: an inactive host cannot list one. */
export function ownerRefusal(owner: Host, listed: boolean): string | undefined {
  return !owner.isActive && listed ? `user ${owner.id} (${owner.username}) is inactive and cannot list a property` : undefined
}

/** What the natural key makes of a row: a refusal of its name, the property it updates, or (neither) a new property. */
export interface NameOutcome {
  refusal?: string
  update?: number
}

/** The properties of (owner, name) keys, as read, and the rows of a batch that claimed a key. */
export class PropertyNames {
  private readonly existing = new Map<string, number[]>()
  private readonly claimed = new Map<string, number>()

  /** `properties`: id, owner and exact name (names are compared exactly, on every database). */
  constructor(properties: {id: number; ownerId: number; name: string}[] = []) {
    for (const p of [...properties].sort((a, b) => a.id - b.id)) {
      const key = nameKey(p.ownerId, p.name)
      this.existing.set(key, [...(this.existing.get(key) ?? []), p.id])
    }
  }

  /**
   * The row on `line` naming property `name` of `owner`: refused when an earlier row named it,
   * when several properties have that key, or when one has it and `options.upsert` is off
   * (then it is updated). A row taken claims its key.
   */
  admit(owner: {id: number; username: string}, name: string, line: number, options: {upsert: boolean}): NameOutcome {
    const key = nameKey(owner.id, name)
    const earlier = this.claimed.get(key)
    if (earlier !== undefined) return {refusal: `property "${name}" of ${owner.username} repeats line ${earlier}`}
    const matches = this.existing.get(key) ?? []
    if (matches.length > 1) {
      return {refusal: `${owner.username} has ${matches.length} properties named "${name}" (${matches.join(', ')}); rename one first`}
    }
    if (matches.length === 1 && !options.upsert) {
      return {refusal: `${owner.username} already has a property named "${name}" (property ${matches[0]}); use --upsert to update it`}
    }
    this.claimed.set(key, line)
    return matches.length === 1 ? {update: matches[0]} : {}
  }

  /** The ids of the properties of `ownerId` named `name`, as loaded. */
  idsOf(ownerId: number, name: string): number[] {
    return this.existing.get(nameKey(ownerId, name)) ?? []
  }
}

const nameKey = (ownerId: number, name: string) => `${ownerId}\0${name}`

/** The loader: the properties of the owners and names given (exact names), as PropertyNames. */
export async function loadPropertyNames(ctx: ServiceContext, transaction: Transaction, ownerIds: number[], names: string[]): Promise<PropertyNames> {
  if (ownerIds.length === 0) return new PropertyNames()
  const wanted = new Set(names)
  const rows = await ctx.db.sequelize.query<{id: number; ownerId: number; name: string}>(
    'SELECT id, owner_id AS ownerId, name FROM properties WHERE owner_id IN (:ownerIds) AND name IN (:names) ORDER BY id',
    {replacements: {ownerIds: [...new Set(ownerIds)], names: [...wanted]}, transaction, type: QueryTypes.SELECT},
  )
  // MySQL compares names without case; keep exact matches, as SQLite does.
  return new PropertyNames(rows.filter((r) => wanted.has(r.name)).map((r) => ({id: Number(r.id), ownerId: Number(r.ownerId), name: r.name})))
}
