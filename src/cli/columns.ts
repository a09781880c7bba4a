/** Table and CSV columns of each entity, keyed by the name --columns accepts. */
import type {AuditEventView} from '../services/audit.js'
import type {TokenView} from '../services/auth.js'
import type {BookingView} from '../services/bookings.js'
import type {Block} from '../domain.js'
import type {PaymentView} from '../services/payments.js'
import type {PropertyView} from '../services/properties.js'
import type {ReviewView} from '../services/reviews.js'
import type {UserView} from '../services/users.js'
import type {Column} from './render.js'

export const userColumns: Record<string, Column<UserView>> = {
  id: {header: 'ID', get: (u) => u.id, align: 'right'},
  username: {header: 'Username', get: (u) => u.username},
  email: {header: 'Email', get: (u) => u.email},
  firstName: {header: 'First name', get: (u) => u.firstName},
  lastName: {header: 'Last name', get: (u) => u.lastName},
  isActive: {header: 'Active', get: (u) => (u.isActive ? 'yes' : 'no')},
  isAdmin: {header: 'Admin', get: (u) => (u.isAdmin ? 'yes' : 'no')},
  createdAt: {header: 'Created', get: (u) => u.createdAt},
}
export const defaultUserColumns = ['id', 'username', 'email', 'isActive', 'isAdmin']

export const propertyColumns: Record<string, Column<PropertyView>> = {
  id: {header: 'ID', get: (p) => p.id, align: 'right'},
  name: {header: 'Name', get: (p) => p.name},
  ownerId: {header: 'Owner', get: (p) => p.ownerId, align: 'right'},
  address: {header: 'Address', get: (p) => p.address},
  pricePerNight: {header: 'Price/night', get: (p) => p.pricePerNight, align: 'right'},
  cancellationPolicy: {header: 'Policy', get: (p) => p.cancellationPolicy},
  isListed: {header: 'Listed', get: (p) => (p.isListed ? 'yes' : 'no')},
  createdAt: {header: 'Created', get: (p) => p.createdAt},
}
export const defaultPropertyColumns = ['id', 'name', 'ownerId', 'pricePerNight', 'cancellationPolicy', 'isListed']

export const bookingColumns: Record<string, Column<BookingView>> = {
  id: {header: 'ID', get: (b) => b.id, align: 'right'},
  propertyId: {header: 'Property', get: (b) => b.propertyId, align: 'right'},
  guestId: {header: 'Guest', get: (b) => b.guestId, align: 'right'},
  startDate: {header: 'Check-in', get: (b) => b.startDate},
  endDate: {header: 'Check-out', get: (b) => b.endDate},
  nights: {header: 'Nights', get: (b) => b.nights, align: 'right'},
  status: {header: 'Status', get: (b) => b.status},
  totalPrice: {header: 'Total', get: (b) => b.totalPrice, align: 'right'},
  externalRef: {header: 'External ref', get: (b) => b.externalRef},
  createdAt: {header: 'Created', get: (b) => b.createdAt},
}
export const blockColumns: Record<string, Column<Block>> = {
  id: {header: 'ID', get: (b) => b.id, align: 'right'},
  propertyId: {header: 'Property', get: (b) => b.propertyId, align: 'right'},
  startDate: {header: 'From', get: (b) => b.startDate},
  endDate: {header: 'Until', get: (b) => b.endDate},
  nights: {header: 'Nights', get: (b) => b.nights, align: 'right'},
  reason: {header: 'Reason', get: (b) => b.reason},
  source: {header: 'Source', get: (b) => b.source},
  sourceUid: {header: 'Event UID', get: (b) => b.sourceUid},
  createdById: {header: 'Created by', get: (b) => b.createdById, align: 'right'},
  createdAt: {header: 'Created', get: (b) => b.createdAt},
}
export const defaultBlockColumns = ['id', 'propertyId', 'startDate', 'endDate', 'nights', 'reason', 'source']

export const defaultBookingColumns = ['id', 'propertyId', 'guestId', 'startDate', 'endDate', 'nights', 'status', 'totalPrice']

export const reviewColumns: Record<string, Column<ReviewView>> = {
  id: {header: 'ID', get: (r) => r.id, align: 'right'},
  propertyId: {header: 'Property', get: (r) => r.propertyId, align: 'right'},
  reviewerId: {header: 'Reviewer', get: (r) => r.reviewerId, align: 'right'},
  rating: {header: 'Rating', get: (r) => r.rating, align: 'right'},
  comment: {header: 'Comment', get: (r) => (r.comment && r.comment.length > 60 ? `${r.comment.slice(0, 57)}…` : r.comment)},
  createdAt: {header: 'Created', get: (r) => r.createdAt},
  updatedAt: {header: 'Updated', get: (r) => r.updatedAt},
}

export const paymentColumns: Record<string, Column<PaymentView>> = {
  id: {header: 'ID', get: (p) => p.id, align: 'right'},
  bookingId: {header: 'Booking', get: (p) => p.bookingId, align: 'right'},
  kind: {header: 'Kind', get: (p) => p.kind},
  amount: {header: 'Amount', get: (p) => p.amount, align: 'right'},
  status: {header: 'Status', get: (p) => p.status},
  transactionId: {header: 'Transaction', get: (p) => p.transactionId},
  refundOfId: {header: 'Refund of', get: (p) => p.refundOfId, align: 'right'},
  paymentDate: {header: 'Date', get: (p) => p.paymentDate},
  reason: {header: 'Reason', get: (p) => p.reason},
}
export const defaultPaymentColumns = ['id', 'bookingId', 'kind', 'amount', 'status', 'transactionId', 'refundOfId', 'paymentDate']

export const auditColumns: Record<string, Column<AuditEventView>> = {
  id: {header: 'ID', get: (e) => e.id, align: 'right'},
  at: {header: 'At', get: (e) => e.at},
  actor: {header: 'Actor', get: (e) => e.actor},
  via: {header: 'Via', get: (e) => e.via},
  action: {header: 'Action', get: (e) => e.action},
  entity: {header: 'Entity', get: (e) => e.entity},
  entityId: {header: 'Entity ID', get: (e) => e.entityId, align: 'right'},
  changes: {header: 'Changes', get: (e) => (e.changes ? JSON.stringify(e.changes) : '')},
}

export const tokenColumns: Record<string, Column<TokenView>> = {
  id: {header: 'ID', get: (t) => t.id, align: 'right'},
  userId: {header: 'User', get: (t) => t.userId, align: 'right'},
  username: {header: 'Username', get: (t) => t.username},
  name: {header: 'Name', get: (t) => t.name},
  kind: {header: 'Kind', get: (t) => t.kind},
  status: {header: 'Status', get: (t) => t.status},
  createdAt: {header: 'Created', get: (t) => t.createdAt},
  expiresAt: {header: 'Expires', get: (t) => t.expiresAt},
  lastUsedAt: {header: 'Last used', get: (t) => t.lastUsedAt},
  revokedAt: {header: 'Revoked', get: (t) => t.revokedAt},
}
export const defaultTokenColumns = ['id', 'username', 'name', 'kind', 'status', 'expiresAt', 'lastUsedAt']
