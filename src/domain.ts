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
