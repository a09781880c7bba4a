/** The cursor connections of the lists. */
export const connections = /* GraphQL */ `
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
`
