/** The inputs of the mutations. */
export const inputs = /* GraphQL */ `
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

"""A booking's new dates or total (what is left out stays; new dates without a total are priced at the property's price now)."""
input UpdateBookingInput {
  "New check-in day."
  startDate: Date
  "New check-out day (exclusive)."
  endDate: Date
  "Admins only: the new total, never below what is charged."
  totalPrice: Money
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

"""A review's new rating or comment (what is left out stays; comment null clears it)."""
input UpdateReviewInput {
  "1 to 5: the review's author only (admins moderate the comment, never another user's rating)."
  rating: Int
  comment: String
}

"""A charge to record against a booking."""
input RecordPaymentInput {
  "The booking: its id or external reference. Give booking or bookingId."
  booking: String
  bookingId: Int @deprecated(reason: "Use booking, which also takes an external reference.")
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
`
