/** The Query type: the entry points for reading. */
export const query = /* GraphQL */ `
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
  "A review by id: anyone, as far as they see its property."
  review(id: Int!): Review!
  "Reviews; property by id or name, reviewer by id, username or email. sort: id, rating, createdAt."
  reviews(first: Int, after: String, sort: String, property: String, reviewer: String, minRating: Int): ReviewConnection!
  "A payment by id or transaction id."
  payment(ref: String!): Payment!
  "Payments. booking: its id or external reference. sort: id, paymentDate, createdAt."
  payments(
    first: Int
    after: String
    sort: String
    booking: String
    bookingId: Int @deprecated(reason: "Use booking, which also takes an external reference.")
    kind: PaymentKind
    status: PaymentStatus
  ): PaymentConnection!
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
  "What the server's database engine allows against what stayctl relies on (stayctl db doctor; admins only)."
  doctor: DoctorReport!
}
`
