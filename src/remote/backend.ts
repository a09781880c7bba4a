/**
 * The remote backend: every operation of src/backend.ts as a GraphQL request to a `stayctl
 * serve`, returning exactly what the local operation returns (same fields, same order, same
 * values), so a command renders the same output and `--json` whichever backend ran it.
 * Errors come back as the same domain errors through the client (src/remote/client.ts).
 *
 * Lists: the server gives at most 100 rows per request (a limit that protects it), commands
 * up to 1000; a longer page is fetched as consecutive requests of 100 that follow the server's
 * cursors, which are the local ones, so the rows and the next cursor are those of one local
 * page. Reads are sent as idempotent (retried when the server cannot be reached), mutations
 * only when they carry an idempotency key. The documents are in src/remote/documents.ts.
 */
import type {Backend} from '../backend.js'
import {ValidationError} from '../errors.js'
import type {CreatedToken, Identity, LoginResult, TokenView} from '../services/auth.js'
import type {BookingDetails, BookingView, CancelBookingResult} from '../services/bookings.js'
import type {Block, SyncSourceBlocksResult} from '../domain.js'
import type {DoctorReport} from '../services/doctor.js'
import type {ExportPage} from '../services/export.js'
import type {ImportRowsResult} from '../services/import/rows.js'
import type {Page, PageInput} from '../services/pagination.js'
import type {PaymentDetails, PaymentView, RefundResult} from '../services/payments.js'
import type {PropertyDetails, PropertyView} from '../services/properties.js'
import type {ReviewView} from '../services/reviews.js'
import type {DeleteUserResult, EraseUserResult, UserView} from '../services/users.js'
import {remoteCalendar} from './calendar.js'
import type {RemoteClient} from './client.js'
import {DOCUMENTS as D, LISTS, SERVER_MAX_FIRST, listDocument, type ListSpec} from './documents.js'

/** What commands may ask per page (src/services/pagination.ts). */
const DEFAULT_LIMIT = 50
const MAX_LIMIT = 1000

interface Connection<T> {
  nodes: T[]
  pageInfo: {hasNextPage: boolean; endCursor: string | null}
}

type Vars = Record<string, unknown>

const ref = (value: string | number) => String(value)
const optionalRef = (value: string | number | undefined) => (value === undefined ? undefined : String(value))
const optionalMoney = (value: string | number | undefined) => (value === undefined ? undefined : String(value))

/** The same check, and message, as the local parseLimit. */
function checkLimit(limit: number | undefined): number {
  const value = limit ?? DEFAULT_LIMIT
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new ValidationError(`limit must be from 1 to ${MAX_LIMIT}, got ${limit}`, {details: {field: 'limit'}})
  }
  return value
}

/** Integer-looking strings as numbers (a CLI flag may give "5"); anything else as given, for the server to judge. */
function integerish(value: number | string): number | string {
  return typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value
}
const optionalInteger = (value: number | string | undefined) => (value === undefined ? undefined : integerish(value))

/** Keeps what the caller gave, dropping undefined (null stays: it clears a field). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The fields `keys` of `input` the caller gave, in that order (undefined dropped, null kept). */
function given<T extends object, K extends keyof T>(input: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return defined(Object.fromEntries(keys.map((key) => [key, input[key]])) as Pick<T, K>)
}

/** How a field of a local input goes into a GraphQL input: as it is (true), or converted. */
type Fields<T> = {[K in keyof T]?: true | ((value: T[K]) => unknown)}

/** The GraphQL input made of the fields named, in that order; undefined dropped, null kept. */
function inputOf<T extends object>(input: T, fields: Fields<T>): Vars {
  const entries = Object.entries(fields) as [keyof T & string, true | ((value: unknown) => unknown)][]
  return defined(Object.fromEntries(entries.map(([key, convert]) => [key, convert === true ? input[key] : convert(input[key])])))
}

/** All the nodes of a nested connection, following its cursor past 100. */
async function allNodes<T>(first: Connection<T>, more: (after: string) => Promise<Connection<T>>): Promise<T[]> {
  const nodes = [...first.nodes]
  let page = first
  while (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
    page = await more(page.pageInfo.endCursor)
    nodes.push(...page.nodes)
  }
  return nodes
}

