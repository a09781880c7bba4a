/**
 * Where the calendar feeds meet blocked dates (src/services/blocks*.ts): the export reads the
 * listing's blocks, and an import writes them through syncSourceBlocks only (the blocks' one
 * write of a feed's events: overlap guard, audit, conflicts). Nothing here writes a block.
 */
import {Op} from 'sequelize'

import type {SourceEvent, SyncConflict, SyncSourceBlocksResult} from '../../domain.js'
export {MAX_BLOCK_NIGHTS} from '../blocks.js'
import {syncSourceBlocks, type SyncSourceBlocksInput} from '../blocks-sync.js'
import type {ServiceContext} from '../context.js'
import {dateOnly} from '../dates.js'
import type {FeedRange} from './render.js'

export type {SourceEvent, SyncConflict}
export type SyncResult = SyncSourceBlocksResult

/** Makes the blocks of (property, source) those of `events`: blocks' syncSourceBlocks. */
export function syncBlocks(ctx: ServiceContext, input: SyncSourceBlocksInput): Promise<SyncResult> {
  return syncSourceBlocks(ctx, input)
}

/** The blocks of a property ending after `from`, as ranges of the export feed. */
export async function blockRanges(ctx: ServiceContext, propertyId: number, from: string): Promise<FeedRange[]> {
  const rows = await ctx.db.models.Block.findAll({
    attributes: ['id', 'startDate', 'endDate', 'updatedAt'],
    where: {propertyId, endDate: {[Op.gte]: from}},
  })
  return rows.map((b) => ({kind: 'block', id: b.id, start: dateOnly(b.startDate), end: dateOnly(b.endDate), updatedAt: b.updatedAt}))
}

/**
 * The blocks a source made on a property for the events `uids` (an event, or its occurrences
 * `uid#date`), as events that keep them where they are: what an import passes for the events
 * of a feed it could not read clearly, so that a malformed event does not free its nights.
 */
export async function keptEvents(ctx: ServiceContext, propertyId: number, source: string, uids: string[]): Promise<SourceEvent[]> {
  if (uids.length === 0) return []
  const rows = await ctx.db.models.Block.findAll({where: {propertyId, source}, order: [['id', 'ASC']]})
  const kept = rows.filter((b) => b.sourceUid && uids.some((uid) => b.sourceUid === uid || b.sourceUid!.startsWith(`${uid}#`)))
  return kept.map((b) => ({uid: b.sourceUid!, start: dateOnly(b.startDate), end: dateOnly(b.endDate), reason: b.reason}))
}
