/**
 * The resolvers: each translates its arguments, calls one operation of src/backend.ts (or
 * the auth functions) with the request's ServiceContext, and shapes the result. Rules and
 * authorization live in the services; relations go through the request's DataLoaders.
 */
import {GraphQLScalarType, Kind, valueFromASTUntyped, type GraphQLResolveInfo, type SelectionSetNode, type ValueNode} from 'graphql'

import {operations as op} from '../backend.js'
import {NotFoundError, UnauthenticatedError} from '../errors.js'
import type {Block, BookingStatus, PaymentKind, PaymentStatus, RefundMode} from '../domain.js'
import type {BookingView} from '../services/bookings.js'
import type {ImportRowsInput} from '../services/import/rows.js'
import type {Page} from '../services/pagination.js'
import type {PaymentView} from '../services/payments.js'
import type {CreatePropertyInput, PropertyView, UpdatePropertyInput} from '../services/properties.js'
import type {ChildPageInput} from '../services/relations.js'
import type {ReviewView} from '../services/reviews.js'
import type {CreateUserInput, UpdateUserInput, UserView} from '../services/users.js'
import {calendarResolvers} from './calendar-resolvers.js'
import type {GraphQLContext as Ctx} from './context.js'
import {LIMITS} from './limits.js'
import type {ByIdLoader, Loaders} from './loaders.js'
import {compiledPage, withCompiledRelations} from './sql/index.js'
import {withTextChecks} from './text-input.js'

type Maybe<T> = T | null | undefined

interface PageArgs {
  first?: Maybe<number>
  after?: Maybe<string>
  sort?: Maybe<string>
}

type Refs = {ref: string}

/** Arguments without their nulls: a null filter is no filter. */
function given<T extends object>(args: T): {[K in keyof T]?: Exclude<T[K], null>} {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined)) as {[K in keyof T]?: Exclude<T[K], null>}
}

/** Input fields without their nulls, except those where null means "clear it". */
function changes<T extends object>(input: T, clearable: string[]): T {
  return Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== null || clearable.includes(k))) as T
}

/** A page as the list operations take it; `keys`: what the document reads of the listed type (see ViewKeys). */
function pageOf(args: PageArgs, keys?: readonly string[]) {
  return {limit: args.first ?? LIMITS.defaultFirst, cursor: args.after ?? undefined, sort: args.sort ?? undefined, keys}
}

function childPage(args: PageArgs & {status?: Maybe<string>; kind?: Maybe<string>}): ChildPageInput {
  return {limit: args.first ?? LIMITS.defaultFirst, cursor: args.after ?? undefined, status: args.status ?? undefined, kind: args.kind ?? undefined}
}

function connection<T>(page: Page<T>) {
  return {nodes: page.items, pageInfo: {hasNextPage: page.nextCursor !== null, endCursor: page.nextCursor}}
}

/** A root list: from one compiled statement (sql/index.ts) when it compiles, else from its list operation. */
async function listed<T>(ctx: Ctx, info: GraphQLResolveInfo, args: object, list: () => Promise<Page<T>>) {
  return (ctx.compileSql ? await compiledPage(ctx.service, info, args as Record<string, unknown>) : undefined) ?? connection(await list())
}

function found<T>(what: string, id: number): (value: T | null) => T {
  return (value) => {
    if (value === null) throw new NotFoundError(`no ${what} ${id}`)
    return value
  }
}

/** The row `id` refers to, from the request's loader: at once when already loaded, else a promise. */
function related<V>(loader: ByIdLoader<V>, what: string, id: number): V | Promise<V> {
  const loaded = loader.peek(id)
  return loaded === undefined ? loader.load(id).then(found(what, id)) : found<V>(what, id)(loaded)
}

/**
 * The selection sets of the fields `name` in `selectionSet`, looking into fragments. Directives
 * are not evaluated: a field under @skip counts as asked for.
 */
function fieldsNamed(selectionSet: SelectionSetNode | undefined, name: string, info: GraphQLResolveInfo): SelectionSetNode[] {
  const found: SelectionSetNode[] = []
  const visit = (set: SelectionSetNode | undefined, spread: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name) found.push(selection.selectionSet ?? {kind: Kind.SELECTION_SET, selections: []})
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, spread)
      else if (!spread.has(selection.name.value)) visit(info.fragments[selection.name.value]?.selectionSet, new Set(spread).add(selection.name.value))
    }
  }
  visit(selectionSet, new Set())
  return found
}

