/**
 * Payment references: digits are an id, anything else a transaction id, compared exactly on
 * every database (see resolver.ts).
 */
import type {PaymentKind} from '../../domain.js'
import {keyedResolver, type Resolver} from './resolver.js'

/** A payment as a reference resolves it. */
export interface PaymentRef {
  id: number
  bookingId: number
  kind: PaymentKind
  transactionId: string
}

/** Resolves payment references: digits are an id, anything else a transaction id. */
export const resolvePayments: Resolver<PaymentRef> = keyedResolver<PaymentRef>({
  prefix: 'payment',
  select: 'SELECT id, booking_id AS bookingId, kind, transaction_id AS transactionId FROM payments WHERE',
  column: 'transaction_id',
  keyOf: (p) => p.transactionId,
  typed: (p) => ({id: Number(p.id), bookingId: Number(p.bookingId), kind: p.kind, transactionId: p.transactionId}),
})
