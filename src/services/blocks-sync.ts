/**
 * The blocks of one source (a feed) on one property made to match that source's events, in
 * one transaction, through the calendar rule of every other write (rules/calendar.ts): a new
 * event adds a block, a changed one moves its block (or changes its reason), a block whose
 * event is gone is removed, and an event whose nights a live booking, a block made by hand or
 * a block of another source holds is written nowhere and comes back as a conflict. Running it
 * again with the same events changes nothing. The iCalendar parsing is the caller's.
 */
import type {Transaction} from 'sequelize'

import type {Block as BlockRow} from '../db/models.js'
import {rowOf} from '../db/select.js'
import type {Block, SourceEvent, SyncConflict, SyncSourceBlocksResult} from '../domain.js'
import {NotFoundError, ValidationError} from '../errors.js'
import {testPause} from '../test-pause.js'
import {audit, createAudited} from './audit.js'
import {blockChanges, blockView, checkReason, checkSource, checkUid, parseBlockDates, requireHost, sourceKey} from './blocks.js'
import {actorUserId, requireUser} from './authz.js'
import type {ServiceContext} from './context.js'
import {findProperty} from './properties.js'
import {guardCalendars, loadCalendars, overlapOf, overlapReason, type Calendar} from './rules/calendar.js'
import {refreshGaps, type StayChange} from './rules/gaps.js'
import {conflictIfTaken, inTransactionOrRehearsal} from './transaction.js'

export interface SyncSourceBlocksInput {
  /** Property id or name. */
  property: string | number
  /** The feed's URL (what the blocks' source is). */
  source: string
  events: SourceEvent[]
  /** Check and compute everything, write nothing. */
  dryRun?: boolean
}

/** An event, checked; key: its block's source key. */
interface Event {
  index: number
  uid: string
  start: string
  end: string
  reason: string
  key: string
}

/** The events checked (each field named by its position), in order; a UID given twice is refused. */
function checkEvents(source: string, events: SourceEvent[]): Event[] {
  if (!Array.isArray(events)) throw new ValidationError('events must be a list', {details: {field: 'events'}})
  const seen = new Map<string, number>()
  return events.map((event, index) => {
    const at = `events[${index}].`
    const uid = checkUid(event?.uid, `${at}uid`)
    const earlier = seen.get(uid)
    if (earlier !== undefined) {
      throw new ValidationError(`${at}uid "${uid}" repeats events[${earlier}]; give each event once`, {details: {field: `${at}uid`}})
    }
    seen.set(uid, index)
    const {startDate, endDate} = parseBlockDates(event.start, event.end, at)
    return {index, uid, start: startDate, end: endDate, reason: checkReason(event.reason, `${at}reason`), key: sourceKey(source, uid)}
  })
}

/**
 * Makes the blocks of (property, source) those of `events` (see the top of this file). The
 * host of the property or an admin. A conflicting event whose block exists keeps that block
 * where it was: nights are freed only by an event that leaves the feed. A sync that finds
 * nothing to change writes nothing, not even the calendar's guard (a cron polling many feeds
 * then costs readers only); one that changes something plans again under the guard.
 */
export async function syncSourceBlocks(ctx: ServiceContext, input: SyncSourceBlocksInput): Promise<SyncSourceBlocksResult> {
  requireUser(ctx, 'sync blocks')
  const source = checkSource(input.source)
  const events = checkEvents(source, input.events)
  const propertyId = (await findProperty(ctx, input.property)).id
  return inTransactionOrRehearsal(ctx, input.dryRun, async (transaction) => {
    const property = await ctx.db.models.Property.findByPk(propertyId, {transaction})
    if (!property) throw new NotFoundError(`no property ${propertyId}`)
    requireHost(ctx, property, 'sync its blocks')
    let plan = await planSync(ctx, transaction, propertyId, source, events, false)
    if (plan.writes) plan = await planSync(ctx, transaction, propertyId, source, events, true)
    if (plan.writes) await testPause('block.checked')
    const result: SyncSourceBlocksResult = {propertyId, source, dryRun: Boolean(input.dryRun), added: [], moved: [], removed: [], unchanged: [], conflicts: []}
    // The nights freed and taken, for the calendar's gaps (written under the guard planSync took when it writes).
    const changes: StayChange[] = []
    const changed = (start: string, end: string) => changes.push({propertyId, start, end})
    for (const block of plan.gone) {
      changed(block.startDate, block.endDate)
      await block.destroy({transaction})
      result.removed.push(await audited(ctx, transaction, block, 'block.delete'))
    }
    for (const step of plan.steps) {
      if ('conflict' in step) result.conflicts.push(step.conflict)
      else if (!step.block) {
        changed(step.event.start, step.event.end)
        result.added.push(await addBlock(ctx, transaction, propertyId, source, step.event))
      } else if (step.same) result.unchanged.push(blockView(rowOf(step.block)))
      else {
        changed(step.block.startDate, step.block.endDate)
        changed(step.event.start, step.event.end)
        await step.block.update({startDate: step.event.start, endDate: step.event.end, reason: step.event.reason}, {transaction})
        result.moved.push(await audited(ctx, transaction, step.block, 'block.update'))
      }
    }
    await refreshGaps(ctx, transaction, changes)
    return result
  })
}

