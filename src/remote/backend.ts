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
 * only when they carry an idempotency key.
 */
import type {Backend} from '../backend.js'
import {ValidationError} from '../errors.js'
import type {CreatedToken, Identity, LoginResult, TokenView} from '../services/auth.js'
import type {AuditEventView} from '../services/audit.js'
import type {BookingDetails, BookingView, CancelBookingResult} from '../services/bookings.js'
import type {ExportPage} from '../services/export.js'
import type {ImportRowsResult} from '../services/import/rows.js'
import type {Page, PageInput} from '../services/pagination.js'
import type {PaymentDetails, PaymentView, RefundResult} from '../services/payments.js'
import type {PropertyDetails, PropertyView} from '../services/properties.js'
import type {ReviewView} from '../services/reviews.js'
import type {DeleteUserResult, EraseUserResult, UserView} from '../services/users.js'
import type {RemoteClient} from './client.js'

/** The fields of each view, in the order the local views have them. */
const USER = 'id username email firstName lastName isActive isAdmin createdAt updatedAt'
const PROPERTY = 'id ownerId name description address pricePerNight cancellationPolicy isListed createdAt updatedAt'
const BOOKING = 'id propertyId guestId startDate endDate nights status totalPrice externalRef createdAt updatedAt'
const REVIEW = 'id propertyId reviewerId rating comment createdAt'
const PAYMENT = 'id bookingId kind amount status transactionId paymentDate refundOfId reason idempotencyKey createdAt'
const AUDIT = 'id at actor via action entity entityId changes'
const TOKEN = 'id userId username name kind status createdAt expiresAt lastUsedAt revokedAt'
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }'

/** What the server gives per request (src/graphql/limits.ts) and what commands may ask (src/services/pagination.ts). */
const SERVER_MAX_FIRST = 100
const DEFAULT_LIMIT = 50
const MAX_LIMIT = 1000

interface Connection<T> {
  nodes: T[]
  pageInfo: {hasNextPage: boolean; endCursor: string | null}
}

type Vars = Record<string, unknown>

const ref = (value: string | number) => String(value)
const optionalRef = (value: string | number | undefined) => (value === undefined ? undefined : String(value))

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

