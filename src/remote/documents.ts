/**
 * The GraphQL documents the remote backend sends, in one table: every operation's document,
 * and the list documents made from the LISTS table. test/unit/remote-documents.test.ts checks
 * each against the server's schema (src/graphql/schema.ts), so a field renamed on one side
 * fails CI instead of a remote run. Each document has exactly one root field (its answer).
 * The calendar operations' documents are in calendar.ts (CALENDAR_DOCUMENTS), listed here too.
 */
import {CALENDAR_DOCUMENTS} from './calendar.js'

/** The fields of each view, in the order the local views have them. */
const USER = 'id username email firstName lastName isActive isAdmin createdAt updatedAt'
const PROPERTY = 'id ownerId name description address pricePerNight cancellationPolicy isListed createdAt updatedAt'
const BOOKING = 'id propertyId guestId startDate endDate nights status totalPrice externalRef createdAt updatedAt'
const BLOCK = 'id propertyId startDate endDate nights reason source sourceUid createdById createdAt updatedAt'
const REVIEW = 'id propertyId reviewerId rating comment createdAt updatedAt'
const PAYMENT = 'id bookingId kind amount status transactionId paymentDate refundOfId reason idempotencyKey createdAt'
const AUDIT = 'id at actor via action entity entityId changes'
const TOKEN = 'id userId username name kind status createdAt expiresAt lastUsedAt revokedAt'
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }'
const DOCTOR_REPORT = 'engine { name version cluster proxy } findings { check status message fix } ok warn fail'

/** What the server gives per request (src/graphql/limits.ts). */
export const SERVER_MAX_FIRST = 100

/** One document per operation (and per follow-up request of a long nested list). */
export const DOCUMENTS = {
  createUser: `mutation($input: CreateUserInput!) { user: createUser(input: $input) { ${USER} } }`,
  showUser: `query($ref: String!) { user(ref: $ref) { ${USER} } }`,
  updateUser: `mutation($ref: String!, $input: UpdateUserInput!) { user: updateUser(ref: $ref, input: $input) { ${USER} } }`,
  setUserPassword: `mutation($ref: String!, $password: String!, $currentPassword: String) { user: setUserPassword(ref: $ref, password: $password, currentPassword: $currentPassword) { ${USER} } }`,
  activateUser: `mutation($ref: String!) { user: activateUser(ref: $ref) { ${USER} } }`,
  deactivateUser: `mutation($ref: String!) { user: deactivateUser(ref: $ref) { ${USER} } }`,
  deleteUser: 'mutation($ref: String!, $erase: Boolean) { result: deleteUser(ref: $ref, erase: $erase) { id deleted erased } }',
  eraseUser: 'mutation($ref: String!) { result: eraseUser(ref: $ref) { id username reviewsScrubbed auditEventsScrubbed } }',

  createProperty: `mutation($input: CreatePropertyInput!) { property: createProperty(input: $input) { ${PROPERTY} } }`,
  showProperty: `query($ref: String!) { property(ref: $ref) { ${PROPERTY} owner { id username } averageRating reviewCount upcomingBookings { id startDate endDate status guestId } } }`,
  updateProperty: `mutation($ref: String!, $input: UpdatePropertyInput!) { property: updateProperty(ref: $ref, input: $input) { ${PROPERTY} } }`,
  deleteProperty: 'mutation($ref: String!) { result: deleteProperty(ref: $ref) { id deleted } }',

  createBooking: `mutation($input: CreateBookingInput!) { booking: createBooking(input: $input) { ${BOOKING} } }`,
  showBooking: `query($ref: String!) { booking(ref: $ref) { ${BOOKING} property { name } guest { username } payments(first: ${SERVER_MAX_FIRST}) { nodes { ${PAYMENT} } ${PAGE_INFO} } paid refunded } }`,
  /** The payments of a booking past the first 100 that showBooking gives. */
  bookingPayments: `query($id: Int!, $after: String) { page: payments(bookingId: $id, sort: "id", first: ${SERVER_MAX_FIRST}, after: $after) { nodes { ${PAYMENT} } ${PAGE_INFO} } }`,
  confirmBooking: `mutation($ref: String!) { booking: confirmBooking(ref: $ref) { ${BOOKING} } }`,
  updateBooking: `mutation($ref: String!, $input: UpdateBookingInput!) { booking: updateBooking(ref: $ref, input: $input) { ${BOOKING} } }`,
  cancelBooking: `mutation($ref: String!, $refund: RefundMode, $reason: String, $dryRun: Boolean) { result: cancelBooking(ref: $ref, refund: $refund, reason: $reason, dryRun: $dryRun) { booking { ${BOOKING} } refundMode daysBeforeCheckIn policyPercent refunds { ${PAYMENT} } refunded } }`,

  createBlock: `mutation($input: CreateBlockInput!) { block: createBlock(input: $input) { ${BLOCK} } }`,
  showBlock: `query($ref: String!) { block(ref: $ref) { ${BLOCK} } }`,
  updateBlock: `mutation($ref: String!, $input: UpdateBlockInput!) { block: updateBlock(ref: $ref, input: $input) { ${BLOCK} } }`,
  deleteBlock: 'mutation($ref: String!) { result: deleteBlock(ref: $ref) { id deleted } }',
  syncSourceBlocks:
    `mutation($property: String!, $source: String!, $events: [SourceEventInput!]!, $dryRun: Boolean) { result: syncSourceBlocks(property: $property, source: $source, events: $events, dryRun: $dryRun) {` +
    ` propertyId source dryRun added { ${BLOCK} } moved { ${BLOCK} } removed { ${BLOCK} } unchanged { ${BLOCK} }` +
    ' conflicts { uid start end overlaps { kind id startDate endDate uid } reason } } }',

  createReview: `mutation($input: CreateReviewInput!) { review: createReview(input: $input) { ${REVIEW} } }`,
  showReview: `query($id: Int!) { review(id: $id) { ${REVIEW} } }`,
  updateReview: `mutation($id: Int!, $input: UpdateReviewInput!) { review: updateReview(id: $id, input: $input) { ${REVIEW} } }`,
  deleteReview: 'mutation($id: Int!) { result: deleteReview(id: $id) { id deleted } }',

  recordPayment: `mutation($input: RecordPaymentInput!) { payment: recordPayment(input: $input) { ${PAYMENT} } }`,
  /** Also asked again with `after` for the refunds past the first 100. */
  showPayment: `query($ref: String!, $after: String) { payment(ref: $ref) { ${PAYMENT} refunds(first: ${SERVER_MAX_FIRST}, after: $after) { nodes { ${PAYMENT} } ${PAGE_INFO} } refundable } }`,
  refundPayment: `mutation($ref: String!, $amount: Money, $reason: String, $idempotencyKey: String, $dryRun: Boolean) { result: refundPayment(ref: $ref, amount: $amount, reason: $reason, idempotencyKey: $idempotencyKey, dryRun: $dryRun) { refund { ${PAYMENT} } charge { ${PAYMENT} } remaining replayed } }`,

  importRows:
    'mutation($input: ImportRowsInput!) { result: importRows(input: $input) { entity read inserted updated rejected dryRun atomic committed stoppedEarly unknownColumns rejections { index line field reason } } }',
  exportPage:
    'query($entity: ImportEntity!, $where: [String!], $includePasswordHashes: Boolean, $after: Int, $first: Int) { page: exportPage(entity: $entity, where: $where, includePasswordHashes: $includePasswordHashes, after: $after, first: $first) { entity columns rows endCursor hasNextPage } }',

  login: `mutation($login: String!, $password: String!) { login(login: $login, password: $password) { token tokenId expiresAt user { ${USER} } } }`,
  endSession: 'mutation { result: endSession { tokenId revoked } }',
  whoami: `query { whoami { actor isAdmin user { ${USER} } } }`,
  doctor: `query { doctor { ${DOCTOR_REPORT} } }`,
  repairDatabase: `mutation { doctor: repairDatabase { ${DOCTOR_REPORT} } }`,

  createApiToken: `mutation($name: String!, $expiresInDays: Int, $user: String) { created: createApiToken(name: $name, expiresInDays: $expiresInDays, user: $user) { token ${TOKEN} } }`,
  revokeApiToken: `mutation($id: Int!) { result: revokeApiToken(id: $id) { token { ${TOKEN} } } }`,
} as const