type ByIdLoaderName = 'user' | 'property' | 'booking' | 'payment'

/** The fields of each child type that refer to a row by id: the loader and the attribute holding the id. */
const REFERENCES: Record<'Property' | 'Booking' | 'Review' | 'Payment' | 'Block', Record<string, [ByIdLoaderName, string]>> = {
  Property: {owner: ['user', 'ownerId']},
  Booking: {property: ['property', 'propertyId'], guest: ['user', 'guestId']},
  Review: {property: ['property', 'propertyId'], reviewer: ['user', 'reviewerId']},
  Block: {property: ['property', 'propertyId']},
  Payment: {booking: ['booking', 'bookingId'], refundOf: ['payment', 'refundOfId']},
}

/** The reference fields of `type` that the `nodes` under `fieldNodes` ask for, by the field nodes (one per query and place). */
const askedReferences = new WeakMap<GraphQLResolveInfo['fieldNodes'], [ByIdLoaderName, string][]>()

function referencesAsked(type: keyof typeof REFERENCES, info: GraphQLResolveInfo): [ByIdLoaderName, string][] {
  let asked = askedReferences.get(info.fieldNodes)
  if (!asked) {
    const nodes = info.fieldNodes.flatMap((node) => fieldsNamed(node.selectionSet, 'nodes', info))
    asked = Object.entries(REFERENCES[type])
      .filter(([field]) => nodes.some((set) => fieldsNamed(set, field, info).length > 0))
      .map(([, reference]) => reference)
    askedReferences.set(info.fieldNodes, asked)
  }
  return asked
}

/**
 * A page of children as a connection, once the rows its nodes refer to and the query asks
 * for (e.g. each review's reviewer) are loaded too, so that those fields resolve without a
 * promise. These are the loads the fields would make a tick later: the same statements.
 */
async function childConnection<T extends object>(page: Promise<Page<T>>, type: keyof typeof REFERENCES, info: GraphQLResolveInfo, loaders: Loaders) {
  const {items, nextCursor} = await page
  if (items.length > 0) {
    const asked = referencesAsked(type, info)
    if (asked.length > 0) {
      await Promise.all(
        asked.map(([loader, attribute]) => {
          const ids: number[] = []
          for (const item of items) {
            const id = (item as Record<string, unknown>)[attribute]
            if (typeof id === 'number') ids.push(id)
          }
          return (loaders[loader] as ByIdLoader<unknown>).preload(ids)
        }),
      )
    }
  }
  return connection({items, nextCursor})
}

/** A scalar carried as a string (the services check the value and say what is wrong). */
function stringScalar(name: string): GraphQLScalarType {
  const check = (value: unknown) => {
    if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
    return value
  }
  return new GraphQLScalarType({
    name,
    serialize: (value) => (value instanceof Date ? value.toISOString() : value),
    parseValue: check,
    parseLiteral: (ast: ValueNode) => check(ast.kind === Kind.STRING ? ast.value : undefined),
  })
}

const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
})

/**
 * Every resolver checks the text its arguments carry before it runs (text-input.ts); the
 * relations answer from their parent's compiled JSON when it has some (sql/index.ts).
 */
