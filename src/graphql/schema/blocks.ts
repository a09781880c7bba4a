/** Blocked nights of a property (services/blocks.ts): the type, its reads and its writes. */
export const blocks = /* GraphQL */ `
"""
Nights of a property no one can book, from startDate to endDate (exclusive, like a
check-out): by hand (maintenance, the owner's stay) or from an event of another channel's
iCalendar feed (source and sourceUid). Never overlaps a booking that is not cancelled, nor
another block of the property.
"""
type Block {
  "The block's id."
  id: Int!
  "The property's id."
  propertyId: Int!
  "The property blocked."
  property: Property!
  "First night blocked."
  startDate: Date!
  "The day after the last night blocked (exclusive)."
  endDate: Date!
  "endDate − startDate."
  nights: Int!
  "Why ('' when none was given)."
  reason: String!
  "The feed the block came from (null: made by hand)."
  source: String
  "The event's UID in that feed."
  sourceUid: String
  "Who made it (null once that user is deleted, or when made at the command line)."
  createdById: Int
  createdAt: DateTime!
  updatedAt: DateTime!
}

"""A page of blocks."""
type BlockConnection {
  "The blocks of this page, in order."
  nodes: [Block!]!
  "Where the page ends: pass endCursor as after for the next."
  pageInfo: PageInfo!
}

"""Nights to block."""
input CreateBlockInput {
  "Property id or name."
  property: String!
  startDate: Date!
  "The day after the last night (exclusive)."
  endDate: Date!
  reason: String
  "The feed the block comes from, with sourceUid (both or neither)."
  source: String
  sourceUid: String
}

"""A block's new dates or reason (what is left out stays)."""
input UpdateBlockInput {
  startDate: Date
  endDate: Date
  reason: String
}

"""An event of a feed: all-day dates, end exclusive."""
input SourceEventInput {
  uid: String!
  start: Date!
  end: Date!
  reason: String
}

"""What an event of a sync overlapped."""
type CalendarOverlap {
  "booking or block."
  kind: String!
  "Its id (null: an earlier event of the same sync, not yet a block)."
  id: Int
  startDate: Date!
  endDate: Date!
  "The UID of the earlier event of the same sync it overlapped."
  uid: String
}

"""An event not written because its nights are taken."""
type SyncConflict {
  uid: String!
  start: Date!
  end: Date!
  overlaps: CalendarOverlap!
  "The overlap, as a sentence naming both."
  reason: String!
}

"""What a sync of a feed's events into a property's blocks did (dryRun: would do)."""
type SyncSourceBlocksResult {
  propertyId: Int!
  source: String!
  dryRun: Boolean!
  added: [Block!]!
  "Blocks whose event changed dates or reason: their new state."
  moved: [Block!]!
  "Blocks whose event left the feed: their last state."
  removed: [Block!]!
  unchanged: [Block!]!
  conflicts: [SyncConflict!]!
}

extend type Query {
  "A block by id: its property's host and admins."
  block(ref: String!): Block!
  "Blocks of the caller's properties (admins: all); property by id or name; source: a feed URL exactly; from/to keep blocks overlapping [from, to). sort: id, startDate, createdAt."
  blocks(first: Int, after: String, sort: String, property: String, source: String, from: Date, to: Date): BlockConnection!
}

extend type Mutation {
  "Blocks nights of a property (its host or an admin); refused when they overlap a booking that is not cancelled or another block."
  createBlock(input: CreateBlockInput!): Block!
  "Moves a block or changes its reason (checked like a new block)."
  updateBlock(ref: String!, input: UpdateBlockInput!): Block!
  "Deletes a block, freeing its nights."
  deleteBlock(ref: String!): DeleteResult!
  """
  Makes the blocks of (property, source) those of events, in one transaction: new events add
  blocks, changed ones move theirs, blocks whose event is gone are removed; an event whose
  nights are taken is written nowhere and comes back in conflicts.
  """
  syncSourceBlocks(property: String!, source: String!, events: [SourceEventInput!]!, dryRun: Boolean): SyncSourceBlocksResult!
}
`