interface Plan {
  /** The source's blocks whose events are gone. */
  gone: BlockRow[]
  steps: Step[]
  /** Whether anything is to be written. */
  writes: boolean
}

/** What a sync would do, from the calendar (guarded, as every writer of it is; or not: a look first) and the source's blocks. */
async function planSync(ctx: ServiceContext, transaction: Transaction, propertyId: number, source: string, events: Event[], guard: boolean): Promise<Plan> {
  const wanted = events.map((e) => ({propertyId, start: e.start, end: e.end}))
  const loaded = events.length > 0 ? await loadCalendars(ctx, transaction, wanted, {guard}) : undefined
  if (!loaded && guard) await guardCalendars(ctx, transaction, [propertyId])
  const existing = await ctx.db.models.Block.findAll({where: {propertyId, source}, order: [['id', 'ASC']], transaction})
  const byKey = new Map(existing.map((block) => [block.sourceKey ?? '', block]))
  const keys = new Set(events.map((e) => e.key))
  const gone = existing.filter((block) => !keys.has(block.sourceKey ?? ''))
  const calendar = loaded?.calendar(propertyId)
  // The nights of the blocks whose events left the feed are free for the events that remain.
  for (const block of gone) calendar?.remove(block.id, 'block')
  const steps = events.map((event) => place(calendar!, propertyId, event, byKey.get(event.key), events))
  return {gone, steps, writes: gone.length > 0 || steps.some((step) => !('conflict' in step) && !step.same)}
}

type Step = {conflict: SyncConflict} | {event: Event; block?: BlockRow; same?: boolean}

/**
 * Puts an event on the calendar (moving its block's stay, when it has one), or says what it
 * overlaps: a booking, another block, or an earlier event of this sync.
 */
function place(calendar: Calendar, propertyId: number, event: Event, block: BlockRow | undefined, events: Event[]): Step {
  const same = block !== undefined && block.startDate === event.start && block.endDate === event.end
  const moved = block && !same ? calendar.remove(block.id, 'block') : undefined
  const clash = same ? undefined : calendar.clash(event.start, event.end)
  if (clash) {
    if (moved) calendar.add(moved)
    const overlaps = overlapOf(clash)
    const earlier = clash.line === undefined ? undefined : `event "${events[clash.line].uid}" of this feed (${clash.start} → ${clash.end})`
    if (clash.line !== undefined) overlaps.uid = events[clash.line].uid
    const reason = earlier ? `${event.start} → ${event.end} overlaps ${earlier}` : overlapReason(event.start, event.end, clash, propertyId)
    return {conflict: {uid: event.uid, start: event.start, end: event.end, overlaps, reason}}
  }
  if (!same) calendar.add({kind: 'block', start: event.start, end: event.end, id: block?.id, line: block ? undefined : event.index})
  return {event, block, same: same && block.reason === event.reason}
}

async function addBlock(ctx: ServiceContext, transaction: Transaction, propertyId: number, source: string, event: Event): Promise<Block> {
  const block = await createAudited(
    ctx,
    transaction,
    ctx.db.models.Block,
    {
      propertyId,
      startDate: event.start,
      endDate: event.end,
      reason: event.reason,
      source,
      sourceUid: event.uid,
      sourceKey: event.key,
      createdById: actorUserId(ctx) ?? null,
    },
    {
      action: 'block.create',
      entity: 'block',
      changes: blockChanges({propertyId, startDate: event.start, endDate: event.end, reason: event.reason, source, sourceUid: event.uid}),
      ifTaken: conflictIfTaken(`property ${propertyId} already has a block of event "${event.uid}" of ${source}`),
    },
  )
  return blockView(rowOf(block))
}

/** The audit event of a block a sync moved or removed; its view. */
async function audited(ctx: ServiceContext, transaction: Transaction, block: BlockRow, action: 'block.update' | 'block.delete'): Promise<Block> {
  const view = blockView(rowOf(block))
  await audit(ctx, transaction, {action, entity: 'block', entityId: block.id, changes: blockChanges(view)})
  return view
}
