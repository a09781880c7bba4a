/**
 * Importing blocks: the rules of `blocks create` for a batch at once, through the same calendar
 * (rules/calendar.ts, guarded): a block overlaps no live booking and no other block of its
 * property, nor a row before it. The natural key is the feed's event (property, source,
 * sourceUid) for a block from a feed, else the property and the dates; --upsert updates the
 * reason (and moves a feed's block to the row's dates).
 */
import {Op} from 'sequelize'

import {type Cell} from '../../db/bulk.js'
import type {Block} from '../../db/models.js'
import {checkReason, checkSource, checkUid, parseBlockDates, sourceKey} from '../blocks.js'
import {resolveProperties, type PropertyQuery} from '../refs/properties.js'
import {loadCalendars, overlapHint, overlapReason, type LoadedCalendars} from '../rules/calendar.js'
import {refreshGaps, type StayChange} from '../rules/gaps.js'
import {check, createdAt, propertyFields, required, text} from './fields.js'
import {RowError, insertImported, type BatchOutcome, type EntityImporter, type ParsedRow} from './types.js'

export interface BlockRecord {
  property: string
  propertyOwner?: string
  startDate: string
  endDate: string
  reason: string
  source: string | null
  sourceUid: string | null
  createdAt: Date
}

const columns = ['property_id', 'start_date', 'end_date', 'reason', 'source', 'source_uid', 'source_key', 'created_at']

/** The natural key of a row: its feed's event, else its property and dates. */
const keyOf = (propertyId: number, r: BlockRecord) =>
  r.source && r.sourceUid ? `${propertyId}|${sourceKey(r.source, r.sourceUid)}` : `${propertyId}|${r.startDate}|${r.endDate}`

