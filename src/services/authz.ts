/**
 * Authorization: who may run which operation, decided in the services from `ctx.actor` (a
 * resolver or command never decides it alone). Nobody logged in → UnauthenticatedError;
 * logged in but not allowed → ForbiddenError. Lists are narrowed to what the actor may see,
 * not refused. Local CLI runs act as an admin (`localOperator()`).
 *
 * The rules, as on an Airbnb-like platform:
 * - Anyone, even anonymous: search and view listings (properties list/show; unlisted ones only
 *   for their host), list and show reviews (of the listings they see).
 * - A logged-in user: see and update themself (not the admin flag), set their own password
 *   (giving the current one), see other users' public profiles (never their email), manage
 *   their own API tokens and sessions.
 * - A guest: book for themself only; list, show and cancel their own bookings (the refund is
 *   what the property's cancellation policy gives, nothing else); list and show the payments of
 *   their bookings; review a property they stayed at, as themself; change (rating, comment)
 *   and delete their own reviews.
 * - A host: create properties as themself; update and delete their own; list and show the
 *   bookings on them (with their payments), confirm them, cancel them (a host who cancels
 *   refunds the guest in full); refund charges of bookings on their properties.
 * - Refunds are money out: an admin (support) or the host of the booking's property (a
 *   goodwill refund from their payout) may refund a charge. A guest may not refund their own
 *   charge; they get their money back by cancelling (policy refund) or by asking support.
 * - Admins: everything, including the user administration (create, list, activate,
 *   deactivate, delete, erase), recording charges, imports, the audit trail, anyone's tokens,
 *   and bookings, properties and reviews on anyone's behalf; but a guest's rating is the
 *   guest's: admins moderate a review's comment (change, remove) or delete it, and never change
 *   another user's rating.
 * Telling FORBIDDEN from NOT_FOUND reveals that an id exists; ids are sequential anyway.
 */
import {QueryTypes, literal, type Transaction, type WhereOptions} from 'sequelize'

import {ForbiddenError, UnauthenticatedError, ValidationError} from '../errors.js'
import type {Actor, ServiceContext} from './context.js'

/** An actor acting for a platform user (a session or API token), or an admin. */
export type KnownActor = Actor & {anonymous?: undefined}

export function isAnonymous(actor: Actor): boolean {
  return actor.anonymous === true || (!actor.isAdmin && actor.userId === undefined)
}

export function isAdmin(ctx: ServiceContext): boolean {
  return !isAnonymous(ctx.actor) && ctx.actor.isAdmin
}

/** The actor's platform user id, when the actor is one (a local operator is none). */
export function actorUserId(ctx: ServiceContext): number | undefined {
  return isAnonymous(ctx.actor) ? undefined : ctx.actor.userId
}

export function isSelf(ctx: ServiceContext, userId: number): boolean {
  return actorUserId(ctx) === userId
}

/** Refuses anonymous callers. `action` completes "log in to …". */
export function requireUser(ctx: ServiceContext, action: string): KnownActor {
  if (isAnonymous(ctx.actor)) {
    throw new UnauthenticatedError(`log in to ${action}`, {suggestion: 'log in, or pass an API token (`stayctl tokens create`)'})
  }
  return ctx.actor as KnownActor
}

/** Admins only. `action` completes "only admins may …". */
export function requireAdmin(ctx: ServiceContext, action: string): void {
  requireUser(ctx, action)
  if (!ctx.actor.isAdmin) throw new ForbiddenError(`only admins may ${action}`)
}

/** The user themself or an admin. */
export function requireSelfOrAdmin(ctx: ServiceContext, userId: number, action: string): void {
  requireUser(ctx, action)
  if (!isAdmin(ctx) && !isSelf(ctx, userId)) throw new ForbiddenError(`you may ${action} only for yourself`)
}