/** A list field of the schema: its filter arguments with their GraphQL types, and the fields of a node. */
export interface ListSpec {
  field: string
  filters: Record<string, string>
  selection: string
}

/** The lists of the remote backend, by the Backend group that lists them. */
export const LISTS = {
  users: {field: 'users', filters: {active: 'Boolean', admin: 'Boolean', search: 'String'}, selection: USER},
  properties: {
    field: 'properties',
    filters: {owner: 'String', minPrice: 'Money', maxPrice: 'Money', search: 'String', listed: 'Boolean', availableFrom: 'Date', availableTo: 'Date'},
    selection: PROPERTY,
  },
  bookings: {
    field: 'bookings',
    filters: {property: 'String', guest: 'String', status: 'BookingStatus', from: 'Date', to: 'Date'},
    selection: BOOKING,
  },
  blocks: {field: 'blocks', filters: {property: 'String', source: 'String', from: 'Date', to: 'Date'}, selection: BLOCK},
  reviews: {field: 'reviews', filters: {property: 'String', reviewer: 'String', minRating: 'Int'}, selection: REVIEW},
  payments: {field: 'payments', filters: {booking: 'String', bookingId: 'Int', kind: 'PaymentKind', status: 'PaymentStatus'}, selection: PAYMENT},
  audit: {
    field: 'auditEvents',
    filters: {entity: 'String', entityId: 'String', actor: 'String', action: 'String', since: 'String', until: 'String'},
    selection: AUDIT,
  },
  tokens: {field: 'apiTokens', filters: {user: 'String', all: 'Boolean'}, selection: TOKEN},
} as const satisfies Record<string, ListSpec>

/** The document of one page of a list: the paging arguments, then the list's filters. */
export function listDocument(spec: ListSpec): string {
  const names = Object.keys(spec.filters)
  const definitions = ['$first: Int', '$after: String', '$sort: String', ...names.map((name) => `$${name}: ${spec.filters[name]}`)]
  const args = ['first: $first', 'after: $after', 'sort: $sort', ...names.map((name) => `${name}: $${name}`)]
  return `query(${definitions.join(', ')}) { page: ${spec.field}(${args.join(', ')}) { nodes { ${spec.selection} } ${PAGE_INFO} } }`
}

/** Every document the remote backend sends (src/remote/transfer.ts has its own). */
export function remoteDocuments(): string[] {
  return [...Object.values(DOCUMENTS), ...Object.values(LISTS).map((spec) => listDocument(spec)), ...Object.values(CALENDAR_DOCUMENTS)]
}