/** The requests of the remote backend; each answers with the value of its document's one root field. */
interface Calls {
  /** A read: sent as idempotent. */
  read<T>(document: string, variables?: Vars): Promise<T>
  /** A mutation: idempotent only when it carries an idempotency key. */
  write<T>(document: string, variables?: Vars, idempotent?: boolean): Promise<T>
  /**
   * One page of a list as the local operation gives it: `limit` rows (in requests of at most
   * 100) and the cursor after the last, or null when nothing follows.
   */
  list<T, S extends ListSpec>(spec: S, filters: {[K in keyof S['filters']]: unknown}, input: PageInput): Promise<Page<T>>
  client: RemoteClient
}

const rootOf = <T>(data: Record<string, T>): T => Object.values(data)[0]

function calls(client: RemoteClient): Calls {
  const read = async <T>(document: string, variables?: Vars) => rootOf(await client.request<Record<string, T>>(document, variables, {idempotent: true}))
  return {
    client,
    read,
    write: async <T>(document: string, variables?: Vars, idempotent = false) =>
      rootOf(await client.request<Record<string, T>>(document, variables, {idempotent})),
    async list<T>(spec: ListSpec, filters: Vars, input: PageInput): Promise<Page<T>> {
      const limit = checkLimit(input.limit)
      const document = listDocument(spec)
      const items: T[] = []
      let after = input.cursor
      for (;;) {
        const first = Math.min(limit - items.length, SERVER_MAX_FIRST)
        const page = await read<Connection<T>>(document, {...filters, first, after, sort: input.sort})
        items.push(...page.nodes)
        if (!page.pageInfo.hasNextPage) return {items, nextCursor: null}
        if (items.length >= limit || page.nodes.length === 0) return {items, nextCursor: page.pageInfo.endCursor}
        after = page.pageInfo.endCursor ?? undefined
      }
    },
  }
}

function users({read, write, list}: Calls): Backend['users'] {
  return {
    create: async (input) =>
      write<UserView>(D.createUser, {input: given(input, ['username', 'email', 'password', 'firstName', 'lastName', 'isAdmin', 'isActive'])}),
    list: async (input = {}) => list(LISTS.users, {active: input.active, admin: input.admin, search: input.search}, input),
    show: async (userRef) => read<UserView>(D.showUser, {ref: ref(userRef)}),
    update: async (userRef, input) =>
      write<UserView>(D.updateUser, {
        ref: ref(userRef),
        input: given(input, ['username', 'email', 'firstName', 'lastName', 'isAdmin']),
      }),
    setPassword: async (userRef, password, options = {}) =>
      write<UserView>(D.setUserPassword, {ref: ref(userRef), password, currentPassword: options.currentPassword}),
    activate: async (userRef) => write<UserView>(D.activateUser, {ref: ref(userRef)}),
    deactivate: async (userRef) => write<UserView>(D.deactivateUser, {ref: ref(userRef)}),
    delete: async (userRef, options = {}) => write<DeleteUserResult>(D.deleteUser, {ref: ref(userRef), erase: options.erase}),
    erase: async (userRef) => write<EraseUserResult>(D.eraseUser, {ref: ref(userRef)}),
  }
}

/** The fields of a property's create and update inputs, in the order of the local views. */
const PROPERTY_FIELDS = {name: true, description: true, address: true, pricePerNight: optionalMoney, cancellationPolicy: true} as const

function properties({read, write, list}: Calls): Backend['properties'] {
  return {
    create: async (input) =>
      write<PropertyView>(D.createProperty, {input: inputOf(input, {owner: optionalRef, ...PROPERTY_FIELDS})}),
    list: async (input = {}) =>
      list(
        LISTS.properties,
        {
          owner: optionalRef(input.owner),
          minPrice: input.minPrice,
          maxPrice: input.maxPrice,
          search: input.search,
          listed: input.listed,
          availableFrom: input.availableFrom,
          availableTo: input.availableTo,
        },
        input,
      ),
    show: async (propertyRef) => read<PropertyDetails>(D.showProperty, {ref: ref(propertyRef)}),
    update: async (propertyRef, input) =>
      write<PropertyView>(D.updateProperty, {
        ref: ref(propertyRef),
        input: inputOf(input, {...PROPERTY_FIELDS, isListed: true}),
      }),
    delete: async (propertyRef) => write<{id: number; deleted: true}>(D.deleteProperty, {ref: ref(propertyRef)}),
  }
}

