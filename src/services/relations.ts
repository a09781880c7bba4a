/**
 * Batched reads of related rows, for callers that resolve many parents at once (the GraphQL
 * DataLoaders): rows by id, the children of many parents, and the figures derived from them
 * (ratings, amounts paid, what is left to refund), each in one statement however many
 * parents. They return the same views and compute the same figures as the single-row
 * operations; whatever an actor may not see in those, it may not see here either.
 */
import {Op, type Model, type ModelStatic} from 'sequelize'

import type {Booking, Payment} from '../db/models.js'
import type {Block} from '../domain.js'
import {firstRowsPerParent, rowsByIds, type Condition, type RowOf} from '../db/select.js'
import {BOOKING_STATUSES, PAYMENT_KINDS, PAYMENT_STATUSES} from '../domain.js'
import {ValidationError} from '../errors.js'
import {visibleRowsSql, type VisibleModel} from './authz.js'
import {blockView} from './blocks.js'
import {bookingView, type BookingView} from './bookings.js'
import type {ServiceContext} from './context.js'
import {today} from './dates.js'
import {formatCents, toCents} from './money.js'
import {attributesFor, decodeCursor, encodeCursor, parseLimit, type Page, type ViewKeys} from './pagination.js'
import {paymentView, type PaymentView} from './payments.js'
import {propertyView, type PropertyView} from './properties.js'
import {reviewView, type ReviewView} from './reviews.js'
import {userView, type UserView} from './users.js'

/*
 * Rows are read as plain objects in the one shape the views take (rowsByIds and
 * firstRowsPerParent in src/db/select.ts, which hold the statements), not model instances:
 * building and parsing thousands of instances per request would cost more than the queries.
 */

export type {ViewKeys} from './pagination.js'

async function byIds<M extends Model, V>(
  ctx: ServiceContext,
  model: ModelStatic<M>,
  ids: readonly number[],
  view: (row: RowOf<M>) => V,
  options: {exclude?: string[]; keys?: ViewKeys; visible?: VisibleModel} = {},
): Promise<(V | null)[]> {
  // A row the actor may not see is not there, also at the end of a nested path (a review's property…).
  const rows = await rowsByIds<RowOf<M>>(ctx.db, model as ModelStatic<Model>, ids, {
    exclude: options.exclude,
    only: attributesFor(model as ModelStatic<Model>, options.keys),
    rule: options.visible && visibleRowsSql(ctx, options.visible),
  })
  const found = new Map(rows.map((row) => [Number((row as {id: number}).id), view(row)]))
  return ids.map((id) => found.get(Number(id)) ?? null)
}

/** Users by id, in the order asked; null where there is none. `keys`: see ViewKeys. */
export const usersByIds = (ctx: ServiceContext, ids: readonly number[], keys?: ViewKeys): Promise<(UserView | null)[]> =>
  byIds(ctx, ctx.db.models.User, ids, (user) => userView(ctx, user), {exclude: ['passwordHash'], keys})
export const propertiesByIds = (ctx: ServiceContext, ids: readonly number[], keys?: ViewKeys): Promise<(PropertyView | null)[]> =>
  byIds(ctx, ctx.db.models.Property, ids, propertyView, {keys, visible: 'Property'})
export const bookingsByIds = (ctx: ServiceContext, ids: readonly number[], keys?: ViewKeys): Promise<(BookingView | null)[]> =>
  byIds(ctx, ctx.db.models.Booking, ids, bookingView, {keys, visible: 'Booking'})
export const paymentsByIds = (ctx: ServiceContext, ids: readonly number[], keys?: ViewKeys): Promise<(PaymentView | null)[]> =>
  byIds(ctx, ctx.db.models.Payment, ids, paymentView, {keys, visible: 'Payment'})

/** The one-to-many relations, by the parent's name and the children's. */
interface ChildViews {
  'user.properties': PropertyView
  'user.bookings': BookingView
  'user.reviews': ReviewView
  'property.bookings': BookingView
  'property.reviews': ReviewView
  'property.blocks': Block
  'booking.payments': PaymentView
  'payment.refunds': PaymentView
}
export type ChildRelation = keyof ChildViews

