/** The audit trail, API tokens and the identity of the caller. */
export const access = /* GraphQL */ `
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
`
