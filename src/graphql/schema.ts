/**
 * The GraphQL schema (SDL first). Types mirror the views of src/services (same field names,
 * same values: ids are Int, money a decimal string, stay dates YYYY-MM-DD), so a remote
 * client gets exactly what the local operations return. Lists are cursor connections with
 * `nodes` and `pageInfo`; `first` is 1–100 (default 20). There is no password hash anywhere,
 * except in `exportPage` with includePasswordHashes: admins only, as `stayctl export
 * --include-password-hashes` gives them locally.
 */
export const typeDefs = /* GraphQL */ `
"""A calendar date, YYYY-MM-DD (stays: check-in, and check-out which is exclusive)."""
scalar Date

"""An instant in UTC, ISO-8601 with milliseconds: 2027-06-15T10:30:00.000Z."""
scalar DateTime

"""An amount of money as a decimal string with two places, e.g. "120.00". Never a float."""
scalar Money

"""Any JSON value."""
scalar JSON

"""Where a page of a list ends."""
type PageInfo {
  "Whether there are more items after this page."
  hasNextPage: Boolean!
  "Pass as \`after\` to get the next page; null on the last page."
  endCursor: String
}

"""A status of a booking: pending (asked), confirmed (by the host), cancelled."""
enum BookingStatus {
  pending
  confirmed
  cancelled
}

"""A charge of the guest, or a refund of a charge."""
enum PaymentKind {
  charge
  refund
}

"""A status of a payment. A charge refunded in full becomes refunded."""
enum PaymentStatus {
  pending
  completed
  failed
  refunded
}

"""The statuses a charge can be recorded with."""
enum ChargeStatus {
  pending
  completed
  failed
}

"""How much of a cancelled booking is refunded (see the property's policy)."""
enum CancellationPolicy {
  flexible
  moderate
  strict
}

"""What a cancellation refunds: by the property's policy, everything paid, or nothing."""
enum RefundMode {
  policy
  full
  none
}

"""What an import batch holds."""
enum ImportEntity {
  users
  properties
  bookings
  reviews
  payments
}

"""An account: a guest, a host (owns properties) or both; admins may do everything."""
type User {
  "The user's id (stable; also accepted wherever a user ref is asked)."
  id: Int!
  "Unique regardless of case; 3–50 letters, digits, dots, dashes or underscores."
  username: String!
  "Unique, stored lower-case; null unless the caller is an admin or the user themself."
  email: String
  "Given name; null when unknown or erased."
  firstName: String
  "Family name; null when unknown or erased."
  lastName: String
  "Inactive users cannot log in, book or list properties."
  isActive: Boolean!
  "Admins may do everything."
  isAdmin: Boolean!
  "When the account was created."
  createdAt: DateTime!
  "When the account last changed."
  updatedAt: DateTime!
  "The properties this user owns (hosts), by id."
  properties(first: Int, after: String): PropertyConnection!
  "The bookings this user made as a guest, by id."
  bookings(first: Int, after: String, status: BookingStatus): BookingConnection!
  "The reviews this user wrote, by id."
  reviews(first: Int, after: String): ReviewConnection!
}

"""A listing: a place a host rents out by the night."""
type Property {
  "The property's id (also accepted wherever a property ref is asked, as is its name)."
  id: Int!
  "The host's user id."
  ownerId: Int!
  "The host."
  owner: User!
  "Unique name of the listing."
  name: String!
  "Free text; null when there is none."
  description: String
  "Where it is."
  address: String!
  "Price of one night; a stay costs nights × this, fixed when booked."
  pricePerNight: Money!
  "How much a cancelled booking gets back, by days before check-in."
  cancellationPolicy: CancellationPolicy!
  "Unlisted properties cannot be booked and are hidden from availability searches."
  isListed: Boolean!
  "When it was listed."
  createdAt: DateTime!
  "When it last changed."
  updatedAt: DateTime!
  "Average rating of its reviews, two decimals; null without reviews."
  averageRating: Float
  "Number of reviews."
  reviewCount: Int!
  "The next (at most 10) bookings that are not cancelled and have not ended, by check-in."
  upcomingBookings: [Booking!]!
  "Its bookings, by id."
  bookings(first: Int, after: String, status: BookingStatus): BookingConnection!
  "Its reviews, by id."
  reviews(first: Int, after: String): ReviewConnection!
}

"""A stay of a guest at a property, from startDate to endDate (check-out, exclusive)."""
type Booking {
  "The booking's id (also accepted wherever a booking ref is asked, as is its externalRef)."
  id: Int!
  "The property's id."
  propertyId: Int!
  "The property booked."
  property: Property!
  "The guest's user id."
  guestId: Int!
  "Who stays."
  guest: User!
  "Check-in day."
  startDate: Date!
  "Check-out day (exclusive: the last night is the day before)."
  endDate: Date!
  "endDate − startDate."
  nights: Int!
  "pending → confirmed, or cancelled."
  status: BookingStatus!
  "nights × the price per night when booked."
  totalPrice: Money!
  "A reference from another system (a channel manager), unique when given."
  externalRef: String
  "When it was booked."
  createdAt: DateTime!
  "When it last changed (confirmed, cancelled)."
  updatedAt: DateTime!
  "Its charges and refunds, by id."
  payments(first: Int, after: String, kind: PaymentKind, status: PaymentStatus): PaymentConnection!
  "Sum of its completed charges."
  paid: Money!
  "Sum of its completed refunds."
  refunded: Money!
}

"""A guest's rating (1–5) of a property after a confirmed stay there has ended."""
type Review {
  "The review's id."
  id: Int!
  "The property's id."
  propertyId: Int!
  "The property reviewed."
  property: Property!
  "The reviewer's user id."
  reviewerId: Int!
  "The guest who wrote it."
  reviewer: User!
  "1 (worst) to 5 (best)."
  rating: Int!
  "Removed when the reviewer's personal data is erased."
  comment: String
  "When it was written."
  createdAt: DateTime!
}

"""A charge against a booking, or a refund of a charge."""
type Payment {
  "The payment's id (also accepted wherever a payment ref is asked, as is its transactionId)."
  id: Int!
  "The booking's id."
  bookingId: Int!
  "The booking paid (or refunded)."
  booking: Booking!
  "A charge of the guest, or a refund of a charge."
  kind: PaymentKind!
  "Always above zero, refunds too."
  amount: Money!
  "pending, completed, failed; a charge refunded in full is refunded."
  status: PaymentStatus!
  "The payment provider's id (refunds get re_<uuid>)."
  transactionId: String!
  "When the money moved."
  paymentDate: DateTime!
  "Refunds: the id of the charge refunded."
  refundOfId: Int
  "Refunds: the charge refunded."
  refundOf: Payment
  "Refunds: why."
  reason: String
  "Refunds: the key that makes retries replay this refund instead of refunding again."
  idempotencyKey: String
  "When it was recorded."
  createdAt: DateTime!
  "Charges: their refunds, by id."
  refunds(first: Int, after: String): PaymentConnection!
  "Charges: what can still be refunded; null for refunds."
  refundable: Money
}

"""One change recorded by the audit trail."""
type AuditEvent {
  "Ids grow with time."
  id: Int!
  "When it happened (milliseconds)."
  at: DateTime!
  "Who: a username for API calls, os:<user> for the local CLI."
  actor: String!
  "Through which door: cli, graphql, import or seed."
  via: String!
  "What, e.g. booking.cancel."
  action: String!
  "What kind of thing changed: user, property, booking, review, payment, api_token."
  entity: String!
  "Its id; null for batches (imports)."
  entityId: String
  "Old → new values of what changed (never a secret)."
  changes: JSON
}

"""A long-lived token for scripts, or a login session; the token itself is shown once, when created."""
type ApiToken {
  "Pass to revokeApiToken."
  id: Int!
  "Whose token it is."
  userId: Int!
  "The owner's username."
  username: String
  "What it is for, as given when created; session for login sessions."
  name: String!
  "session (from login) or api (created for scripts)."
  kind: TokenKind!
  "active, expired or revoked."
  status: TokenStatus!
  "When it was made."
  createdAt: DateTime!
  "After this it no longer works; null: never expires."
  expiresAt: DateTime
  "Null until first used (where the auth service records it)."
  lastUsedAt: DateTime
  "When it was revoked; null while it is not."
  revokedAt: DateTime
}

"""What a token is: a login session or an API token for scripts."""
enum TokenKind {
  session
  api
}

"""Whether a token still works."""
enum TokenStatus {
  active
  expired
  revoked
}

"""Who a caller is."""
type Identity {
  "What audit events record: the username."
  actor: String!
  "Admins may do everything."
  isAdmin: Boolean!
  "The user behind the token."
  user: User
}

"""A page of tokens."""
type ApiTokenConnection {
  "The tokens of this page, in order."
  nodes: [ApiToken!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""A page of users."""
type UserConnection {
  "The users of this page, in order."
  nodes: [User!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""A page of properties."""
type PropertyConnection {
  "The properties of this page, in order."
  nodes: [Property!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""A page of bookings."""
type BookingConnection {
  "The bookings of this page, in order."
  nodes: [Booking!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""A page of reviews."""
type ReviewConnection {
  "The reviews of this page, in order."
  nodes: [Review!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""A page of payments."""
type PaymentConnection {
  "The payments of this page, in order."
  nodes: [Payment!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""A page of audit events."""
type AuditEventConnection {
  "The audit events of this page, in order."
  nodes: [AuditEvent!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""The entry points for reading. Lists are cursor connections: first (1–100, default 20) and after."""
type Query {
  "The logged-in user (from the Authorization: Bearer token); null when anonymous."
  me: User
  "A user by id, username or email."
  user(ref: String!): User!
  "Users; search matches username, email, first or last name. sort: id, username, email, createdAt (prefix - for descending)."
  users(first: Int, after: String, sort: String, active: Boolean, admin: Boolean, search: String): UserConnection!
  "A property by id or name."
  property(ref: String!): Property!
  """
  Properties; owner is an id, username or email; search matches name, address or description;
  availableFrom/availableTo (both or neither) keep those free for the whole stay.
  sort: id, name, pricePerNight, createdAt (prefix - for descending).
  """
  properties(
    first: Int
    after: String
    sort: String
    owner: String
    minPrice: Money
    maxPrice: Money
    search: String
    listed: Boolean
    availableFrom: Date
    availableTo: Date
  ): PropertyConnection!
  "Availability search: listed properties free from check-in to check-out (exclusive)."
  availableProperties(
    from: Date!
    to: Date!
    first: Int
    after: String
    sort: String
    minPrice: Money
    maxPrice: Money
    search: String
  ): PropertyConnection!
  "A booking by id or external reference."
  booking(ref: String!): Booking!
  "Bookings; property by id or name, guest by id, username or email; from/to keep stays overlapping [from, to). sort: id, startDate, createdAt."
  bookings(
    first: Int
    after: String
    sort: String
    property: String
    guest: String
    status: BookingStatus
    from: Date
    to: Date
  ): BookingConnection!
  "Reviews; property by id or name, reviewer by id, username or email. sort: id, rating, createdAt."
  reviews(first: Int, after: String, sort: String, property: String, reviewer: String, minRating: Int): ReviewConnection!
  "A payment by id or transaction id."
  payment(ref: String!): Payment!
  "Payments. sort: id, paymentDate, createdAt."
  payments(first: Int, after: String, sort: String, bookingId: Int, kind: PaymentKind, status: PaymentStatus): PaymentConnection!
  "The audit trail, newest first; action may end in * (booking.*); since/until are ISO 8601 dates (midnight UTC) or date-times with Z or an offset, inclusive."
  auditEvents(
    first: Int
    after: String
    "id or -id (the default: newest first)."
    sort: String
    entity: String
    entityId: String
    actor: String
    action: String
    since: String
    until: String
  ): AuditEventConnection!
  "Who the caller is (stayctl whoami); UNAUTHENTICATED without a token."
  whoami: Identity!
  """
  One page of an export (admins only), in id order: the rows \`stayctl export\` writes, natural
  keys instead of ids. where: field=value filters, all must hold (field= for empty).
  includePasswordHashes (users): add the bcrypt hashes. first: 1–5000 (default 1000).
  """
  exportPage(entity: ImportEntity!, where: [String!], includePasswordHashes: Boolean, after: Int, first: Int): ExportPage!
  """
  Tokens and sessions, newest first by default: the caller's own, or (admins) those of user.
  all: also revoked and expired ones. sort: id, createdAt, expiresAt, lastUsedAt.
  """
  apiTokens(first: Int, after: String, sort: String, user: String, all: Boolean): ApiTokenConnection!
}

"""A new account."""
input CreateUserInput {
  username: String!
  email: String!
  "8 characters to 72 bytes; stored as a bcrypt hash, never shown."
  password: String!
  firstName: String
  lastName: String
  isAdmin: Boolean
  isActive: Boolean
}

"""Fields left out are unchanged; firstName/lastName null clears them."""
input UpdateUserInput {
  username: String
  email: String
  firstName: String
  lastName: String
  isAdmin: Boolean
}

"""A new listing."""
input CreatePropertyInput {
  "The host: id, username or email; the caller when left out (only admins list for others)."
  owner: String
  name: String!
  description: String
  address: String!
  pricePerNight: Money!
  "Default moderate."
  cancellationPolicy: CancellationPolicy
}

"""Fields left out are unchanged; description null clears it; isListed false unlists."""
input UpdatePropertyInput {
  name: String
  description: String
  address: String
  pricePerNight: Money
  cancellationPolicy: CancellationPolicy
  isListed: Boolean
}

"""A stay to book."""
input CreateBookingInput {
  "Property id or name."
  property: String!
  "Guest id, username or email; the caller when left out (only admins book for others)."
  guest: String
  startDate: Date!
  "Check-out day (exclusive)."
  endDate: Date!
  externalRef: String
  "Admin back-filling: allow a stay that starts before today."
  allowPast: Boolean
}

"""A review of a stay that has ended."""
input CreateReviewInput {
  "Property id or name."
  property: String!
  "Reviewer id, username or email; the caller when left out (only admins review for others)."
  reviewer: String
  rating: Int!
  comment: String
}

"""A charge to record against a booking."""
input RecordPaymentInput {
  bookingId: Int!
  amount: Money!
  "The provider's id; unique."
  transactionId: String!
  "Default completed."
  status: ChargeStatus
  "When it was paid: a date (YYYY-MM-DD, midnight UTC) or a date-time with Z or an offset; anything else is BAD_USER_INPUT. Default now."
  paymentDate: DateTime
}

"""One batch of an import, with the flags of stayctl import."""
input ImportRowsInput {
  entity: ImportEntity!
  "At most 1000 rows, each an object of column (or field) name → value, like a line of an NDJSON file."
  rows: [JSON!]!
  "Line number of the first row in the client's file, for the rejections (default 1)."
  firstLine: Int
  "column=field pairs, as --map."
  map: [String!]
  "Keep nothing of this batch if any row is rejected."
  atomic: Boolean
  "Validate and write, then roll back: nothing is kept."
  dryRun: Boolean
  "Update rows that exist (matched by natural key) instead of rejecting them."
  upsert: Boolean
  "Write nothing when the row checks reject more rows than this (what is left of a client's --max-errors)."
  maxErrors: Int
  "The client's file name, for the audit trail."
  source: String
}

"""What deleteUser did."""
type DeleteUserResult {
  "The user's id."
  id: Int!
  "True when the row was deleted."
  deleted: Boolean!
  "True when the user held bookings or properties and was erased instead (erase: true)."
  erased: Boolean!
}

"""What an erasure did."""
type EraseUserResult {
  "The user's id."
  id: Int!
  "The placeholder username now in place: erased-<id>."
  username: String!
  "Review texts removed."
  reviewsScrubbed: Int!
  "Audit events that named the user, scrubbed."
  auditEventsScrubbed: Int!
}

"""A deleted row."""
type DeleteResult {
  "The id of what was deleted."
  id: Int!
  "Always true (a refusal is an error)."
  deleted: Boolean!
}

"""A cancellation and the refunds it made."""
type CancelBookingResult {
  "The booking, now cancelled."
  booking: Booking!
  "The refund mode applied."
  refundMode: RefundMode!
  "Days from today to check-in when cancelled."
  daysBeforeCheckIn: Int!
  "What the policy gave, in percent (refund mode policy only)."
  policyPercent: Int
  "The refunds made, one per charge refunded."
  refunds: [Payment!]!
  "Their sum."
  refunded: Money!
}

"""A refund and what remains refundable of its charge."""
type RefundResult {
  "The refund (a payment of kind refund)."
  refund: Payment!
  "The charge refunded, after the refund."
  charge: Payment!
  "What can still be refunded of the charge."
  remaining: Money!
  "True when an earlier refund with the same idempotency key was returned instead."
  replayed: Boolean!
}

"""A row of an import batch that was not imported."""
type ImportRejection {
  "0-based index of the row in the batch."
  index: Int!
  "firstLine + index."
  line: Int!
  "The field to blame, when one is."
  field: String
  "What is wrong with the row."
  reason: String!
}

"""What an import batch did."""
type ImportRowsResult {
  "What was imported."
  entity: ImportEntity!
  "Rows received."
  read: Int!
  "Rows inserted (with dryRun: that would have been)."
  inserted: Int!
  "Rows updated with upsert."
  updated: Int!
  "Rows refused (see rejections)."
  rejected: Int!
  "As asked."
  dryRun: Boolean!
  "As asked."
  atomic: Boolean!
  "Whether the writes were kept (false for a dry run, or an atomic batch with rejections)."
  committed: Boolean!
  "The row checks rejected more than maxErrors rows: nothing was written."
  stoppedEarly: Boolean!
  "Columns that map to no field (ignored)."
  unknownColumns: [String!]!
  "Each refused row, by index."
  rejections: [ImportRejection!]!
}

"""A page of an export: its columns and rows, as an export file holds them."""
type ExportPage {
  "What is exported."
  entity: ImportEntity!
  "The column names, in order (a CSV export's header)."
  columns: [String!]!
  "Each row: a list of its values in column order (strings, numbers, booleans or null)."
  rows: [JSON!]!
  "Pass as after for the next page; null when this page is empty."
  endCursor: Int
  "Whether more rows follow."
  hasNextPage: Boolean!
}

"""A new session."""
type LoginResult {
  "Send as Authorization: Bearer <token>. Shown once."
  token: String!
  "The session's id, as tokens lists it (to revoke it from elsewhere)."
  tokenId: Int!
  "When the session ends."
  expiresAt: DateTime!
  "Who logged in."
  user: User!
}

"""A new API token; the token itself is shown this once."""
type CreatedApiToken {
  "Pass to revokeApiToken."
  id: Int!
  "Shown once; only its hash is stored."
  token: String!
  "When it stops working."
  expiresAt: DateTime
  "Whose token it is."
  userId: Int!
  "The owner's username."
  username: String
  "What it is for."
  name: String!
  "Always api."
  kind: TokenKind!
  "Always active."
  status: TokenStatus!
  "When it was made."
  createdAt: DateTime!
  "Null: not used yet."
  lastUsedAt: DateTime
  "Null: not revoked."
  revokedAt: DateTime
}

"""A revoked token."""
type RevokeTokenResult {
  "The token's id."
  id: Int!
  "Always true."
  revoked: Boolean!
  "The token as it is now."
  token: ApiToken!
}

"""What ending a session did."""
type EndSessionResult {
  "The id of the token the request carried; null when it is unknown."
  tokenId: Int
  "True when it was live and is now revoked; false when it had already ended."
  revoked: Boolean!
}

"""Every change; each is one operation of src/backend.ts (or of the auth service) and writes an audit event."""
type Mutation {
  """
  Logs in with a username or email and a password. Every login field counts as one attempt,
  also when several are sent at once (aliases): the result is nullable so that one failed
  attempt does not stop the others from running, and being counted.
  """
  login(login: String!, password: String!): LoginResult
  "Ends the session of the token this request carries."
  logout: Boolean!
  "Ends the session (or API token) this request carries, and says which token it was."
  endSession: EndSessionResult!
  "A long-lived API token for the logged-in user, or (admins) for user (default expiry: the server's)."
  createApiToken(name: String!, expiresInDays: Int, user: String): CreatedApiToken!
  "Revokes an API token of the logged-in user (admins: anyone's)."
  revokeApiToken(id: Int!): RevokeTokenResult!

  "Creates an account; the password is stored only as a bcrypt hash."
  createUser(input: CreateUserInput!): User!
  "ref: id, username or email."
  updateUser(ref: String!, input: UpdateUserInput!): User!
  "Sets a new password (8 characters to 72 bytes). ref: id, username or email. Users changing their own give currentPassword."
  setUserPassword(ref: String!, password: String!, currentPassword: String): User!
  "Lets a user log in and book again. ref: id, username or email."
  activateUser(ref: String!): User!
  "Stops a user from logging in, booking and listing. ref: id, username or email."
  deactivateUser(ref: String!): User!
  "Deletes a user who owns and booked nothing; with erase: true, erases such a user's personal data instead of refusing."
  deleteUser(ref: String!, erase: Boolean): DeleteUserResult!
  "GDPR erasure: personal data replaced, review texts removed, audit events scrubbed; bookings and payments stay."
  eraseUser(ref: String!): EraseUserResult!

  "Lists a property for a host."
  createProperty(input: CreatePropertyInput!): Property!
  "ref: id or name."
  updateProperty(ref: String!, input: UpdatePropertyInput!): Property!
  "Refused while the property has bookings (unlist it instead)."
  deleteProperty(ref: String!): DeleteResult!

  "Books a stay; refused when it overlaps a booking that is not cancelled."
  createBooking(input: CreateBookingInput!): Booking!
  "ref: id or external reference. Pending → confirmed."
  confirmBooking(ref: String!): Booking!
  "Cancels a booking whose stay has not begun and refunds its charges (default: by policy)."
  cancelBooking(ref: String!, refund: RefundMode, reason: String): CancelBookingResult!

  "Reviews a property after a confirmed stay there has ended; once per guest and property."
  createReview(input: CreateReviewInput!): Review!
  "Deletes a review (moderation)."
  deleteReview(id: Int!): DeleteResult!

  "Records a charge; never above the booking's total."
  recordPayment(input: RecordPaymentInput!): Payment!
  """
  Refunds a completed charge (ref: id or transaction id), the whole remainder when amount is
  left out. A retry with the same idempotencyKey returns the first refund (replayed: true).
  """
  refundPayment(ref: String!, amount: Money, reason: String, idempotencyKey: String): RefundResult!

  "Imports one batch of rows, with the same checks as a file import; rejected rows come back with their index."
  importRows(input: ImportRowsInput!): ImportRowsResult!
}
`