/** Keeps what the caller gave, dropping undefined (null stays: it clears a field). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

export function remoteBackend(client: RemoteClient): Backend {
  const read = <T>(document: string, variables?: Vars) => client.request<T>(document, variables, {idempotent: true})
  const write = <T>(document: string, variables?: Vars, idempotent = false) => client.request<T>(document, variables, {idempotent})

  /**
   * One page of a list field as the local operation gives it: `limit` rows (in requests of at
   * most 100) and the cursor after the last, or null when nothing follows.
   */
  async function list<T>(field: string, filters: Record<string, [type: string, value: unknown]>, selection: string, input: PageInput): Promise<Page<T>> {
    const limit = checkLimit(input.limit)
    const definitions = ['$first: Int', '$after: String', '$sort: String', ...Object.entries(filters).map(([name, [type]]) => `$${name}: ${type}`)]
    const args = ['first: $first', 'after: $after', 'sort: $sort', ...Object.keys(filters).map((name) => `${name}: $${name}`)]
    const document = `query(${definitions.join(', ')}) { page: ${field}(${args.join(', ')}) { nodes { ${selection} } ${PAGE_INFO} } }`
    const values = Object.fromEntries(Object.entries(filters).map(([name, [, value]]) => [name, value]))
    const items: T[] = []
    let after = input.cursor
    for (;;) {
      const first = Math.min(limit - items.length, SERVER_MAX_FIRST)
      const {page} = await read<{page: Connection<T>}>(document, {...values, first, after, sort: input.sort})
      items.push(...page.nodes)
      if (!page.pageInfo.hasNextPage) return {items, nextCursor: null}
      if (items.length >= limit || page.nodes.length === 0) return {items, nextCursor: page.pageInfo.endCursor}
      after = page.pageInfo.endCursor ?? undefined
    }
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

  return {
    users: {
      create: async (input) =>
        (
          await write<{user: UserView}>(`mutation($input: CreateUserInput!) { user: createUser(input: $input) { ${USER} } }`, {
            input: defined({
              username: input.username,
              email: input.email,
              password: input.password,
              firstName: input.firstName,
              lastName: input.lastName,
              isAdmin: input.isAdmin,
              isActive: input.isActive,
            }),
          })
        ).user,
      list: (input = {}) =>
        list<UserView>('users', {active: ['Boolean', input.active], admin: ['Boolean', input.admin], search: ['String', input.search]}, USER, input),
      show: async (userRef) => (await read<{user: UserView}>(`query($ref: String!) { user(ref: $ref) { ${USER} } }`, {ref: ref(userRef)})).user,
      update: async (userRef, input) =>
        (
          await write<{user: UserView}>(`mutation($ref: String!, $input: UpdateUserInput!) { user: updateUser(ref: $ref, input: $input) { ${USER} } }`, {
            ref: ref(userRef),
            input: defined({username: input.username, email: input.email, firstName: input.firstName, lastName: input.lastName, isAdmin: input.isAdmin}),
          })
        ).user,
      setPassword: async (userRef, password, options = {}) =>
        (
          await write<{user: UserView}>(
            `mutation($ref: String!, $password: String!, $currentPassword: String) { user: setUserPassword(ref: $ref, password: $password, currentPassword: $currentPassword) { ${USER} } }`,
            {ref: ref(userRef), password, currentPassword: options.currentPassword},
          )
        ).user,
      activate: async (userRef) =>
        (await write<{user: UserView}>(`mutation($ref: String!) { user: activateUser(ref: $ref) { ${USER} } }`, {ref: ref(userRef)})).user,
      deactivate: async (userRef) =>
        (await write<{user: UserView}>(`mutation($ref: String!) { user: deactivateUser(ref: $ref) { ${USER} } }`, {ref: ref(userRef)})).user,
      delete: async (userRef, options = {}) =>
        (
          await write<{result: DeleteUserResult}>(`mutation($ref: String!, $erase: Boolean) { result: deleteUser(ref: $ref, erase: $erase) { id deleted erased } }`, {
            ref: ref(userRef),
            erase: options.erase,
          })
        ).result,
      erase: async (userRef) =>
        (
          await write<{result: EraseUserResult}>(
            'mutation($ref: String!) { result: eraseUser(ref: $ref) { id username reviewsScrubbed auditEventsScrubbed } }',
            {ref: ref(userRef)},
          )
        ).result,
    },

    properties: {
      create: async (input) =>
        (
          await write<{property: PropertyView}>(`mutation($input: CreatePropertyInput!) { property: createProperty(input: $input) { ${PROPERTY} } }`, {
            input: defined({
              owner: optionalRef(input.owner),
              name: input.name,
              description: input.description,
              address: input.address,
              pricePerNight: input.pricePerNight === undefined ? undefined : String(input.pricePerNight),
              cancellationPolicy: input.cancellationPolicy,
            }),
          })
        ).property,
      list: (input = {}) =>
        list<PropertyView>(
          'properties',
          {
            owner: ['String', optionalRef(input.owner)],
            minPrice: ['Money', input.minPrice],
            maxPrice: ['Money', input.maxPrice],
            search: ['String', input.search],
            listed: ['Boolean', input.listed],
            availableFrom: ['Date', input.availableFrom],
            availableTo: ['Date', input.availableTo],
          },
          PROPERTY,
          input,
        ),
      show: async (propertyRef) => {
        const {property} = await read<{property: PropertyDetails}>(
          `query($ref: String!) { property(ref: $ref) { ${PROPERTY} owner { id username } averageRating reviewCount upcomingBookings { id startDate endDate status guestId } } }`,
          {ref: ref(propertyRef)},
        )
        return property
      },
      update: async (propertyRef, input) =>
        (
          await write<{property: PropertyView}>(
            `mutation($ref: String!, $input: UpdatePropertyInput!) { property: updateProperty(ref: $ref, input: $input) { ${PROPERTY} } }`,
            {
              ref: ref(propertyRef),
              input: defined({
                name: input.name,
                description: input.description,
                address: input.address,
                pricePerNight: input.pricePerNight === undefined ? undefined : String(input.pricePerNight),
                cancellationPolicy: input.cancellationPolicy,
                isListed: input.isListed,
              }),
            },
          )
        ).property,
      delete: async (propertyRef) =>
        (await write<{result: {id: number; deleted: true}}>('mutation($ref: String!) { result: deleteProperty(ref: $ref) { id deleted } }', {ref: ref(propertyRef)}))
          .result,
    },

    bookings: {
      create: async (input) =>
        (
          await write<{booking: BookingView}>(`mutation($input: CreateBookingInput!) { booking: createBooking(input: $input) { ${BOOKING} } }`, {
            input: defined({
              property: ref(input.property),
              guest: optionalRef(input.guest),
              startDate: input.startDate,
              endDate: input.endDate,
              externalRef: input.externalRef,
              allowPast: input.allowPast,
            }),
          })
        ).booking,
      list: (input = {}) =>
        list<BookingView>(
          'bookings',
          {
            property: ['String', optionalRef(input.property)],
            guest: ['String', optionalRef(input.guest)],
            status: ['BookingStatus', input.status],
            from: ['Date', input.from],
            to: ['Date', input.to],
          },
          BOOKING,
          input,
        ),
      show: async (bookingRef) => {
        const {booking} = await read<{booking: BookingView & {payments: Connection<PaymentView>; paid: string; refunded: string}}>(
          `query($ref: String!) { booking(ref: $ref) { ${BOOKING} payments(first: ${SERVER_MAX_FIRST}) { nodes { ${PAYMENT} } ${PAGE_INFO} } paid refunded } }`,
          {ref: ref(bookingRef)},
        )
        const {payments, paid, refunded, ...view} = booking
        const all = await allNodes(payments, async (after) =>
          (
            await read<{page: Connection<PaymentView>}>(
              `query($id: Int!, $after: String) { page: payments(bookingId: $id, sort: "id", first: ${SERVER_MAX_FIRST}, after: $after) { nodes { ${PAYMENT} } ${PAGE_INFO} } }`,
              {id: view.id, after},
            )
          ).page,
        )
        return {...view, payments: all, paid, refunded} satisfies BookingDetails
      },
      confirm: async (bookingRef) =>
        (await write<{booking: BookingView}>(`mutation($ref: String!) { booking: confirmBooking(ref: $ref) { ${BOOKING} } }`, {ref: ref(bookingRef)})).booking,
      cancel: async (bookingRef, options = {}) =>
        (
          await write<{result: CancelBookingResult}>(
            `mutation($ref: String!, $refund: RefundMode, $reason: String) { result: cancelBooking(ref: $ref, refund: $refund, reason: $reason) { booking { ${BOOKING} } refundMode daysBeforeCheckIn policyPercent refunds { ${PAYMENT} } refunded } }`,
            {ref: ref(bookingRef), refund: options.refund, reason: options.reason},
          )
        ).result,
    },

    reviews: {
      create: async (input) =>
        (
          await write<{review: ReviewView}>(`mutation($input: CreateReviewInput!) { review: createReview(input: $input) { ${REVIEW} } }`, {
            input: defined({property: ref(input.property), reviewer: optionalRef(input.reviewer), rating: integerish(input.rating), comment: input.comment}),
          })
        ).review,
      list: (input = {}) =>
        list<ReviewView>(
          'reviews',
          {property: ['String', optionalRef(input.property)], reviewer: ['String', optionalRef(input.reviewer)], minRating: ['Int', input.minRating]},
          REVIEW,
          input,
        ),
      delete: async (id) =>
        (await write<{result: {id: number; deleted: true}}>('mutation($id: Int!) { result: deleteReview(id: $id) { id deleted } }', {id: integerish(id)})).result,
    },

    payments: {
      record: async (input) =>
        (
          await write<{payment: PaymentView}>(`mutation($input: RecordPaymentInput!) { payment: recordPayment(input: $input) { ${PAYMENT} } }`, {
            input: defined({
              bookingId: integerish(input.bookingId),
              amount: String(input.amount),
              transactionId: input.transactionId,
              status: input.status,
              paymentDate: input.paymentDate,
            }),
          })
        ).payment,
      list: (input = {}) =>
        list<PaymentView>(
          'payments',
          {bookingId: ['Int', input.bookingId], kind: ['PaymentKind', input.kind], status: ['PaymentStatus', input.status]},
          PAYMENT,
          input,
        ),
      show: async (paymentRef) => {
        const document = `query($ref: String!, $after: String) { payment(ref: $ref) { ${PAYMENT} refunds(first: ${SERVER_MAX_FIRST}, after: $after) { nodes { ${PAYMENT} } ${PAGE_INFO} } refundable } }`
        type Shown = PaymentView & {refunds: Connection<PaymentView>; refundable: string | null}
        const {payment} = await read<{payment: Shown}>(document, {ref: ref(paymentRef)})
        const {refunds, refundable, ...view} = payment
        const all = await allNodes(refunds, async (after) => (await read<{payment: Shown}>(document, {ref: String(view.id), after})).payment.refunds)
        return {...view, refunds: all, refundable} satisfies PaymentDetails
      },
      refund: async (paymentRef, input = {}) =>
        (
          await write<{result: RefundResult}>(
            `mutation($ref: String!, $amount: Money, $reason: String, $idempotencyKey: String) { result: refundPayment(ref: $ref, amount: $amount, reason: $reason, idempotencyKey: $idempotencyKey) { refund { ${PAYMENT} } charge { ${PAYMENT} } remaining replayed } }`,
            {ref: ref(paymentRef), amount: input.amount === undefined ? undefined : String(input.amount), reason: input.reason, idempotencyKey: input.idempotencyKey},
            // The key makes a second delivery a replay of the first refund, not a second refund.
            Boolean(input.idempotencyKey),
          )
        ).result,
    },

    audit: {
      list: (filter = {}) =>
        list<AuditEventView>(
          'auditEvents',
          {
            entity: ['String', filter.entity],
            entityId: ['String', filter.entityId],
            actor: ['String', filter.actor],
            action: ['String', filter.action],
            since: ['String', filter.since],
            until: ['String', filter.until],
          },
          AUDIT,
          filter,
        ),
    },

    imports: {
      file: async (input) => (await import('./transfer.js')).remoteImportFile(client, input),
      folder: async (input) => (await import('./transfer.js')).remoteImportFolder(client, input),
      rows: async (input) => {
        const {result} = await write<{result: ImportRowsResult}>(
          'mutation($input: ImportRowsInput!) { result: importRows(input: $input) { entity read inserted updated rejected dryRun atomic committed stoppedEarly unknownColumns rejections { index line field reason } } }',
          {
            input: defined({
              entity: input.entity,
              rows: input.rows,
              firstLine: input.firstLine,
              map: input.map,
              atomic: input.atomic,
              dryRun: input.dryRun,
              upsert: input.upsert,
              source: input.source,
            }),
          },
        )
        // A rejection without a field to blame has no field key locally.
        return {...result, rejections: result.rejections.map((r) => (r.field === null ? {index: r.index, line: r.line, reason: r.reason} : r))}
      },
    },

    exports: {
      entity: async (input) => (await import('./transfer.js')).remoteExportEntity(client, input),
      page: async (input) =>
        (
          await read<{page: ExportPage}>(
            'query($entity: ImportEntity!, $where: [String!], $includePasswordHashes: Boolean, $after: Int, $first: Int) { page: exportPage(entity: $entity, where: $where, includePasswordHashes: $includePasswordHashes, after: $after, first: $first) { entity columns rows endCursor hasNextPage } }',
            defined({entity: input.entity, where: input.where, includePasswordHashes: input.includePasswordHashes, after: input.after, first: input.first}),
          )
        ).page,
    },

    auth: {
      login: async (input) =>
        (
          await write<{login: LoginResult}>(
            `mutation($login: String!, $password: String!) { login(login: $login, password: $password) { token tokenId expiresAt user { ${USER} } } }`,
            {login: input.login, password: input.password},
          )
        ).login,
      // Ending a session twice changes nothing, so this one may be retried.
      logout: async (token) =>
        (await client.request<{result: {tokenId: number | null; revoked: boolean}}>('mutation { result: endSession { tokenId revoked } }', {}, {idempotent: true, token}))
          .result,
      whoami: async () => (await read<{whoami: Identity}>(`query { whoami { actor isAdmin user { ${USER} } } }`)).whoami,
    },

    tokens: {
      create: async (input) =>
        (
          await write<{created: CreatedToken}>(
            `mutation($name: String!, $expiresInDays: Int, $user: String) { created: createApiToken(name: $name, expiresInDays: $expiresInDays, user: $user) { token ${TOKEN} } }`,
            {name: input.name, expiresInDays: input.expiresInDays, user: optionalRef(input.user)},
          )
        ).created,
      list: (input = {}) => list<TokenView>('apiTokens', {user: ['String', optionalRef(input.user)], all: ['Boolean', input.all]}, TOKEN, input),
      revoke: async (id) =>
        (await write<{result: {token: TokenView}}>(`mutation($id: Int!) { result: revokeApiToken(id: $id) { token { ${TOKEN} } } }`, {id: integerish(id)})).result
          .token,
    },
  }
}
