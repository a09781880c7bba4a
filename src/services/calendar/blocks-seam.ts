/**
 * SEAM — where the calendar feeds meet blocked dates (issue 18, part 1, branch `blocks`).
 * Until that branch is merged there are no blocks: the export has bookings only, and an
 * import has nowhere to write. Once merged, these three functions call the blocks services
 * (syncSourceBlocks is the only write of feed events into blocks); nothing else here changes.
 */
import {ConflictError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import type {FeedRange} from './render.js'

/** An event of a feed as the blocks sync takes it (domain SourceEvent of the blocks branch). */
export interface SourceEvent {
  uid: string
  start: string
  end: string
  reason?: string
}

export interface CalendarOverlap {
  kind: 'booking' | 'block'
  id: number | null
  startDate: string
  endDate: string
  uid?: string
}

export interface SyncConflict {
  uid: string
  start: string
  end: string
  overlaps: CalendarOverlap
  reason: string
}

/** A block as the sync reports it (the fields the calendar commands show). */
export interface SyncedBlock {
  id: number
  startDate: string
  endDate: string
  sourceUid: string | null
}

export interface SyncResult {
  added: SyncedBlock[]
  moved: SyncedBlock[]
  removed: SyncedBlock[]
  unchanged: SyncedBlock[]
  conflicts: SyncConflict[]
}

export interface SyncInput {
  property: string | number
  source: string
  events: SourceEvent[]
  dryRun?: boolean
}

/** Makes the blocks of (property, source) those of `events`: blocks' syncSourceBlocks. */
export async function syncBlocks(_ctx: ServiceContext, _input: SyncInput): Promise<SyncResult> {
  throw new ConflictError('blocked dates are not available in this build yet: a feed cannot be imported', {
    suggestion: 'this stayctl is built without the blocks of issue 18',
  })
}

/** The blocks of a property ending after `from`, as ranges of the export feed. */
export async function blockRanges(_ctx: ServiceContext, _propertyId: number, _from: string): Promise<FeedRange[]> {
  return []
}

/** The blocks a source made on a property whose event UID is `uid` or one of its occurrences (`uid#date`), as events. */
export async function keptEvents(_ctx: ServiceContext, _propertyId: number, _source: string, _uids: string[]): Promise<SourceEvent[]> {
  return []
}
