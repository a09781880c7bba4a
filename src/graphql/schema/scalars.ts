/** The scalars, page info and enums of the schema. */
export const scalars = /* GraphQL */ `
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
  blocks
}
`