function bookings({read, write, list}: Calls): Backend['bookings'] {
  return {
    create: async (input) =>
      write<BookingView>(D.createBooking, {
        input: inputOf(input, {property: ref, guest: optionalRef, startDate: true, endDate: true, externalRef: true, allowPast: true}),
      }),
    list: async (input = {}) =>
      list(
        LISTS.bookings,
        {property: optionalRef(input.property), guest: optionalRef(input.guest), status: input.status, from: input.from, to: input.to},
        input,
      ),
    async show(bookingRef) {
      type Shown = BookingView & Pick<BookingDetails, 'property' | 'guest' | 'paid' | 'refunded'> & {payments: Connection<PaymentView>}
      const booking = await read<Shown>(D.showBooking, {ref: ref(bookingRef)})
      const {payments, paid, refunded, ...view} = booking
      const all = await allNodes(payments, (after) => read<Connection<PaymentView>>(D.bookingPayments, {id: view.id, after}))
      return {...view, payments: all, paid, refunded} satisfies BookingDetails
    },
    confirm: async (bookingRef) => write<BookingView>(D.confirmBooking, {ref: ref(bookingRef)}),
    update: async (bookingRef, input) =>
      write<BookingView>(D.updateBooking, {ref: ref(bookingRef), input: inputOf(input, {startDate: true, endDate: true, totalPrice: optionalMoney})}),
    cancel: async (bookingRef, options = {}) =>
      write<CancelBookingResult>(D.cancelBooking, {ref: ref(bookingRef), refund: options.refund, reason: options.reason, dryRun: options.dryRun}),
  }
}

function blocks({read, write, list}: Calls): Backend['blocks'] {
  return {
    create: async (input) =>
      write<Block>(D.createBlock, {input: inputOf(input, {property: ref, startDate: true, endDate: true, reason: true, source: true, sourceUid: true})}),
    list: async (input = {}) => list(LISTS.blocks, {property: optionalRef(input.property), source: input.source, from: input.from, to: input.to}, input),
    show: async (blockRef) => read<Block>(D.showBlock, {ref: ref(blockRef)}),
    update: async (blockRef, input) => write<Block>(D.updateBlock, {ref: ref(blockRef), input: given(input, ['startDate', 'endDate', 'reason'])}),
    delete: async (blockRef) => write<{id: number; deleted: true}>(D.deleteBlock, {ref: ref(blockRef)}),
    async sync(input) {
      // Not a list: sent as it is, for the server to refuse as the local operation does.
      const events = Array.isArray(input.events) ? input.events.map((e) => given(e, ['uid', 'start', 'end', 'reason'])) : input.events
      const result = await write<SyncSourceBlocksResult>(D.syncSourceBlocks, {property: ref(input.property), source: input.source, events, dryRun: input.dryRun})
      // An overlap without an earlier event of the sync has no uid key locally.
      const conflicts = (result.conflicts ?? []).map((c) => {
        const {uid, ...overlaps} = c.overlaps
        return {...c, overlaps: uid === null || uid === undefined ? overlaps : {...overlaps, uid}}
      })
      return {...result, conflicts}
    },
  }
}

function reviews({read, write, list}: Calls): Backend['reviews'] {
  return {
    create: async (input) =>
      write<ReviewView>(D.createReview, {
        input: inputOf(input, {property: ref, reviewer: optionalRef, rating: integerish, comment: true}),
      }),
    list: async (input = {}) =>
      list(LISTS.reviews, {property: optionalRef(input.property), reviewer: optionalRef(input.reviewer), minRating: input.minRating}, input),
    show: async (id) => read<ReviewView>(D.showReview, {id: integerish(id)}),
    update: async (id, input) =>
      write<ReviewView>(D.updateReview, {id: integerish(id), input: inputOf(input, {rating: optionalInteger, comment: true})}),
    delete: async (id) => write<{id: number; deleted: true}>(D.deleteReview, {id: integerish(id)}),
  }
}

