/**
 * Listings: create, search (owner, price, text, availability over dates), show with upcoming
 * bookings and ratings, update (incl. unlisting) and delete (refused while bookings exist).
 * Anyone may search and view listed properties; hosts manage their own; admins any.
 */
import {Op, literal, type Transaction, type WhereOptions} from 'sequelize'

import type {Property} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import type {CancellationPolicy} from '../domain.js'
import {ConflictError, ForbiddenError, ValidationError} from '../errors.js'
import {audit, createAudited, updateAudited} from './audit.js'
import {actingFor, actorUserId, isAdmin, isVisible, listScopeSql, requireActingAsSelf, requireUser, visibleWhere} from './authz.js'
import type {ServiceContext} from './context.js'
import {parseStay, today} from './dates.js'
import {formatCents, parseAmount, toCents} from './money.js'
import {listPage, type ListRule, type Page, type PageInput} from './pagination.js'
import {checkPolicy} from './policies.js'
import {openCalendars, propertiesFreeSql} from './rules/gaps.js'
import {checkAddress, checkDescription, checkPricePerNight, checkPropertyName, ownerRefusal} from './rules/properties.js'
import {containsAny} from './search.js'
import {loadRow, notFound} from './find.js'
import {ambiguousName, pickByName, resolveProperty, type PropertyResolution} from './refs/properties.js'
import {inTransaction} from './transaction.js'
import {findUser} from './users.js'

export interface PropertyView {
  id: number
  ownerId: number
  name: string
  description: string | null
  address: string
  pricePerNight: string
  cancellationPolicy: CancellationPolicy
  isListed: boolean
  createdAt: string
  updatedAt: string
}

export function propertyView(property: RowOf<Property>): PropertyView {
  return {
    id: property.id,
    ownerId: Number(property.ownerId),
    name: property.name,
    description: property.description,
    address: property.address,
    pricePerNight: formatCents(toCents(property.pricePerNight)),
    cancellationPolicy: property.cancellationPolicy,
    isListed: property.isListed,
    createdAt: property.createdAt,
    updatedAt: property.updatedAt,
  }
}

/**
 * The property a resolution names, as a model instance; unknown: a NotFoundError; a name
 * several hosts use: a ValidationError (the reference is bad input: it names no one property)
 * with the importer's words, and how to name one instead.
 */
async function loadProperty(ctx: ServiceContext, ref: string | number, resolution: PropertyResolution, transaction?: Transaction): Promise<Property> {
  const name = String(ref).trim()
  if (resolution.ambiguous) {
    const hosts = [...new Set(resolution.ambiguous.map((p) => p.ownerUsername))]
    throw new ValidationError(ambiguousName(name, resolution.ambiguous), {
      suggestion: `refer to one by id (\`stayctl properties list --search "${name}"\` shows them)`,
      details: {field: 'property', hosts},
    })
  }
  return loadRow(ctx.db.models.Property, resolution.property?.id, () => notFound(ref, 'property', 'properties'), transaction)
}

/** A property by id or name (exactly, on every database: refs/resolver.ts); a name several hosts use is refused. */
export async function findProperty(ctx: ServiceContext, ref: string | number, transaction?: Transaction): Promise<Property> {
  return loadProperty(ctx, ref, await resolveProperty(ctx, transaction, {property: String(ref)}), transaction)
}

/** A list's filter to one property's rows (its bookings, its blocks), by id or name; none when no property is named. */
export async function ofProperty(ctx: ServiceContext, ref: string | number | undefined): Promise<{propertyId: number} | undefined> {
  return ref === undefined ? undefined : {propertyId: (await findProperty(ctx, ref)).id}
}

export interface CreatePropertyInput {
  /** The host: id, username or email; the caller when absent. Only admins list for someone else. */
  owner?: string | number
  name: string
  description?: string | null
  address: string
  /** Decimal string such as "120.00". */
  pricePerNight: string
  cancellationPolicy?: string
}

