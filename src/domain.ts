/**
 * The enums and types of the domain: the values a booking's status, a payment's kind and
 * status, a property's cancellation policy… can take. Every layer reads them from here (the
 * models, the services, the GraphQL resolvers, the commands' flag options); this module
 * imports nothing, so none of them depends on the database layer to know a status.
 */

/** A booking is asked (pending), accepted by the host (confirmed), or cancelled. */
export const BOOKING_STATUSES = ['pending', 'confirmed', 'cancelled'] as const
export type BookingStatus = (typeof BOOKING_STATUSES)[number]

/** A payment's status; a charge refunded in full becomes refunded. */
export const PAYMENT_STATUSES = ['pending', 'completed', 'failed', 'refunded'] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

/** A charge of the guest, or a refund of a charge. */
export const PAYMENT_KINDS = ['charge', 'refund'] as const
export type PaymentKind = (typeof PAYMENT_KINDS)[number]

/** How much of a cancelled booking is refunded, by days before check-in (src/services/policies.ts). */
export const CANCELLATION_POLICIES = ['flexible', 'moderate', 'strict'] as const
export type CancellationPolicy = (typeof CANCELLATION_POLICIES)[number]

/** What a cancellation refunds: by the property's policy, everything paid, or nothing. */
export const REFUND_MODES = ['policy', 'full', 'none'] as const
export type RefundMode = (typeof REFUND_MODES)[number]

/** Where a change came from, as the audit log records it. */
export const AUDIT_CHANNELS = ['cli', 'graphql', 'import', 'seed'] as const
export type AuditChannel = (typeof AUDIT_CHANNELS)[number]

/**
 * Nights of a property no one can book: [startDate, endDate), endDate exclusive like a
 * check-out. Made by hand (source null) or from an event of another channel's iCalendar feed
 * (source: the feed's URL, sourceUid: the event's UID).
 */
export interface Block {
  id: number
  propertyId: number
  startDate: string
  endDate: string
  nights: number
  reason: string
  source: string | null
  sourceUid: string | null
  createdById: number | null
  createdAt: string
  updatedAt: string
}

/** An event of a feed, as syncSourceBlocks takes it: all-day dates, end exclusive. */
export interface SourceEvent {
  uid: string
  start: string
  end: string
  reason?: string
}

/**
 * What a stay or a block overlapped: a live booking or another block (by hand or of another
 * source). An earlier event of the same sync is a block with its uid (and id null when it is new).
 */
export interface CalendarOverlap {
  kind: 'booking' | 'block'
  id: number | null
  startDate: string
  endDate: string
  uid?: string
}

/** An event that was not written because its nights are taken. */
export interface SyncConflict {
  uid: string
  start: string
  end: string
  overlaps: CalendarOverlap
  /** "2027-01-03 → 2027-01-05 overlaps booking 17 (2027-01-04 → 2027-01-06) of property 3" */
  reason: string
}

/**
 * What a sync of one source's events into one property's blocks did (or, dryRun, would do):
 * the blocks added, moved or changed (their new state), removed (their last state) and left as
 * they were, and the events refused for an overlap. Every event is in exactly one of added,
 * moved, unchanged and conflicts.
 */
export interface SyncSourceBlocksResult {
  propertyId: number
  source: string
  dryRun: boolean
  added: Block[]
  moved: Block[]
  removed: Block[]
  unchanged: Block[]
  conflicts: SyncConflict[]
}