/** The owner of a row (a review's author, a token's user) or an admin; `thing` is not yours to `action` otherwise. */
export function requireOwnerOrAdmin(ctx: ServiceContext, ownerId: number, thing: string, action: string): void {
  if (!isAdmin(ctx) && !isSelf(ctx, ownerId)) throw new ForbiddenError(`${thing} is not yours to ${action}`)
}

/**
 * Emails are personal: a user sees their own, admins see everyone's. Whose emails the actor
 * sees: 'all', one user's id, or none (undefined). The one rule, which canSeeEmail applies to
 * a row and the GraphQL compiler (src/graphql/sql) renders as SQL.
 */
export function emailsSeen(ctx: ServiceContext): 'all' | number | undefined {
  return isAdmin(ctx) ? 'all' : actorUserId(ctx)
}

export function canSeeEmail(ctx: ServiceContext, userId: number): boolean {
  const seen = emailsSeen(ctx)
  return seen === 'all' || (seen !== undefined && seen === userId)
}

/**
 * The user an operation acts for: the one named (id, username or email), which a non-admin
 * may only name as themself, or the actor's own user. Returns the reference to look up.
 */
export function actingFor(ctx: ServiceContext, named: string | number | undefined, field: string, action: string): string | number {
  requireUser(ctx, action)
  const own = actorUserId(ctx)
  if (named === undefined || named === null || String(named).trim() === '') {
    if (own === undefined) throw new ValidationError(`${field} is required`, {details: {field}})
    return own
  }
  return named
}

/** After looking the named user up: a non-admin may act only as themself. */
export function requireActingAsSelf(ctx: ServiceContext, userId: number, action: string): void {
  if (!isAdmin(ctx) && !isSelf(ctx, userId)) throw new ForbiddenError(`you may ${action} only as yourself`)
}

function quoted(ctx: ServiceContext, name: string): string {
  return ctx.db.sequelize.getQueryInterface().quoteIdentifier(name)
}

/** SQL: ids of the properties the user owns. `userId` is an integer from a token, never user input. */
function ownedPropertyIds(ctx: ServiceContext, userId: number): string {
  return `SELECT ${quoted(ctx, 'id')} FROM ${quoted(ctx, 'properties')} WHERE ${quoted(ctx, 'owner_id')} = ${Number(userId)}`
}

/** SQL: ids of the bookings the user made or that are on their properties. */
function visibleBookingIds(ctx: ServiceContext, userId: number): string {
  const id = Number(userId)
  return (
    `SELECT ${quoted(ctx, 'id')} FROM ${quoted(ctx, 'bookings')} WHERE ${quoted(ctx, 'guest_id')} = ${id}` +
    ` OR ${quoted(ctx, 'property_id')} IN (${ownedPropertyIds(ctx, id)})`
  )
}

/** SQL: ids of the properties the user has a booking at (any status). */
function bookedPropertyIds(ctx: ServiceContext, userId: number): string {
  return `SELECT ${quoted(ctx, 'property_id')} FROM ${quoted(ctx, 'bookings')} WHERE ${quoted(ctx, 'guest_id')} = ${Number(userId)}`
}

export type VisibleModel = 'Property' | 'Booking' | 'Block' | 'Payment' | 'Review'

/**
 * What an actor may see of each entity: ONE rule per entity, as SQL over the table's own
 * columns, applied to the lists (the scopes below), to single reads (isVisible) and to every
 * nested path of the GraphQL server (the relation loaders, by id and by parent). Undefined:
 * every row (admins).
 * - Property: listed ones; unlisted ones to their host, and to guests with a booking there.
 * - Review: those of the properties the actor sees (a review is as visible as its listing).
 * - Booking: the actor's own stays and the bookings on their properties (none when anonymous).
 * - Block: those on the actor's properties (none when anonymous).
 * - Payment: those of the bookings the actor sees.
 */