export async function createProperty(ctx: ServiceContext, input: CreatePropertyInput): Promise<PropertyView> {
  const name = checkPropertyName(input.name)!
  const address = checkAddress(input.address)!
  const description = checkDescription(input.description) ?? null
  const cents = checkPricePerNight(input.pricePerNight)
  const cancellationPolicy = checkPolicy(input.cancellationPolicy ?? 'moderate')
  const ownerRef = actingFor(ctx, input.owner, 'owner', 'list a property')
  return inTransaction(ctx, async (transaction) => {
    const owner = await findUser(ctx, ownerRef, transaction)
    requireActingAsSelf(ctx, owner.id, 'list a property')
    const refusal = ownerRefusal(owner, true)
    if (refusal) throw new ConflictError(refusal)
    const pricePerNight = formatCents(cents)
    const property = await createAudited(
      ctx,
      transaction,
      ctx.db.models.Property,
      {ownerId: owner.id, name, address, description, pricePerNight, cancellationPolicy},
      {action: 'property.create', entity: 'property', changes: {ownerId: owner.id, name, pricePerNight, cancellationPolicy}},
    )
    await openCalendars(ctx, transaction, [property.id])
    return propertyView(rowOf(property))
  })
}

export interface ListPropertiesInput extends PageInput {
  owner?: string | number
  minPrice?: string
  maxPrice?: string
  /** Substring of name, address or description. */
  search?: string
  /** Free for the whole stay [availableFrom, availableTo). */
  availableFrom?: string
  availableTo?: string
  listed?: boolean
}

/**
 * Properties free for the whole stay [availableFrom, availableTo): one of their gaps holds it
 * (no live booking and no block overlaps it). The gaps (rules/gaps.ts) are read by index
 * ranges whose rows are nearly all answers, once, not probed property by property.
 */
function availableWhere(ctx: ServiceContext, input: ListPropertiesInput): WhereOptions | undefined {
  if (input.availableFrom === undefined && input.availableTo === undefined) return undefined
  if (input.availableFrom === undefined || input.availableTo === undefined) {
    throw new ValidationError('give both --available-from and --available-to', {details: {field: 'availableTo'}})
  }
  const {startDate, endDate} = parseStay(input.availableFrom, input.availableTo)
  const qi = ctx.db.sequelize.getQueryInterface()
  const free = propertiesFreeSql(startDate, endDate, (date) => ctx.db.sequelize.escape(date))
  return literal(`${qi.quoteIdentifier('Property')}.id IN (${free})`)
}

/** What `properties list` shows (authz.ts) and sorts by. */
export const propertyList: ListRule = {scope: (ctx) => listScopeSql(ctx, 'Property'), sortable: ['name', 'pricePerNight', 'createdAt']}

/** Searches properties: unlisted ones only for their host and admins. Open to anonymous callers. */
export async function listProperties(ctx: ServiceContext, input: ListPropertiesInput = {}): Promise<Page<PropertyView>> {
  return listPage(ctx, propertyList, {model: ctx.db.models.Property, view: propertyView, input}, async () => [
    input.owner !== undefined && {ownerId: (await findUser(ctx, input.owner)).id},
    input.minPrice !== undefined && {pricePerNight: {[Op.gte]: formatCents(parseAmount(input.minPrice, 'min price'))}},
    input.maxPrice !== undefined && {pricePerNight: {[Op.lte]: formatCents(parseAmount(input.maxPrice, 'max price'))}},
    input.listed !== undefined && {isListed: input.listed},
    input.search && containsAny(ctx.db.sequelize, ['name', 'address', 'description'], input.search),
    availableWhere(ctx, input),
  ])
}

export interface PropertyDetails extends PropertyView {
  owner: {id: number; username: string}
  averageRating: number | null
  reviewCount: number
  upcomingBookings: {id: number; startDate: string; endDate: string; status: string; guestId: number}[]
}

/** True when the actor hosts the property or is an admin. */
function managesProperty(ctx: ServiceContext, property: Property): boolean {
  return isAdmin(ctx) || (actorUserId(ctx) !== undefined && actorUserId(ctx) === Number(property.ownerId))
}

/**
 * A property the actor may see (authz.ts visibleRowsSql): to others, an unlisted one does not
 * exist, nor does it make the name it shares with a property they see ambiguous.
 */
export async function findVisibleProperty(ctx: ServiceContext, ref: string | number): Promise<Property> {
  let resolution = await resolveProperty(ctx, undefined, {property: String(ref)})
  if (resolution.ambiguous) {
    const seen = await Promise.all(resolution.ambiguous.map((p) => isVisible(ctx, 'Property', p.id)))
    resolution = pickByName(String(ref).trim(), resolution.ambiguous.filter((_, i) => seen[i]))
  }
  const property = await loadProperty(ctx, ref, resolution)
  if (!(await isVisible(ctx, 'Property', property.id))) throw notFound(ref, 'property', 'properties')
  return property
}