function payments({read, write, list}: Calls): Backend['payments'] {
  type Shown = PaymentView & {refunds: Connection<PaymentView>; refundable: string | null}
  return {
    record: async (input) =>
      write<PaymentView>(D.recordPayment, {
        input: inputOf(input, {booking: optionalRef, bookingId: optionalInteger, amount: String, transactionId: true, status: true, paymentDate: true}),
      }),
    list: async (input = {}) => list(LISTS.payments, {booking: optionalRef(input.booking), bookingId: input.bookingId, kind: input.kind, status: input.status}, input),
    async show(paymentRef) {
      const {refunds, refundable, ...view} = await read<Shown>(D.showPayment, {ref: ref(paymentRef)})
      const all = await allNodes(refunds, async (after) => (await read<Shown>(D.showPayment, {ref: String(view.id), after})).refunds)
      return {...view, refunds: all, refundable} satisfies PaymentDetails
    },
    refund: async (paymentRef, input = {}) =>
      write<RefundResult>(
        D.refundPayment,
        {ref: ref(paymentRef), amount: optionalMoney(input.amount), reason: input.reason, idempotencyKey: input.idempotencyKey, dryRun: input.dryRun},
        // The key makes a second delivery a replay of the first refund, not a second refund.
        Boolean(input.idempotencyKey),
      ),
  }
}

function audit({list}: Calls): Backend['audit'] {
  return {
    list: async (filter = {}) =>
      list(
        LISTS.audit,
        {entity: filter.entity, entityId: filter.entityId, actor: filter.actor, action: filter.action, since: filter.since, until: filter.until},
        filter,
      ),
  }
}

function transfers({client, read, write}: Calls): Pick<Backend, 'imports' | 'exports'> {
  return {
    imports: {
      file: async (input) => (await import('./transfer.js')).remoteImportFile(client, input),
      folder: async (input) => (await import('./transfer.js')).remoteImportFolder(client, input),
      async rows(input) {
        const fields = given(input, ['entity', 'rows', 'firstLine', 'map', 'atomic', 'dryRun', 'upsert', 'maxErrors', 'source'])
        const result = await write<ImportRowsResult>(D.importRows, {input: fields})
        // A rejection without a field to blame has no field key locally.
        return {...result, rejections: result.rejections.map((r) => (r.field === null ? {index: r.index, line: r.line, reason: r.reason} : r))}
      },
    },
    exports: {
      entity: async (input) => (await import('./transfer.js')).remoteExportEntity(client, input),
      page: async (input) =>
        read<ExportPage>(D.exportPage, given(input, ['entity', 'where', 'includePasswordHashes', 'after', 'first'])),
    },
  }
}

function accounts({client, read, write, list}: Calls): Pick<Backend, 'auth' | 'tokens'> {
  return {
    auth: {
      login: async (input) => write<LoginResult>(D.login, {login: input.login, password: input.password}),
      // Ending a session twice changes nothing, so this one may be retried.
      logout: async (token) =>
        rootOf(await client.request<Record<string, {tokenId: number | null; revoked: boolean}>>(D.endSession, {}, {idempotent: true, token})),
      whoami: async () => read<Identity>(D.whoami),
    },
    tokens: {
      create: async (input) =>
        write<CreatedToken>(D.createApiToken, {name: input.name, expiresInDays: input.expiresInDays, user: optionalRef(input.user)}),
      list: async (input = {}) => list(LISTS.tokens, {user: optionalRef(input.user), all: input.all}, input),
      revoke: async (id) => (await write<{token: TokenView}>(D.revokeApiToken, {id: integerish(id)})).token,
    },
  }
}

export function remoteBackend(client: RemoteClient): Backend {
  const c = calls(client)
  return {
    users: users(c),
    properties: properties(c),
    bookings: bookings(c),
    blocks: blocks(c),
    reviews: reviews(c),
    payments: payments(c),
    audit: audit(c),
    ...transfers(c),
    ...accounts(c),
    calendar: remoteCalendar(client),
    database: {doctor: async (options = {}) => (options.repair ? c.write<DoctorReport>(D.repairDatabase, {}, true) : c.read<DoctorReport>(D.doctor))},
  }
}