export function visibleRowsSql(ctx: ServiceContext, model: VisibleModel): string | undefined {
  if (isAdmin(ctx)) return undefined
  const own = actorUserId(ctx)
  const listed = `${quoted(ctx, 'is_listed')} = 1`
  const property =
    own === undefined
      ? listed
      : `(${listed} OR ${quoted(ctx, 'owner_id')} = ${Number(own)} OR ${quoted(ctx, 'id')} IN (${bookedPropertyIds(ctx, own)}))`
  if (model === 'Property') return property
  if (model === 'Review') return `${quoted(ctx, 'property_id')} IN (SELECT ${quoted(ctx, 'id')} FROM ${quoted(ctx, 'properties')} WHERE ${property})`
  if (own === undefined) return '1 = 0'
  if (model === 'Block') return `${quoted(ctx, 'property_id')} IN (${ownedPropertyIds(ctx, own)})`
  if (model === 'Booking') {
    return `(${quoted(ctx, 'guest_id')} = ${Number(own)} OR ${quoted(ctx, 'property_id')} IN (${ownedPropertyIds(ctx, own)}))`
  }
  return `${quoted(ctx, 'booking_id')} IN (${visibleBookingIds(ctx, own)})`
}

/** The rule of `model` as a Sequelize condition (see visibleRowsSql); undefined when every row is visible. */
export function visibleWhere(ctx: ServiceContext, model: VisibleModel): WhereOptions | undefined {
  const sql = visibleRowsSql(ctx, model)
  return sql === undefined ? undefined : literal(sql)
}

/**
 * What a list of `model` shows the actor, as SQL (visibleRowsSql; undefined: every row).
 * `action` given: the list refuses anonymous callers ("log in to <action>"). The lists of the
 * services (their ListRule) and the GraphQL compiler (src/graphql/sql) both read it here.
 */
export function listScopeSql(ctx: ServiceContext, model: VisibleModel, action?: string): string | undefined {
  if (action !== undefined) requireUser(ctx, action)
  return visibleRowsSql(ctx, model)
}

/** Whether the actor may see row `id` of `model` (see visibleRowsSql). */
export async function isVisible(ctx: ServiceContext, model: VisibleModel, id: number, transaction?: Transaction): Promise<boolean> {
  const sql = visibleRowsSql(ctx, model)
  if (sql === undefined) return true
  const table = ctx.db.models[model].getTableName() as string
  const rows = await ctx.db.sequelize.query(`SELECT 1 AS yes FROM ${quoted(ctx, table)} WHERE ${quoted(ctx, 'id')} = ? AND ${sql}`, {
    replacements: [Number(id)],
    type: QueryTypes.SELECT,
    transaction,
  })
  return rows.length > 0
}

/**
 * Refuses with `refusal()` unless the actor may see row `id` of `model`: the single reads'
 * check, the same rule as the lists and the loaders (see visibleRowsSql).
 */
export async function requireVisible(
  ctx: ServiceContext,
  model: VisibleModel,
  id: number,
  refusal: () => Error,
  transaction?: Transaction,
): Promise<void> {
  if (!(await isVisible(ctx, model, id, transaction))) throw refusal()
}

/**
 * How the actor stands to a booking: its guest, the host of its property, an admin. For the
 * write-side decisions (who may confirm, cancel with which refund, refund); whether the actor
 * may see the booking at all is requireVisible's.
 */
export interface BookingRole {
  guest: boolean
  host: boolean
  admin: boolean
}

export async function bookingRole(
  ctx: ServiceContext,
  booking: {guestId: number; propertyId: number},
  transaction?: Transaction,
): Promise<BookingRole> {
  const own = actorUserId(ctx)
  const property =
    own === undefined ? null : await ctx.db.models.Property.findByPk(booking.propertyId, {attributes: ['id', 'ownerId'], transaction})
  return {
    guest: own !== undefined && own === Number(booking.guestId),
    host: own !== undefined && property !== null && own === Number(property.ownerId),
    admin: isAdmin(ctx),
  }
}
