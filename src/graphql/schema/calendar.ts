/** iCalendar feeds of a listing: export, secret feed URLs, imported feeds, import and sync (src/services/calendar/). */
export const calendar = /* GraphQL */ `
"""A listing's calendar as an RFC 5545 feed: live bookings ("Reserved") and blocks ("Blocked"), no guest data."""
type CalendarExport {
  propertyId: Int!
  "Events in the feed."
  events: Int!
  "The VCALENDAR text (CRLF line ends)."
  ics: String!
}

"""A secret URL a listing's feed is published at; never the token itself."""
type CalendarToken {
  "Pass to revokeCalendarToken."
  id: Int!
  propertyId: Int!
  "active or revoked."
  status: String!
  createdAt: DateTime!
  lastUsedAt: DateTime
  revokedAt: DateTime
}

"""A new secret URL: the token is shown this once."""
type PublishedCalendar {
  id: Int!
  propertyId: Int!
  status: String!
  createdAt: DateTime!
  lastUsedAt: DateTime
  revokedAt: DateTime
  token: String!
  "The feed's path on the server: /calendars/<token>.ics."
  path: String!
}

"""Another channel's feed a listing imports (calendar sync)."""
type CalendarFeed {
  id: Int!
  propertyId: Int!
  url: String!
  lastSyncedAt: DateTime
  createdAt: DateTime!
}

type RemovedCalendarFeed {
  id: Int!
  removed: Boolean!
  "Blocks of the feed removed with it."
  blocksRemoved: Int!
}

"""A malformed line or event of a feed, left out; line 0 is the whole feed."""
type CalendarProblem {
  line: Int!
  message: String!
}

"""What an import did to the listing's blocks of one source (or, dryRun, would do)."""
type CalendarImportResult {
  propertyId: Int!
  "The feed's URL, or file:<name>."
  source: String!
  dryRun: Boolean!
  "Ranges of nights the feed gave (each occurrence of a recurring event counts)."
  events: Int!
  added: Int!
  moved: Int!
  removed: Int!
  unchanged: Int!
  "Events not written: their nights are taken (SyncConflict of the blocks' sync)."
  conflicts: [SyncConflict!]!
  problems: [CalendarProblem!]!
}

type SyncedCalendarFeed {
  id: Int!
  propertyId: Int!
  url: String!
  lastSyncedAt: DateTime
  createdAt: DateTime!
  "synced, not-modified (HTTP 304) or failed."
  status: String!
  error: String
  result: CalendarImportResult
}

type CalendarSyncResult {
  feeds: [SyncedCalendarFeed!]!
}

extend type Query {
  "A listing's feed as text (its host or an admin). property: id or name."
  calendarExport(property: String!): CalendarExport!
  "The secret URLs of a listing's feed, newest first; revoked ones too with all."
  calendarTokens(property: String!, all: Boolean): [CalendarToken!]!
  "The feeds a listing imports."
  calendarFeeds(property: String!): [CalendarFeed!]!
}

extend type Mutation {
  "Creates a secret URL for a listing's feed; the token is in this answer only."
  publishCalendar(property: String!): PublishedCalendar!
  "Revokes a secret feed URL: it answers 404 from now on."
  revokeCalendarToken(id: Int!): CalendarToken!
  "Registers another channel's feed (http or https) for syncCalendars."
  addCalendarFeed(property: String!, url: String!): CalendarFeed!
  "Stops importing a feed and removes the blocks it made."
  removeCalendarFeed(property: String!, url: String!): RemovedCalendarFeed!
  """
  Imports a feed into the listing's blocks: url (fetched by the server) or ics (the text of a
  file, with its fileName). Conflicting events are reported, not written; the rest is applied.
  """
  importCalendar(property: String!, url: String, ics: String, fileName: String, dryRun: Boolean, timeoutMs: Int, maxBytes: Int): CalendarImportResult!
  "Pulls every registered feed once (of one listing, or all the caller may manage)."
  syncCalendars(property: String, timeoutMs: Int, maxBytes: Int): CalendarSyncResult!
}
`