export interface RelationSpec {
  model: 'Property' | 'Booking' | 'Review' | 'Payment' | 'Block'
  /** The foreign key column pointing at the parent, and its attribute. */
  column: string
  attribute: string
  /** Filters callers may pass, each a column and its allowed values. */
  filters: Partial<Record<'status' | 'kind', readonly string[]>>
}

const bookingFilters = {status: BOOKING_STATUSES}
const paymentFilters = {status: PAYMENT_STATUSES, kind: PAYMENT_KINDS}

const RELATIONS: Record<ChildRelation, RelationSpec> = {
  'user.properties': {model: 'Property', column: 'owner_id', attribute: 'ownerId', filters: {}},
  'user.bookings': {model: 'Booking', column: 'guest_id', attribute: 'guestId', filters: bookingFilters},
  'user.reviews': {model: 'Review', column: 'reviewer_id', attribute: 'reviewerId', filters: {}},
  'property.bookings': {model: 'Booking', column: 'property_id', attribute: 'propertyId', filters: bookingFilters},
  'property.reviews': {model: 'Review', column: 'property_id', attribute: 'propertyId', filters: {}},
  'property.blocks': {model: 'Block', column: 'property_id', attribute: 'propertyId', filters: {}},
  'booking.payments': {model: 'Payment', column: 'booking_id', attribute: 'bookingId', filters: paymentFilters},
  'payment.refunds': {model: 'Payment', column: 'refund_of_id', attribute: 'refundOfId', filters: paymentFilters},
}

/** The children's model, foreign key and filters of `relation` (for statements of their own: src/graphql/sql). */
export const relationSpec = (relation: ChildRelation): Readonly<RelationSpec> => RELATIONS[relation]

/** The model (and GraphQL type) of the children of `relation`. */
export const childModelOf = (relation: ChildRelation): RelationSpec['model'] => RELATIONS[relation].model

const VIEWS = {Property: propertyView, Booking: bookingView, Review: reviewView, Payment: paymentView, Block: blockView} as const

export interface ChildPageInput {
  /** Children per parent (1–1000). */
  limit?: number
  /** A cursor from an earlier page of this relation: children after it, by id. */
  cursor?: string
  status?: string
  kind?: string
}

/**
 * A page of children for each parent (in the order of `parentIds`), ordered by id, in one
 * statement. Cursors are those of the list operations sorted by id, so a page begun here
 * can be continued there (e.g. `listBookings({property, sort: 'id', cursor})`).
 */
export async function childrenOf<R extends ChildRelation>(
  ctx: ServiceContext,
  relation: R,
  parentIds: readonly number[],
  input: ChildPageInput = {},
  /** See ViewKeys. */
  keys?: ViewKeys,
): Promise<Page<ChildViews[R]>[]> {
  const spec = RELATIONS[relation]
  const limit = parseLimit(input.limit)
  const conditions: Condition[] = []
  if (input.cursor) conditions.push(['id', '>', decodeCursor(input.cursor, 'id', false)[1]])
  for (const name of ['status', 'kind'] as const) {
    const value = input[name]
    if (value === undefined) continue
    const allowed = spec.filters[name]
    if (!allowed) throw new ValidationError(`${relation} cannot be filtered by ${name}`, {details: {field: name}})
    if (!allowed.includes(value)) throw new ValidationError(`${name} must be one of ${allowed.join(', ')}`, {details: {field: name}})
    conditions.push([name, '=', value])
  }
  const model = ctx.db.models[spec.model] as ModelStatic<Model>
  // Nested reads see what the list operations would show this actor, no more.
  const only = attributesFor(model, keys, [spec.attribute])
  const rows = await firstRowsPerParent<Record<string, unknown>>(ctx.db, model, {column: spec.column, ids: parentIds}, ['id'], limit + 1, {
    conditions,
    rule: visibleRowsSql(ctx, spec.model),
    only,
  })
  const byParent = new Map<number, Record<string, unknown>[]>()
  for (const row of rows) {
    const parent = Number(row[spec.attribute])
    const siblings = byParent.get(parent)
    if (siblings) siblings.push(row)
    else byParent.set(parent, [row])
  }
  const view = VIEWS[spec.model] as unknown as (row: Record<string, unknown>) => ChildViews[R]
  return parentIds.map((id) => {
    const children = byParent.get(Number(id)) ?? []
    const items = children.slice(0, limit)
    const more = children.length > limit
    return {items: items.map(view), nextCursor: more ? encodeCursor('id', null, Number(items.at(-1)!.id)) : null}
  })
}

