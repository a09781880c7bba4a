/** The entities: users, properties, bookings, reviews and payments, with their relations. */
export const entities = /* GraphQL */ `
"""An account: a guest, a host (owns properties) or both; admins may do everything."""
type User {
  "The user's id (stable; also accepted wherever a user ref is asked)."
  id: Int!
  "Unique regardless of case; 3–50 letters, digits, dots, dashes or underscores."
  username: String!
  "Unique, stored lower-case; null unless the caller is an admin or the user themself."
  email: String
  "Given name; null when unknown or erased."
  firstName: String
  "Family name; null when unknown or erased."
  lastName: String
  "Inactive users cannot log in, book or list properties."
  isActive: Boolean!
  "Admins may do everything."
  isAdmin: Boolean!
  "When the account was created."
  createdAt: DateTime!
  "When the account last changed."
  updatedAt: DateTime!
  "The properties this user owns (hosts), by id."
  properties(first: Int, after: String): PropertyConnection!
  "The bookings this user made as a guest, by id."
  bookings(first: Int, after: String, status: BookingStatus): BookingConnection!
  "The reviews this user wrote, by id."
  reviews(first: Int, after: String): ReviewConnection!
}

"""A listing: a place a host rents out by the night."""
type Property {
  "The property's id (also accepted wherever a property ref is asked, as is its name)."
  id: Int!
  "The host's user id."
  ownerId: Int!
  "The host."
  owner: User!
  "Unique name of the listing."
  name: String!
  "Free text; null when there is none."
  description: String
  "Where it is."
  address: String!
  "Price of one night; a stay costs nights × this, fixed when booked."
  pricePerNight: Money!
  "How much a cancelled booking gets back, by days before check-in."
  cancellationPolicy: CancellationPolicy!
  "Unlisted properties cannot be booked and are hidden from availability searches."
  isListed: Boolean!
  "When it was listed."
  createdAt: DateTime!
  "When it last changed."
  updatedAt: DateTime!
  "Average rating of its reviews, two decimals; null without reviews."
  averageRating: Float
  "Number of reviews."
  reviewCount: Int!
  "The next (at most 10) bookings that are not cancelled and have not ended, by check-in."
  upcomingBookings: [Booking!]!
  "Its bookings, by id."
  bookings(first: Int, after: String, status: BookingStatus): BookingConnection!
  "Its reviews, by id."
  reviews(first: Int, after: String): ReviewConnection!
  "Its blocked nights, by id: for its host and admins (others see none, as with blocks)."
  blocks(first: Int, after: String): BlockConnection!
}

"""A stay of a guest at a property, from startDate to endDate (check-out, exclusive)."""
type Booking {
  "The booking's id (also accepted wherever a booking ref is asked, as is its externalRef)."
  id: Int!
  "The property's id."
  propertyId: Int!
  "The property booked."
  property: Property!
  "The guest's user id."
  guestId: Int!
  "Who stays."
  guest: User!
  "Check-in day."
  startDate: Date!
  "Check-out day (exclusive: the last night is the day before)."
  endDate: Date!
  "endDate − startDate."
  nights: Int!
  "pending → confirmed, or cancelled."
  status: BookingStatus!
  "nights × the price per night when booked."
  totalPrice: Money!
  "A reference from another system (a channel manager), unique when given."
  externalRef: String
  "When it was booked."
  createdAt: DateTime!
  "When it last changed (confirmed, cancelled)."
  updatedAt: DateTime!
  "Its charges and refunds, by id."
  payments(first: Int, after: String, kind: PaymentKind, status: PaymentStatus): PaymentConnection!
  "Sum of its completed charges."
  paid: Money!
  "Sum of its completed refunds."
  refunded: Money!
}

"""A guest's rating (1–5) of a property after a confirmed stay there has ended."""
type Review {
  "The review's id."
  id: Int!
  "The property's id."
  propertyId: Int!
  "The property reviewed."
  property: Property!
  "The reviewer's user id."
  reviewerId: Int!
  "The guest who wrote it."
  reviewer: User!
  "1 (worst) to 5 (best)."
  rating: Int!
  "Removed when the reviewer's personal data is erased."
  comment: String
  "When it was written."
  createdAt: DateTime!
  "When its rating or comment last changed (createdAt until then)."
  updatedAt: DateTime!
}

"""A charge against a booking, or a refund of a charge."""
type Payment {
  "The payment's id (also accepted wherever a payment ref is asked, as is its transactionId)."
  id: Int!
  "The booking's id."
  bookingId: Int!
  "The booking paid (or refunded)."
  booking: Booking!
  "A charge of the guest, or a refund of a charge."
  kind: PaymentKind!
  "Always above zero, refunds too."
  amount: Money!
  "pending, completed, failed; a charge refunded in full is refunded."
  status: PaymentStatus!
  "The payment provider's id (refunds get re_<uuid>)."
  transactionId: String!
  "When the money moved."
  paymentDate: DateTime!
  "Refunds: the id of the charge refunded."
  refundOfId: Int
  "Refunds: the charge refunded."
  refundOf: Payment
  "Refunds: why."
  reason: String
  "Refunds: the key that makes retries replay this refund instead of refunding again."
  idempotencyKey: String
  "When it was recorded."
  createdAt: DateTime!
  "Charges: their refunds, by id."
  refunds(first: Int, after: String): PaymentConnection!
  "Charges: what can still be refunded; null for refunds."
  refundable: Money
}
`
