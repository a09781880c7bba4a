/**
 * Blocks: nights of a property no one can book (maintenance, the owner's stay, a booking taken
 * on another channel), by hand (create, update, delete) or from a feed's events
 * (blocks-sync.ts). A block and a live booking never overlap, nor do two blocks of a property:
 * the calendar rule and its guard (rules/calendar.ts), the same as between bookings. The host
 * of the property and admins manage and see its blocks; to others they are not theirs.
 */

import type {Transaction} from 'sequelize'

import type {Block as BlockRow, Property} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import type {Block} from '../domain.js'
import {ForbiddenError, NotFoundError, ValidationError} from '../errors.js'
import {testPause} from '../test-pause.js'
import {audit, createAudited, updateAudited} from './audit.js'
import {actorUserId, isAdmin, listScopeSql, requireUser, requireVisible} from './authz.js'
import {showUrl} from './calendar/fetch.js'
import type {ServiceContext} from './context.js'
import {daysBetween, parseDate} from './dates.js'
import {listPage, overlapping, type ListRule, type OverlapFilter, type Page, type PageInput} from './pagination.js'
import {findById, notFound} from './find.js'
import {findProperty, ofProperty} from './properties.js'
import {guardCalendars, loadCalendars, requireFree} from './rules/calendar.js'
import {refreshGaps} from './rules/gaps.js'
import {checkText} from './text.js'
import {GuardMoved, conflictIfTaken, inTransaction} from './transaction.js'
import {sha256Hex} from '../digest.js'

/** The longest block, in nights (a feed may close a listing for a season). */
export const MAX_BLOCK_NIGHTS = 731
const MAX_REASON = 500
const MAX_SOURCE = 2048
const MAX_UID = 255

export function blockView(block: RowOf<BlockRow>): Block {
  return {
    id: Number(block.id),
    propertyId: Number(block.propertyId),
    startDate: block.startDate,
    endDate: block.endDate,
    nights: daysBetween(block.startDate, block.endDate),
    reason: block.reason ?? '',
    source: block.source ?? null,
    sourceUid: block.sourceUid ?? null,
    createdById: block.createdById === null || block.createdById === undefined ? null : Number(block.createdById),
    createdAt: block.createdAt,
    updatedAt: block.updatedAt,
  }
}

/**
 * What the audit event of a block's creation or deletion records. A feed's URL (the source of
 * its blocks) is there without its query and user info, which are often the secret that opens
 * the other channel's calendar: the audit trail outlives the feed, and records the feed's own
 * events the same way (calendar/manage.ts). Other sources (file:<name>, a name) stay whole.
 */
