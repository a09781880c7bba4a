/** The results of the mutations that are more than an entity. */
export const payloads = /* GraphQL */ `
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

"""What db doctor found: the engine, and each check as ok, warn or fail."""
type DoctorReport {
  engine: DoctorEngine!
  "In the order the checks ran; the first names the engine."
  findings: [DoctorFinding!]!
  ok: Int!
  warn: Int!
  fail: Int!
}

"""The database engine behind the server."""
type DoctorEngine {
  "MariaDB, MySQL, TiDB, Vitess or SQLite."
  name: String!
  version: String!
  "galera or group-replication; null for a single server."
  cluster: String
  "proxysql when a ProxySQL answers in front of the server."
  proxy: String
}

"""One check of db doctor."""
type DoctorFinding {
  "A stable name: local-infile, sql-mode, write-set…"
  check: String!
  "ok, warn or fail."
  status: String!
  message: String!
  "The setting to change, when the status is not ok."
  fix: String
}
`
