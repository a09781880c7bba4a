/**
 * The audit trail: every mutation records who did what to which entity, and the changes,
 * in the same transaction as the change. Listing filters by entity, actor, action and time.
 */
import {Op, type CreationAttributes, type Model, type ModelStatic, type Transaction} from 'sequelize'

import type {AuditEvent} from '../db/models.js'
import type {RowOf} from '../db/select.js'
import {requireAdmin} from './authz.js'
import type {ServiceContext} from './context.js'
import {parseInstant} from './dates.js'
import {allOf, page, type Page, type PageInput} from './pagination.js'

export interface AuditRecord {
  action: string
  entity: string
  entityId: number | string | null
  changes?: Record<string, unknown> | null
}

/** Writes one audit event inside `transaction`. Never pass secrets in `changes`. */
export async function audit(ctx: ServiceContext, transaction: Transaction, record: AuditRecord): Promise<void> {
  await ctx.db.models.AuditEvent.create(
    {
      actor: ctx.actor.name,
      via: ctx.via,
      action: record.action,
      entity: record.entity,
      entityId: record.entityId === null ? null : String(record.entityId),
      changes: record.changes ?? null,
      at: new Date(),
    },
    {transaction},
  )
}

/** The audit event of a row a service creates: the entity and id are the row's. */
export interface CreationEvent {
  action: string
  entity: string
  changes: Record<string, unknown>
  /** The catch of the insert when a unique key may be taken (e.g. transaction.ts's conflictIfTaken). */
  ifTaken?: (error: unknown) => never
}

/**
 * Inserts a row and its audit event in `transaction`: how every service creates a row, so
 * none creates one without its event. A unique key that another writer took first goes to
 * `ifTaken`, which turns it into the operation's ConflictError.
 */
export async function createAudited<M extends Model & {id: number}>(
  ctx: ServiceContext,
  transaction: Transaction,
  model: ModelStatic<M>,
  values: CreationAttributes<M>,
  event: CreationEvent,
): Promise<M> {
  const insert = model.create(values, {transaction})
  const row = await (event.ifTaken ? insert.catch(event.ifTaken) : insert)
  await audit(ctx, transaction, {action: event.action, entity: event.entity, entityId: row.id, changes: event.changes})
  return row
}

/** The audit event of a row a service updates: what `before` is compared with. */
export interface UpdateEvent {
  action: string
  entity: string
  /** The row's fields as the changes name them (a view of it, or its attributes). */
  before: object
  /** The catch of the update when a unique key may be taken. */
  ifTaken?: (error: unknown) => never
  /**
   * Fields the event records only as 'set', 'changed' or 'cleared', never by their values:
   * free text that erasure removes from the row (a review's comment) must not outlive it here.
   */
  withheld?: readonly string[]
}

/**
 * Writes the fields of `changes` that differ from `event.before` (undefined ones are left as they
 * are) with their audit event, old → new, in `transaction`: how every service updates a row.
 * Returns false, writing nothing, when nothing changes.
 */
export async function updateAudited<M extends Model & {id: number}>(
  ctx: ServiceContext,
  transaction: Transaction,
  row: M,
  changes: object,
  event: UpdateEvent,
): Promise<boolean> {
  const changed = diff(event.before, changes)
  if (!changed) return false
  const update = row.update(Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)), {transaction})
  await (event.ifTaken ? update.catch(event.ifTaken) : update)
  await audit(ctx, transaction, {action: event.action, entity: event.entity, entityId: row.id, changes: withhold(changed, event.withheld)})
  return true
}

/** `changes` with the old → new of each `withheld` field replaced by what happened to it. */
function withhold(changes: Record<string, {from: unknown; to: unknown}>, withheld: readonly string[] = []): Record<string, unknown> {
  const blank = (value: unknown) => value === null || value === undefined || String(value) === ''
  return Object.fromEntries(
    Object.entries(changes).map(([key, change]) => [
      key,
      !withheld.includes(key) ? change : blank(change.from) ? 'set' : blank(change.to) ? 'cleared' : 'changed',
    ]),
  )
}

/** Old → new for the fields that changed; undefined when nothing did. */
export function diff<T extends object>(before: T, after: Partial<T>): Record<string, {from: unknown; to: unknown}> | undefined {
  const changes: Record<string, {from: unknown; to: unknown}> = {}
  for (const [key, value] of Object.entries(after)) {
    const old = (before as Record<string, unknown>)[key]
    if (value === undefined || old === value) continue
    // Compared as text (a DECIMAL read as '5.00' or 5, a date as text or a Date), but null is not the text "null".
    if (old === null || old === undefined || value === null || String(old) !== String(value)) changes[key] = {from: old, to: value}
  }
  return Object.keys(changes).length > 0 ? changes : undefined
}

export interface AuditEventView {
  id: number
  at: string
  actor: string
  via: string
  action: string
  entity: string
  entityId: string | null
  changes: Record<string, unknown> | null
}

export interface AuditFilter extends PageInput {
  entity?: string
  entityId?: string
  actor?: string
  action?: string
  /** ISO-8601 date or date-time, inclusive. */
  since?: string
  until?: string
}


export function auditView(event: RowOf<AuditEvent>): AuditEventView {
  const changes = typeof event.changes === 'string' ? (JSON.parse(event.changes) as Record<string, unknown>) : event.changes
  return {
    id: Number(event.id),
    at: event.at,
    actor: event.actor,
    via: event.via,
    action: event.action,
    entity: event.entity,
    entityId: event.entityId,
    changes,
  }
}

/** Audit events, newest first, filtered; keyset-paged. Admins only. */
export async function listAudit(ctx: ServiceContext, filter: AuditFilter = {}): Promise<Page<AuditEventView>> {
  requireAdmin(ctx, 'read the audit trail')
  const where = allOf(
    filter.entity && {entity: filter.entity},
    filter.entityId && {entityId: filter.entityId},
    filter.actor && {actor: filter.actor},
    filter.action && {action: filter.action.includes('*') ? {[Op.like]: filter.action.replace(/\*/g, '%')} : filter.action},
    filter.since && {at: {[Op.gte]: parseInstant(filter.since, 'since')}},
    filter.until && {at: {[Op.lte]: parseInstant(filter.until, 'until')}},
  )
  return page(ctx.db.models.AuditEvent, where, {...filter, sort: filter.sort ?? '-id'}, ['id'], auditView)
}
