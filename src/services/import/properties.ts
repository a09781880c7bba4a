/**
 * Importing properties: the checks of `properties create` (name, address, description,
 * price above 0, a known cancellation policy; an inactive host cannot list a property), the
 * owner given by id, username or email. A property's natural key is (owner, name): a row
 * whose owner already has a property of that name is a duplicate, or updates it with --upsert.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import {bulkInsert, type Cell} from '../../db/bulk.js'
import {formatCents} from '../money.js'
import {checkPolicy} from '../policies.js'
import {checkPricePerNight, checkText} from '../properties.js'
import type {CancellationPolicy} from '../../domain.js'
import type {ServiceContext} from '../context.js'
import {check, flag, required, text} from './fields.js'
import {resolveUsers} from './refs.js'
import {RowError, type BatchOutcome, type EntityImporter} from './types.js'
import {parseTimestamp} from './users.js'

export interface PropertyRecord {
  owner: string
  name: string
  description: string | null
  address: string
  priceCents: number
  cancellationPolicy: CancellationPolicy
  isListed: boolean
  createdAt: Date
}

const columns = ['owner_id', 'name', 'description', 'address', 'price_per_night', 'cancellation_policy', 'is_listed', 'created_at', 'updated_at']

export const propertiesImporter: EntityImporter<PropertyRecord> = {
  entity: 'properties',
  fields: [
    {name: 'owner', aliases: ['host', 'ownerUsername', 'ownerEmail']},
    {name: 'ownerId', aliases: ['hostId']},
    {name: 'name', aliases: ['title'], required: true},
    {name: 'description'},
    {name: 'address', required: true},
    {name: 'pricePerNight', aliases: ['price', 'nightlyPrice'], required: true},
    {name: 'cancellationPolicy', aliases: ['policy']},
    {name: 'isListed', aliases: ['listed']},
    {name: 'createdAt', aliases: ['created']},
  ],

  parse(values) {
    let owner = text(values, 'owner')?.trim()
    if (owner === undefined) {
      const ownerId = text(values, 'ownerId')?.trim()
      if (ownerId !== undefined && !/^\d+$/.test(ownerId)) throw new RowError('ownerId', `ownerId must be a user id, got "${ownerId}"`)
      owner = ownerId
    }
    if (owner === undefined) throw new RowError('owner', 'owner is required (a user id, username or email)')
    return {
      owner,
      name: check('name', () => checkText(required(values, 'name', 'the listing title'), 'name', 200, true)!),
      description: check('description', () => checkText(text(values, 'description'), 'description', 10_000, false) ?? null),
      address: check('address', () => checkText(required(values, 'address', 'the street address'), 'address', 300, true)!),
      priceCents: check('pricePerNight', () => checkPricePerNight(required(values, 'pricePerNight', 'like 120.00'))),
      cancellationPolicy: check('cancellationPolicy', () => checkPolicy(text(values, 'cancellationPolicy')?.trim() ?? 'moderate')),
      isListed: flag(values.isListed, 'isListed', true),
      createdAt: parseTimestamp(text(values, 'createdAt'), 'createdAt'),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const users = await resolveUsers(ctx, transaction, rows.map((r) => r.record.owner), options.cache)
    const owners = rows.map((r) => users(r.record.owner))
    const existing = await existingByKey(
      ctx,
      transaction,
      owners.filter((o) => o !== undefined).map((o) => o.id),
      rows.map((r) => r.record.name),
    )
    const seen = new Map<string, number>()
    const inserts: {index: number; cells: Cell[]}[] = []
    let updated = 0
    for (const [index, row] of rows.entries()) {
      const r = row.record
      const owner = owners[index]
      if (!owner) {
        rejected.push({index, field: 'owner', reason: `unknown owner "${r.owner}"`})
        continue
      }
      if (!owner.isActive && r.isListed) {
        rejected.push({index, field: 'owner', reason: `user ${owner.id} (${owner.username}) is inactive and cannot list a property`})
        continue
      }
      const key = `${owner.id}\0${r.name}`
      const earlier = seen.get(key)
      if (earlier !== undefined) {
        rejected.push({index, field: 'name', reason: `property "${r.name}" of ${owner.username} repeats line ${rows[earlier].line}`})
        continue
      }
      const matches = existing.get(key) ?? []
      if (matches.length > 1) {
        rejected.push({index, field: 'name', reason: `${owner.username} has ${matches.length} properties named "${r.name}" (${matches.join(', ')}); rename one first`})
        continue
      }
      if (matches.length === 1 && !options.upsert) {
        rejected.push({
          index,
          field: 'name',
          reason: `${owner.username} already has a property named "${r.name}" (property ${matches[0]}); use --upsert to update it`,
        })
        continue
      }
      seen.set(key, index)
      const price = formatCents(r.priceCents)
      if (matches.length === 1) {
        await ctx.db.models.Property.update(
          {description: r.description, address: r.address, pricePerNight: price, cancellationPolicy: r.cancellationPolicy, isListed: r.isListed},
          {where: {id: matches[0]}, transaction},
        )
        updated += 1
        continue
      }
      inserts.push({
        index,
        cells: [owner.id, r.name, r.description, r.address, price, r.cancellationPolicy, r.isListed, r.createdAt, r.createdAt],
      })
    }
    // No unique key: (owner, name) duplicates were found above, inside the batch transaction.
    const result = await bulkInsert(ctx.db, transaction, {table: 'properties', columns, rows: inserts.map((i) => i.cells), uniqueKeys: []})
    return {inserted: result.inserted, updated, rejected}
  },
}

/** Ids of existing properties by `${ownerId}\0${name}` (exact names), for the batch's owners and names. */
async function existingByKey(ctx: ServiceContext, transaction: Transaction, ownerIds: number[], names: string[]) {
  const out = new Map<string, number[]>()
  if (ownerIds.length === 0) return out
  const wanted = new Set(names)
  const rows = await ctx.db.sequelize.query<{id: number; ownerId: number; name: string}>(
    'SELECT id, owner_id AS ownerId, name FROM properties WHERE owner_id IN (:ownerIds) AND name IN (:names) ORDER BY id',
    {replacements: {ownerIds: [...new Set(ownerIds)], names: [...wanted]}, transaction, type: QueryTypes.SELECT},
  )
  for (const row of rows) {
    if (!wanted.has(row.name)) continue
    const key = `${Number(row.ownerId)}\0${row.name}`
    out.set(key, [...(out.get(key) ?? []), Number(row.id)])
  }
  return out
}