export const blocksImporter: EntityImporter<BlockRecord> = {
  entity: 'blocks',
  fields: [
    ...propertyFields(true),
    {name: 'startDate', aliases: ['from', 'start'], required: true},
    {name: 'endDate', aliases: ['to', 'end', 'until'], required: true},
    {name: 'reason', aliases: ['note', 'summary']},
    {name: 'source', aliases: ['feed', 'url']},
    {name: 'sourceUid', aliases: ['uid', 'eventUid']},
    {name: 'createdAt', aliases: ['created']},
  ],

  parse(values) {
    const {startDate, endDate} = check('endDate', () => parseBlockDates(required(values, 'startDate', 'YYYY-MM-DD'), required(values, 'endDate', 'YYYY-MM-DD')))
    const source = text(values, 'source')
    const uid = text(values, 'sourceUid')
    if ((source === undefined) !== (uid === undefined)) throw new RowError(source ? 'sourceUid' : 'source', 'give both source and sourceUid, or neither')
    return {
      property: required(values, 'property', 'an id or a name'),
      propertyOwner: text(values, 'propertyOwner')?.trim(),
      startDate,
      endDate,
      reason: check('reason', () => checkReason(text(values, 'reason'))),
      source: source === undefined ? null : check('source', () => checkSource(source)),
      sourceUid: uid === undefined ? null : check('sourceUid', () => checkUid(uid)),
      createdAt: createdAt(values),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const reject = (index: number, field: string, reason: string) => rejected.push({index, field, reason})
    const query = (r: BlockRecord): PropertyQuery => ({property: r.property, owner: r.propertyOwner})
    const properties = await resolveProperties(ctx, transaction, rows.map((r) => query(r.record)), options.cache)
    const resolved: {index: number; row: ParsedRow<BlockRecord>; propertyId: number}[] = []
    for (const [index, row] of rows.entries()) {
      const property = properties(query(row.record))
      if (property.error !== undefined) reject(index, 'property', property.error)
      else resolved.push({index, row, propertyId: property.property.id})
    }
    if (resolved.length === 0) return {inserted: 0, updated: 0, rejected}
    // The guard first (every writer of these calendars raises it), then what exists of the rows' keys.
    const loaded = await loadCalendars(ctx, transaction, resolved.map((r) => ({propertyId: r.propertyId, start: r.row.record.startDate, end: r.row.record.endDate})))
    const existing = await existingBlocks(ctx, transaction, resolved, loaded)
    const inserts: {index: number; cells: Cell[]}[] = []
    const seen = new Map<string, number>()
    // The nights of every block written, and those a moved block held before: the calendars' gaps.
    const changes: StayChange[] = []
    let updated = 0
    for (const {index, row, propertyId} of resolved) {
      const r = row.record
      const key = keyOf(propertyId, r)
      const earlier = seen.get(key)
      if (earlier !== undefined) {
        reject(index, r.source ? 'sourceUid' : 'startDate', `repeats line ${rows[earlier].line}`)
        continue
      }
      seen.set(key, index)
      const match = existing.get(key)
      if (match && !options.upsert) {
        reject(index, r.source ? 'sourceUid' : 'startDate', `block ${match.id} already has ${r.source ? `event "${r.sourceUid}" of ${r.source}` : 'these dates'}; use --upsert to update it`)
        continue
      }
      const calendar = loaded.calendar(propertyId)
      const moved = match ? calendar.remove(match.id, 'block') : undefined
      const clash = calendar.clash(r.startDate, r.endDate)
      if (clash) {
        if (moved) calendar.add(moved)
        reject(index, 'startDate', clash.line === undefined ? `${overlapReason(r.startDate, r.endDate, clash, propertyId)}; ${overlapHint(clash)}` : `${r.startDate} → ${r.endDate} overlaps the block on line ${clash.line} of property ${propertyId}`)
        continue
      }
      calendar.add({kind: 'block', start: r.startDate, end: r.endDate, id: match?.id, line: row.line})
      changes.push({propertyId, start: r.startDate, end: r.endDate})
      if (match) {
        changes.push({propertyId: Number(match.propertyId), start: match.startDate, end: match.endDate})
        await match.update({startDate: r.startDate, endDate: r.endDate, reason: r.reason}, {transaction})
        updated += 1
      } else {
        const sourceKeyCell = r.source && r.sourceUid ? sourceKey(r.source, r.sourceUid) : null
        inserts.push({index, cells: [propertyId, r.startDate, r.endDate, r.reason, r.source, r.sourceUid, sourceKeyCell, r.createdAt]})
      }
    }
    const result = await insertImported(ctx, transaction, {
      table: 'blocks',
      columns,
      rows: inserts.map((i) => i.cells),
      uniqueKeys: [{index: 'blocks_source_unique', columns: ['property_id', 'source_key']}],
    })
    for (const duplicate of result.duplicates) reject(inserts[duplicate.row].index, 'sourceUid', 'another block already has this event of this feed')
    await refreshGaps(ctx, transaction, changes, {bulk: true})
    return {inserted: result.inserted, updated, rejected}
  },
}

/** The blocks the rows name by their natural keys: by feed event, and (rows without a source) by dates among the loaded blocks. */
async function existingBlocks(
  ctx: Parameters<EntityImporter<BlockRecord>['write']>[0],
  transaction: Parameters<EntityImporter<BlockRecord>['write']>[1],
  resolved: {row: ParsedRow<BlockRecord>; propertyId: number}[],
  loaded: LoadedCalendars,
): Promise<Map<string, Block>> {
  const keys = resolved.filter((r) => r.row.record.source && r.row.record.sourceUid).map((r) => sourceKey(r.row.record.source!, r.row.record.sourceUid!))
  const byDates = new Set(loaded.blocks.filter((b) => b.sourceKey === null).map((b) => b.id))
  if (keys.length === 0 && byDates.size === 0) return new Map()
  const found = await ctx.db.models.Block.findAll({
    where: {[Op.or]: [...(keys.length > 0 ? [{sourceKey: keys}] : []), ...(byDates.size > 0 ? [{id: [...byDates]}] : [])]},
    transaction,
  })
  const out = new Map<string, Block>()
  for (const block of found) {
    const r = {source: block.source, sourceUid: block.sourceUid, startDate: block.startDate, endDate: block.endDate} as BlockRecord
    out.set(keyOf(Number(block.propertyId), r), block)
  }
  return out
}