/**
 * One property, open to anyone while listed (unlisted: its host, admins and its guests only).
 * Upcoming bookings are the host's business: others see only their own among them.
 */
export async function showProperty(ctx: ServiceContext, ref: string | number): Promise<PropertyDetails> {
  const property = await findVisibleProperty(ctx, ref)
  const {Booking, Review, User} = ctx.db.models
  // Upcoming bookings as the actor may see bookings (authz.ts): all of them for the host.
  const visible = visibleWhere(ctx, 'Booking')
  const [owner, stats, upcoming] = await Promise.all([
    User.findByPk(property.ownerId),
    Review.findOne({
      attributes: [
        [ctx.db.sequelize.fn('AVG', ctx.db.sequelize.col('rating')), 'average'],
        [ctx.db.sequelize.fn('COUNT', ctx.db.sequelize.col('id')), 'count'],
      ],
      where: {propertyId: property.id},
      raw: true,
    }) as Promise<{average: string | number | null; count: string | number} | null>,
    Booking.findAll({
      where: {propertyId: property.id, endDate: {[Op.gt]: today()}, status: {[Op.ne]: 'cancelled'}, ...(visible ? {[Op.and]: [visible]} : {})},
      order: [['startDate', 'ASC']],
      limit: 10,
    }),
  ])
  const count = Number(stats?.count ?? 0)
  return {
    ...propertyView(rowOf(property)),
    owner: {id: owner!.id, username: owner!.username},
    averageRating: count > 0 ? Math.round(Number(stats!.average) * 100) / 100 : null,
    reviewCount: count,
    upcomingBookings: upcoming.map((b) => ({
      id: b.id,
      startDate: b.startDate,
      endDate: b.endDate,
      status: b.status,
      guestId: Number(b.guestId),
    })),
  }
}

export interface UpdatePropertyInput {
  name?: string
  description?: string | null
  address?: string
  pricePerNight?: string
  cancellationPolicy?: string
  isListed?: boolean
}

/** Refuses anyone but the property's host and admins. */
function requireManager(ctx: ServiceContext, property: Property, action: string): void {
  if (!managesProperty(ctx, property)) throw new ForbiddenError(`only the host of property ${property.id} or an admin may ${action} it`)
}

export async function updateProperty(ctx: ServiceContext, ref: string | number, input: UpdatePropertyInput): Promise<PropertyView> {
  requireUser(ctx, 'update properties')
  const changes: Record<string, unknown> = {
    name: checkPropertyName(input.name),
    description: checkDescription(input.description),
    address: checkAddress(input.address),
    cancellationPolicy: input.cancellationPolicy === undefined ? undefined : checkPolicy(input.cancellationPolicy),
    isListed: input.isListed,
  }
  if (input.pricePerNight !== undefined) {
    changes.pricePerNight = formatCents(checkPricePerNight(input.pricePerNight))
  }
  return inTransaction(ctx, async (transaction) => {
    const property = await findProperty(ctx, ref, transaction)
    requireManager(ctx, property, 'update')
    await updateAudited(ctx, transaction, property, changes, {action: 'property.update', entity: 'property', before: propertyView(rowOf(property))})
    return propertyView(rowOf(property))
  })
}

export async function deleteProperty(ctx: ServiceContext, ref: string | number): Promise<{id: number; deleted: true}> {
  requireUser(ctx, 'delete properties')
  return inTransaction(ctx, async (transaction) => {
    const property = await findProperty(ctx, ref, transaction)
    requireManager(ctx, property, 'delete')
    const bookings = await ctx.db.models.Booking.count({where: {propertyId: property.id}, transaction})
    if (bookings > 0) {
      throw new ConflictError(`property ${property.id} has ${bookings} booking(s), so it cannot be deleted`, {
        suggestion: `unlist it instead: \`stayctl properties update ${property.id} --unlist\``,
        details: {bookings},
      })
    }
    await ctx.db.models.Review.destroy({where: {propertyId: property.id}, transaction})
    await property.destroy({transaction})
    await audit(ctx, transaction, {action: 'property.delete', entity: 'property', entityId: property.id, changes: null})
    return {id: property.id, deleted: true as const}
  })
}