export const resolvers = withCompiledRelations(withTextChecks({
  Date: stringScalar('Date'),
  DateTime: stringScalar('DateTime'),
  Money: stringScalar('Money'),
  JSON: JSONScalar,

  Query: {
    me: (_: unknown, __: unknown, {service}: Ctx) =>
      service.actor.userId === undefined ? null : op.users.show(service, service.actor.userId),
    user: (_: unknown, {ref}: Refs, {service}: Ctx) => op.users.show(service, ref),
    users: (_: unknown, args: PageArgs & {active?: Maybe<boolean>; admin?: Maybe<boolean>; search?: Maybe<string>}, ctx: Ctx, info: GraphQLResolveInfo) =>
      listed(ctx, info, args, () =>
        op.users.list(ctx.service, {...given({active: args.active, admin: args.admin, search: args.search}), ...pageOf(args, ctx.loaders.keysOf('User'))}),
      ),
    property: (_: unknown, {ref}: Refs, {service}: Ctx) => op.properties.show(service, ref),
    properties: (
      _: unknown,
      args: PageArgs & {owner?: Maybe<string>; minPrice?: Maybe<string>; maxPrice?: Maybe<string>; search?: Maybe<string>; listed?: Maybe<boolean>; availableFrom?: Maybe<string>; availableTo?: Maybe<string>},
      ctx: Ctx,
      info: GraphQLResolveInfo,
    ) => {
      const {first, after, sort, ...filters} = args
      return listed(ctx, info, args, () => op.properties.list(ctx.service, {...given(filters), ...pageOf({first, after, sort}, ctx.loaders.keysOf('Property'))}))
    },
    availableProperties: async (
      _: unknown,
      {from, to, first, after, sort, ...filters}: PageArgs & {from: string; to: string; minPrice?: Maybe<string>; maxPrice?: Maybe<string>; search?: Maybe<string>},
      {service, loaders}: Ctx,
    ) =>
      connection(await op.properties.list(service, {...given(filters), availableFrom: from, availableTo: to, listed: true, ...pageOf({first, after, sort}, loaders.keysOf('Property'))})),
    booking: (_: unknown, {ref}: Refs, {service}: Ctx) => op.bookings.show(service, ref),
    bookings: (
      _: unknown,
      args: PageArgs & {property?: Maybe<string>; guest?: Maybe<string>; status?: Maybe<BookingStatus>; from?: Maybe<string>; to?: Maybe<string>},
      ctx: Ctx,
      info: GraphQLResolveInfo,
    ) => {
      const {first, after, sort, ...filters} = args
      return listed(ctx, info, args, () => op.bookings.list(ctx.service, {...given(filters), ...pageOf({first, after, sort}, ctx.loaders.keysOf('Booking'))}))
    },
    block: (_: unknown, {ref}: Refs, {service}: Ctx) => op.blocks.show(service, ref),
    blocks: (_: unknown, args: PageArgs & Record<'property' | 'source' | 'from' | 'to', Maybe<string>>, ctx: Ctx, info: GraphQLResolveInfo) => {
      const {first, after, sort, ...filters} = args
      return listed(ctx, info, args, () => op.blocks.list(ctx.service, {...given(filters), ...pageOf({first, after, sort})}))
    },
    review: (_: unknown, {id}: {id: number}, {service}: Ctx) => op.reviews.show(service, id),
    reviews: (_: unknown, args: PageArgs & {property?: Maybe<string>; reviewer?: Maybe<string>; minRating?: Maybe<number>}, ctx: Ctx, info: GraphQLResolveInfo) => {
      const {first, after, sort, ...filters} = args
      return listed(ctx, info, args, () => op.reviews.list(ctx.service, {...given(filters), ...pageOf({first, after, sort}, ctx.loaders.keysOf('Review'))}))
    },
    payment: (_: unknown, {ref}: Refs, {service}: Ctx) => op.payments.show(service, ref),
    payments: (
      _: unknown,
      args: PageArgs & {booking?: Maybe<string>; bookingId?: Maybe<number>; kind?: Maybe<PaymentKind>; status?: Maybe<PaymentStatus>},
      ctx: Ctx,
      info: GraphQLResolveInfo,
    ) => {
      const {first, after, sort, ...filters} = args
      return listed(ctx, info, args, () => op.payments.list(ctx.service, {...given(filters), ...pageOf({first, after, sort}, ctx.loaders.keysOf('Payment'))}))
    },
    auditEvents: async (
      _: unknown,
      {first, after, sort, ...filters}: PageArgs & Record<'entity' | 'entityId' | 'actor' | 'action' | 'since' | 'until', Maybe<string>>,
      {service}: Ctx,
    ) => connection(await op.audit.list(service, {...given(filters), ...pageOf({first, after, sort})})),
    whoami: (_: unknown, __: unknown, {service}: Ctx) => op.auth.whoami(service),
    doctor: (_: unknown, __: unknown, {service}: Ctx) => op.database.doctor(service),
    exportPage: (
      _: unknown,
      args: {entity: string; where?: Maybe<string[]>; includePasswordHashes?: Maybe<boolean>; after?: Maybe<number>; first?: Maybe<number>},
      {service}: Ctx,
    ) => op.exports.page(service, {...given(args), entity: args.entity}),
    apiTokens: async (_: unknown, {first, after, sort, ...filters}: PageArgs & {user?: Maybe<string>; all?: Maybe<boolean>}, {service, auth}: Ctx) =>
      connection(await auth.listTokens(service, {...given(filters), ...pageOf({first, after, sort})})),
    ...calendarResolvers.Query,
  },

  Mutation: {
    login: (_: unknown, args: {login: string; password: string}, {service, auth}: Ctx) => auth.login(service, args),
    logout: async (_: unknown, __: unknown, {service, auth, token}: Ctx) => {
      if (!token) throw new UnauthenticatedError('not logged in: no Authorization: Bearer token')
      await auth.logout(service, token)
      return true
    },
    endSession: (_: unknown, __: unknown, {service, auth, token}: Ctx) => {
      if (!token) throw new UnauthenticatedError('not logged in: no Authorization: Bearer token')
      return auth.logout(service, token)
    },
    createApiToken: (_: unknown, args: {name: string; expiresInDays?: Maybe<number>; user?: Maybe<string>}, {service, auth}: Ctx) =>
      auth.createToken(service, {name: args.name, ...given({expiresInDays: args.expiresInDays, user: args.user})}),
    revokeApiToken: async (_: unknown, {id}: {id: number}, {service, auth}: Ctx) => ({id, revoked: true, token: await auth.revokeToken(service, id)}),

    createUser: (_: unknown, {input}: {input: CreateUserInput}, {service}: Ctx) => op.users.create(service, input),
    updateUser: (_: unknown, {ref, input}: Refs & {input: UpdateUserInput}, {service}: Ctx) =>
      op.users.update(service, ref, changes(input, ['firstName', 'lastName'])),
    setUserPassword: (_: unknown, {ref, password, currentPassword}: Refs & {password: string; currentPassword?: Maybe<string>}, {service}: Ctx) =>
      op.users.setPassword(service, ref, password, given({currentPassword})),
    activateUser: (_: unknown, {ref}: Refs, {service}: Ctx) => op.users.activate(service, ref),
    deactivateUser: (_: unknown, {ref}: Refs, {service}: Ctx) => op.users.deactivate(service, ref),
    deleteUser: (_: unknown, {ref, erase}: Refs & {erase?: Maybe<boolean>}, {service}: Ctx) => op.users.delete(service, ref, {erase: Boolean(erase)}),
    eraseUser: (_: unknown, {ref}: Refs, {service}: Ctx) => op.users.erase(service, ref),

    createProperty: (_: unknown, {input}: {input: CreatePropertyInput}, {service}: Ctx) => op.properties.create(service, changes(input, ['description'])),
    updateProperty: (_: unknown, {ref, input}: Refs & {input: UpdatePropertyInput}, {service}: Ctx) =>
      op.properties.update(service, ref, changes(input, ['description'])),
    deleteProperty: (_: unknown, {ref}: Refs, {service}: Ctx) => op.properties.delete(service, ref),

    createBooking: (_: unknown, {input}: {input: Parameters<typeof op.bookings.create>[1]}, {service}: Ctx) =>
      op.bookings.create(service, changes(input, [])),
    confirmBooking: (_: unknown, {ref}: Refs, {service}: Ctx) => op.bookings.confirm(service, ref),
    updateBooking: (_: unknown, {ref, input}: Refs & {input: Parameters<typeof op.bookings.update>[2]}, {service}: Ctx) =>
      op.bookings.update(service, ref, changes(input, [])),
    cancelBooking: (_: unknown, {ref, ...options}: Refs & {refund?: Maybe<RefundMode>; reason?: Maybe<string>; dryRun?: Maybe<boolean>}, {service}: Ctx) =>
      op.bookings.cancel(service, ref, given(options)),

    createBlock: (_: unknown, {input}: {input: Parameters<typeof op.blocks.create>[1]}, {service}: Ctx) => op.blocks.create(service, changes(input, [])),
    updateBlock: (_: unknown, {ref, input}: Refs & {input: Parameters<typeof op.blocks.update>[2]}, {service}: Ctx) =>
      op.blocks.update(service, ref, changes(input, [])),
    deleteBlock: (_: unknown, {ref}: Refs, {service}: Ctx) => op.blocks.delete(service, ref),
    syncSourceBlocks: (_: unknown, args: Parameters<typeof op.blocks.sync>[1] & {dryRun?: Maybe<boolean>}, {service}: Ctx) =>
      op.blocks.sync(service, {...args, events: args.events.map((e) => changes(e, [])), dryRun: args.dryRun ?? undefined}),

    createReview: (_: unknown, {input}: {input: Parameters<typeof op.reviews.create>[1]}, {service}: Ctx) => op.reviews.create(service, changes(input, ['comment'])),
    updateReview: (_: unknown, {id, input}: {id: number; input: Parameters<typeof op.reviews.update>[2]}, {service}: Ctx) =>
      op.reviews.update(service, id, changes(input, ['comment'])),
    deleteReview: (_: unknown, {id}: {id: number}, {service}: Ctx) => op.reviews.delete(service, id),

    recordPayment: (_: unknown, {input}: {input: Parameters<typeof op.payments.record>[1]}, {service}: Ctx) =>
      op.payments.record(service, changes(input, [])),
    refundPayment: (
      _: unknown,
      {ref, ...input}: Refs & {amount?: Maybe<string>; reason?: Maybe<string>; idempotencyKey?: Maybe<string>; dryRun?: Maybe<boolean>},
      {service}: Ctx,
    ) =>
      op.payments.refund(service, ref, given(input)),

    importRows: (_: unknown, {input}: {input: ImportRowsInput}, {service}: Ctx) => op.imports.rows(service, changes(input, [])),
    repairDatabase: (_: unknown, __: unknown, {service}: Ctx) => op.database.doctor(service, {repair: true}),
    ...calendarResolvers.Mutation,
  },

  User: {
    properties: (user: UserView, args: PageArgs, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('user.properties', user.id, childPage(args)), 'Property', info, loaders),
    bookings: (user: UserView, args: PageArgs & {status?: Maybe<string>}, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('user.bookings', user.id, childPage(args)), 'Booking', info, loaders),
    reviews: (user: UserView, args: PageArgs, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('user.reviews', user.id, childPage(args)), 'Review', info, loaders),
  },

  Property: {
    owner: (p: PropertyView, _: unknown, {loaders}: Ctx) => related(loaders.user, 'user', p.ownerId),
    averageRating: async (p: PropertyView & {averageRating?: number | null}, _: unknown, {loaders}: Ctx) =>
      p.averageRating !== undefined ? p.averageRating : (await loaders.rating.load(p.id)).averageRating,
    reviewCount: async (p: PropertyView & {reviewCount?: number}, _: unknown, {loaders}: Ctx) => p.reviewCount ?? (await loaders.rating.load(p.id)).reviewCount,
    upcomingBookings: (p: PropertyView, _: unknown, {loaders}: Ctx) => loaders.upcomingBookings.load(p.id),
    bookings: (p: PropertyView, args: PageArgs & {status?: Maybe<string>}, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('property.bookings', p.id, childPage(args)), 'Booking', info, loaders),
    reviews: (p: PropertyView, args: PageArgs, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('property.reviews', p.id, childPage(args)), 'Review', info, loaders),
    blocks: (p: PropertyView, args: PageArgs, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('property.blocks', p.id, childPage(args)), 'Block', info, loaders),
  },

  Booking: {
    property: (b: BookingView, _: unknown, {loaders}: Ctx) => related(loaders.property, 'property', b.propertyId),
    guest: (b: BookingView, _: unknown, {loaders}: Ctx) => related(loaders.user, 'user', b.guestId),
    payments: (b: BookingView, args: PageArgs & {kind?: Maybe<string>; status?: Maybe<string>}, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('booking.payments', b.id, childPage(args)), 'Payment', info, loaders),
    paid: async (b: BookingView & {paid?: string}, _: unknown, {loaders}: Ctx) => b.paid ?? (await loaders.paymentTotals.load(b.id)).paid,
    refunded: async (b: BookingView & {refunded?: string}, _: unknown, {loaders}: Ctx) => b.refunded ?? (await loaders.paymentTotals.load(b.id)).refunded,
  },

  Block: {
    property: (b: Block, _: unknown, {loaders}: Ctx) => related(loaders.property, 'property', b.propertyId),
  },

  Review: {
    property: (r: ReviewView, _: unknown, {loaders}: Ctx) => related(loaders.property, 'property', r.propertyId),
    reviewer: (r: ReviewView, _: unknown, {loaders}: Ctx) => related(loaders.user, 'user', r.reviewerId),
  },

  Payment: {
    booking: (p: PaymentView, _: unknown, {loaders}: Ctx) => related(loaders.booking, 'booking', p.bookingId),
    refundOf: (p: PaymentView, _: unknown, {loaders}: Ctx) =>
      p.refundOfId === null ? null : (loaders.payment.peek(p.refundOfId) ?? loaders.payment.load(p.refundOfId)),
    refunds: (p: PaymentView, args: PageArgs, {loaders}: Ctx, info: GraphQLResolveInfo) =>
      childConnection(loaders.children('payment.refunds', p.id, childPage(args)), 'Payment', info, loaders),
    refundable: (p: PaymentView & {refundable?: string | null}, _: unknown, {loaders}: Ctx) =>
      p.refundable !== undefined ? p.refundable : loaders.refundable.load(p),
  },
}))