/** The next (at most 10) live bookings of each property, by check-in: as `showProperty` lists them. */
export async function upcomingBookingsOf(ctx: ServiceContext, propertyIds: readonly number[]): Promise<BookingView[][]> {
  const rows = await firstRowsPerParent<RowOf<Booking>>(ctx.db, ctx.db.models.Booking, {column: 'property_id', ids: propertyIds}, ['start_date', 'id'], 10, {
    conditions: [
      ['end_date', '>', today()],
      ['status', '<>', 'cancelled'],
    ],
    rule: visibleRowsSql(ctx, 'Booking'),
  })
  return propertyIds.map((id) => rows.filter((b) => Number(b.propertyId) === Number(id)).map(bookingView))
}

export interface RatingSummary {
  /** Rounded to two places; null without reviews. */
  averageRating: number | null
  reviewCount: number
}

/** Average rating and number of reviews of each property, as `showProperty` gives them. */
export async function ratingsOf(ctx: ServiceContext, propertyIds: readonly number[]): Promise<RatingSummary[]> {
  const {sequelize} = ctx.db
  const rows = (await ctx.db.models.Review.findAll({
    attributes: ['propertyId', [sequelize.fn('AVG', sequelize.col('rating')), 'average'], [sequelize.fn('COUNT', sequelize.col('id')), 'count']],
    where: {propertyId: {[Op.in]: [...new Set(propertyIds)]}},
    group: ['propertyId'],
    raw: true,
  })) as unknown as {propertyId: number; average: string | number; count: string | number}[]
  const byProperty = new Map(rows.map((r) => [Number(r.propertyId), r]))
  return propertyIds.map((id) => {
    const row = byProperty.get(Number(id))
    const count = Number(row?.count ?? 0)
    return {averageRating: count > 0 ? Math.round(Number(row!.average) * 100) / 100 : null, reviewCount: count}
  })
}

/** What each booking has been paid and refunded (completed payments), as `showBooking` sums them. */
export async function paymentTotalsOf(ctx: ServiceContext, bookingIds: readonly number[]): Promise<{paid: string; refunded: string}[]> {
  const payments = (await ctx.db.models.Payment.findAll({
    attributes: ['bookingId', 'kind', 'amount'],
    where: {bookingId: {[Op.in]: [...new Set(bookingIds)]}, status: {[Op.in]: ['completed', 'refunded']}},
    raw: true,
  })) as unknown as Payment[]
  const cents = new Map<string, number>()
  for (const p of payments) {
    const key = `${Number(p.bookingId)}:${p.kind}`
    cents.set(key, (cents.get(key) ?? 0) + toCents(p.amount))
  }
  return bookingIds.map((id) => ({
    paid: formatCents(cents.get(`${Number(id)}:charge`) ?? 0),
    refunded: formatCents(cents.get(`${Number(id)}:refund`) ?? 0),
  }))
}

/** What can still be refunded of each payment, as `showPayment` says: null for refunds. */
export async function refundableOf(ctx: ServiceContext, payments: readonly PaymentView[]): Promise<(string | null)[]> {
  const charges = payments.filter((p) => p.kind === 'charge').map((p) => p.id)
  const refunds =
    charges.length === 0
      ? []
      : ((await ctx.db.models.Payment.findAll({
          attributes: ['refundOfId', 'amount'],
          where: {refundOfId: {[Op.in]: [...new Set(charges)]}, status: 'completed'},
          raw: true,
        })) as unknown as Payment[])
  const refunded = new Map<number, number>()
  for (const r of refunds) refunded.set(Number(r.refundOfId), (refunded.get(Number(r.refundOfId)) ?? 0) + toCents(r.amount))
  return payments.map((p) => {
    if (p.kind !== 'charge') return null
    const refundable = p.status === 'completed' || p.status === 'refunded' ? toCents(p.amount) - (refunded.get(p.id) ?? 0) : 0
    return formatCents(refundable)
  })
}
