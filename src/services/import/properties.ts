/**
 * Importing properties: the checks of `properties create` (name, address, description,
 * price above 0, a known cancellation policy; an inactive host cannot list a property), the
 * owner given by id, username or email. A property's natural key is (owner, name): a row
 * whose owner already has a property of that name is a duplicate, or updates it with --upsert.
 */
import {type Cell} from '../../db/bulk.js'
import {formatCents} from '../money.js'
import {openCalendars} from '../rules/gaps.js'
import {checkPolicy} from '../policies.js'
import {checkAddress, checkDescription, checkPricePerNight, checkPropertyName, loadPropertyNames, ownerRefusal} from '../rules/properties.js'
import type {CancellationPolicy} from '../../domain.js'
import {check, createdAt, flag, required, text} from './fields.js'
import {resolveUsers} from '../refs/users.js'
import {RowError, insertImported, type BatchOutcome, type EntityImporter} from './types.js'

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

const columns = ['owner_id', 'name', 'description', 'address', 'price_per_night', 'cancellation_policy', 'is_listed', 'created_at']

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
      name: check('name', () => checkPropertyName(required(values, 'name', 'the listing title'))!),
      description: check('description', () => checkDescription(text(values, 'description')) ?? null),
      address: check('address', () => checkAddress(required(values, 'address', 'the street address'))!),
      priceCents: check('pricePerNight', () => checkPricePerNight(required(values, 'pricePerNight', 'like 120.00'))),
      cancellationPolicy: check('cancellationPolicy', () => checkPolicy(text(values, 'cancellationPolicy')?.trim() ?? 'moderate')),
      isListed: flag(values.isListed, 'isListed', true),
      createdAt: createdAt(values),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const users = await resolveUsers(ctx, transaction, rows.map((r) => r.record.owner), options.cache)
    const owners = rows.map((r) => users(r.record.owner))
    const known = owners.filter((o) => o !== undefined)
    const names = await loadPropertyNames(ctx, transaction, known.map((o) => o.id), rows.map((r) => r.record.name))
    const inserts: {index: number; cells: Cell[]}[] = []
    let updated = 0
    for (const [index, row] of rows.entries()) {
      const r = row.record
      const owner = owners[index]
      if (!owner) {
        rejected.push({index, field: 'owner', reason: `unknown owner "${r.owner}"`})
        continue
      }
      const refusal = ownerRefusal(owner, r.isListed)
      if (refusal) {
        rejected.push({index, field: 'owner', reason: refusal})
        continue
      }
      const named = names.admit(owner, r.name, row.line, options)
      if (named.refusal !== undefined) {
        rejected.push({index, field: 'name', reason: named.refusal})
        continue
      }
      const price = formatCents(r.priceCents)
      if (named.update !== undefined) {
        await ctx.db.models.Property.update(
          {description: r.description, address: r.address, pricePerNight: price, cancellationPolicy: r.cancellationPolicy, isListed: r.isListed},
          {where: {id: named.update}, transaction},
        )
        updated += 1
        continue
      }
      inserts.push({
        index,
        cells: [owner.id, r.name, r.description, r.address, price, r.cancellationPolicy, r.isListed, r.createdAt],
      })
    }
    // No unique key: (owner, name) duplicates were found above, inside the batch transaction.
    const result = await insertImported(ctx, transaction, {table: 'properties', columns, rows: inserts.map((i) => i.cells), uniqueKeys: []})
    if (inserts.length > 0) {
      // The new properties start with an empty calendar: their ids, by natural key (the bulk insert gives none).
      const made = inserts.map((i) => ({ownerId: Number(i.cells[0]), name: String(i.cells[1])}))
      const after = await loadPropertyNames(ctx, transaction, made.map((m) => m.ownerId), made.map((m) => m.name))
      await openCalendars(ctx, transaction, made.flatMap((m) => after.idsOf(m.ownerId, m.name)))
    }
    return {inserted: result.inserted, updated, rejected}
  },
}