export function blockChanges(block: Pick<Block, 'propertyId' | 'startDate' | 'endDate' | 'reason' | 'source' | 'sourceUid'>): Record<string, unknown> {
  const {propertyId, startDate, endDate, reason, source, sourceUid} = block
  return {propertyId, startDate, endDate, reason, source: source !== null && /^https?:\/\//i.test(source) ? showUrl(source) : source, sourceUid}
}

/** The key of a feed's event on a property: sha256 (hex) of the source and the UID. */
export function sourceKey(source: string, uid: string): string {
  return sha256Hex(`${source}\n${uid}`)
}

/** A block's nights [start, end): valid dates, at least one night, at most MAX_BLOCK_NIGHTS. */
export function parseBlockDates(start: string, end: string, field = ''): {startDate: string; endDate: string} {
  const startDate = parseDate(start, `${field}start date`)
  const endDate = parseDate(end, `${field}end date`)
  const nights = daysBetween(startDate, endDate)
  if (nights < 1) {
    throw new ValidationError(`${field}end date ${endDate} must be after start date ${startDate} (the end is exclusive, like a check-out)`, {
      details: {field: 'endDate'},
    })
  }
  if (nights > MAX_BLOCK_NIGHTS) {
    throw new ValidationError(`${field}a block of ${nights} nights is too long (at most ${MAX_BLOCK_NIGHTS})`, {details: {field: 'endDate'}})
  }
  return {startDate, endDate}
}

/** A reason: trimmed, '' when none, at most 500 characters. */
export function checkReason(value: string | null | undefined, field = 'reason'): string {
  const reason = checkText(value ?? '', field).trim()
  if (reason.length > MAX_REASON) throw new ValidationError(`${field} is longer than ${MAX_REASON} characters`, {details: {field}})
  return reason
}

/** A feed's URL (or any name of a source): not blank, at most 2048 characters. */
export function checkSource(value: string): string {
  const source = checkText(String(value ?? ''), 'source').trim()
  if (source === '') throw new ValidationError('source is blank; give the URL of the feed the blocks come from', {details: {field: 'source'}})
  if (source.length > MAX_SOURCE) throw new ValidationError(`source is longer than ${MAX_SOURCE} characters`, {details: {field: 'source'}})
  return source
}

/** An event's UID: not blank, at most 255 characters. */
export function checkUid(value: string, field = 'sourceUid'): string {
  const uid = checkText(String(value ?? ''), field).trim()
  if (uid === '') throw new ValidationError(`${field} is blank`, {details: {field}})
  if (uid.length > MAX_UID) throw new ValidationError(`${field} is longer than ${MAX_UID} characters`, {details: {field}})
  return uid
}

/** Refuses all but the property's host and admins. */
export function requireHost(ctx: ServiceContext, property: Property, action: string): void {
  const own = actorUserId(ctx)
  if (isAdmin(ctx) || (own !== undefined && own === Number(property.ownerId))) return
  throw new ForbiddenError(`only the host of property ${property.id} or an admin may ${action}`)
}

/** A block by id. */
export function findBlock(ctx: ServiceContext, ref: string | number, transaction?: Transaction): Promise<BlockRow> {
  return findById(ctx.db.models.Block, ref, 'block', 'blocks', transaction)
}

export interface CreateBlockInput {
  /** Property id or name. */
  property: string | number
  startDate: string
  /** Exclusive, like a check-out. */
  endDate: string
  reason?: string
  /** The feed the block comes from, and its event's UID: both or neither. */
  source?: string
  sourceUid?: string
}

/** Blocks the nights [startDate, endDate) of a property: its host or an admin; refused (CONFLICT) when they overlap a live booking or a block. */
export async function createBlock(ctx: ServiceContext, input: CreateBlockInput): Promise<Block> {
  requireUser(ctx, 'block dates')
  const {startDate, endDate} = parseBlockDates(input.startDate, input.endDate)
  const reason = checkReason(input.reason)
  const given = (v: string | undefined) => v !== undefined && v !== null && String(v).trim() !== ''
  if (given(input.source) !== given(input.sourceUid)) {
    throw new ValidationError('give both source and sourceUid, or neither', {details: {field: given(input.source) ? 'sourceUid' : 'source'}})
  }
  const source = given(input.source) ? checkSource(input.source!) : null
  const sourceUid = given(input.sourceUid) ? checkUid(input.sourceUid!) : null
  const propertyId = (await findProperty(ctx, input.property)).id
  return inTransaction(ctx, async (transaction) => {
    // The guard first, as for a booking: every writer of this property's calendar writes its row.
    const loaded = await loadCalendars(ctx, transaction, [{propertyId, start: startDate, end: endDate}])
    const property = await ctx.db.models.Property.findByPk(propertyId, {transaction})
    if (!property) throw new NotFoundError(`no property ${propertyId}`)
    requireHost(ctx, property, 'block its dates')
    requireFree(loaded, propertyId, startDate, endDate)
    await testPause('block.checked')
    const block = await createAudited(
      ctx,
      transaction,
      ctx.db.models.Block,
      {
        propertyId,
        startDate,
        endDate,
        reason,
        source,
        sourceUid,
        sourceKey: source && sourceUid ? sourceKey(source, sourceUid) : null,
        createdById: actorUserId(ctx) ?? null,
      },
      {
        action: 'block.create',
        entity: 'block',
        changes: blockChanges({propertyId, startDate, endDate, reason, source, sourceUid}),
        ifTaken: conflictIfTaken(`property ${propertyId} already has a block of event "${sourceUid}" of ${source}`),
      },
    )
    await refreshGaps(ctx, transaction, [{propertyId, start: startDate, end: endDate}])
    return blockView(rowOf(block))
  })
}

export interface UpdateBlockInput {
  startDate?: string
  endDate?: string
  reason?: string
}

/** Moves a block's dates or changes its reason: the host or an admin; a move is checked like a new block. */
export async function updateBlock(ctx: ServiceContext, ref: string | number, input: UpdateBlockInput): Promise<Block> {
  requireUser(ctx, 'update blocks')
  const reason = input.reason === undefined || input.reason === null ? undefined : checkReason(input.reason)
  return inTransaction(ctx, async (transaction) => {
    const found = await findBlock(ctx, ref, transaction)
    const {startDate, endDate} = parseBlockDates(input.startDate ?? found.startDate, input.endDate ?? found.endDate)
    const moved = startDate !== found.startDate || endDate !== found.endDate
    const propertyId = Number(found.propertyId)
    const loaded = moved ? await loadCalendars(ctx, transaction, [{propertyId, start: startDate, end: endDate}]) : undefined
    // Read again after the guard: a writer that committed before it is seen.
    const block = await ctx.db.models.Block.findByPk(found.id, {transaction})
    if (!block) throw notFound(ref, 'block', 'blocks')
    // Moved by another writer between the first read and the guard: its new dates are the ones to start from (a retry).
    if (loaded && (block.startDate !== found.startDate || block.endDate !== found.endDate)) throw new GuardMoved()
    const property = (await ctx.db.models.Property.findByPk(propertyId, {transaction}))!
    requireHost(ctx, property, 'change its blocks')
    if (loaded) {
      requireFree(loaded, propertyId, startDate, endDate, {id: block.id, kind: 'block'})
      await testPause('block.checked')
    }
    const before = blockView(rowOf(block))
    await updateAudited(ctx, transaction, block, {startDate, endDate, reason}, {action: 'block.update', entity: 'block', before})
    if (loaded) {
      await refreshGaps(ctx, transaction, [
        {propertyId, start: before.startDate, end: before.endDate},
        {propertyId, start: startDate, end: endDate},
      ])
    }
    return blockView(rowOf(block))
  })
}

/** Deletes a block, freeing its nights: the host or an admin. */
export async function deleteBlock(ctx: ServiceContext, ref: string | number): Promise<{id: number; deleted: true}> {
  requireUser(ctx, 'delete blocks')
  return inTransaction(ctx, async (transaction) => {
    const found = await findBlock(ctx, ref, transaction)
    // The calendar's guard, as every writer of its stays takes it; then the block as it is now.
    await guardCalendars(ctx, transaction, [Number(found.propertyId)])
    const block = await findBlock(ctx, ref, transaction)
    const property = (await ctx.db.models.Property.findByPk(block.propertyId, {transaction}))!
    requireHost(ctx, property, 'delete its blocks')
    await block.destroy({transaction})
    await refreshGaps(ctx, transaction, [{propertyId: Number(block.propertyId), start: block.startDate, end: block.endDate}])
    await audit(ctx, transaction, {action: 'block.delete', entity: 'block', entityId: block.id, changes: blockChanges(blockView(rowOf(block)))})
    return {id: block.id, deleted: true as const}
  })
}

/** Blocks of a property, of a feed (its URL, exactly), and overlapping [from, to). */
export interface ListBlocksInput extends PageInput, OverlapFilter {
  property?: string | number
  source?: string
}

/** What `blocks list` shows (authz.ts: the blocks of the actor's properties; all to admins) and sorts by. */
export const blockList: ListRule = {scope: (ctx) => listScopeSql(ctx, 'Block', 'list blocks'), sortable: ['startDate', 'createdAt']}

/** Blocks, filtered. */
export async function listBlocks(ctx: ServiceContext, input: ListBlocksInput = {}): Promise<Page<Block>> {
  return listPage(ctx, blockList, {model: ctx.db.models.Block, view: blockView, input}, async () => [
    await ofProperty(ctx, input.property),
    input.source !== undefined && {source: String(input.source).trim()},
    overlapping(input),
  ])
}

/** One block: for its property's host and admins. */
export async function showBlock(ctx: ServiceContext, ref: string | number): Promise<Block> {
  requireUser(ctx, 'see blocks')
  const block = await findBlock(ctx, ref)
  await requireVisible(ctx, 'Block', block.id, () => new ForbiddenError(`block ${block.id} is not on a property of yours, so you may not see it`))
  return blockView(rowOf(block))
}
