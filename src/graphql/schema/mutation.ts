/** The Mutation type: every change. */
export const mutation = /* GraphQL */ `
"""Every change; each is one operation of src/backend.ts (or of the auth service) and writes an audit event."""
type Mutation {
  """
  Logs in with a username or email and a password. Every login field counts as one attempt,
  also when several are sent at once (aliases): the result is nullable so that one failed
  attempt does not stop the others from running, and being counted.
  """
  login(login: String!, password: String!): LoginResult
  "Ends the session of the token this request carries."
  logout: Boolean!
  "Ends the session (or API token) this request carries, and says which token it was."
  endSession: EndSessionResult!
  "A long-lived API token for the logged-in user, or (admins) for user (default expiry: the server's)."
  createApiToken(name: String!, expiresInDays: Int, user: String): CreatedApiToken!
  "Revokes an API token of the logged-in user (admins: anyone's)."
  revokeApiToken(id: Int!): RevokeTokenResult!

  "Creates an account; the password is stored only as a bcrypt hash."
  createUser(input: CreateUserInput!): User!
  "ref: id, username or email."
  updateUser(ref: String!, input: UpdateUserInput!): User!
  "Sets a new password (8 characters to 72 bytes). ref: id, username or email. Users changing their own give currentPassword."
  setUserPassword(ref: String!, password: String!, currentPassword: String): User!
  "Lets a user log in and book again. ref: id, username or email."
  activateUser(ref: String!): User!
  "Stops a user from logging in, booking and listing. ref: id, username or email."
  deactivateUser(ref: String!): User!
  "Deletes a user who owns and booked nothing; with erase: true, erases such a user's personal data instead of refusing."
  deleteUser(ref: String!, erase: Boolean): DeleteUserResult!
  "GDPR erasure: personal data replaced, review texts removed, audit events scrubbed; bookings and payments stay."
  eraseUser(ref: String!): EraseUserResult!

  "Lists a property for a host."
  createProperty(input: CreatePropertyInput!): Property!
  "ref: id or name."
  updateProperty(ref: String!, input: UpdatePropertyInput!): Property!
  "Refused while the property has bookings (unlist it instead)."
  deleteProperty(ref: String!): DeleteResult!

  "Books a stay; refused when it overlaps a booking that is not cancelled."
  createBooking(input: CreateBookingInput!): Booking!
  "ref: id or external reference. Pending → confirmed."
  confirmBooking(ref: String!): Booking!
  "ref: id or external reference. Moves the stay (checked like a new booking; nights before today never change) and/or sets its total: the property's host or an admin (the total: admins)."
  updateBooking(ref: String!, input: UpdateBookingInput!): Booking!
  "Cancels a booking whose stay has not begun and refunds its charges (default: by policy)."
  cancelBooking(ref: String!, refund: RefundMode, reason: String, "Check and compute the cancellation and its refunds, write nothing (what a confirmation shows)." dryRun: Boolean): CancelBookingResult!

  "Reviews a property after a confirmed stay there has ended; once per guest and property."
  createReview(input: CreateReviewInput!): Review!
  "Changes a review's rating (its author only) and/or comment (its author, or an admin moderating it)."
  updateReview(id: Int!, input: UpdateReviewInput!): Review!
  "Deletes a review (moderation)."
  deleteReview(id: Int!): DeleteResult!

  "Records a charge; never above the booking's total."
  recordPayment(input: RecordPaymentInput!): Payment!
  """
  Refunds a completed charge (ref: id or transaction id), the whole remainder when amount is
  left out. A retry with the same idempotencyKey returns the first refund (replayed: true).
  """
  refundPayment(ref: String!, amount: Money, reason: String, idempotencyKey: String, "Check and compute the refund, write nothing (what a confirmation shows)." dryRun: Boolean): RefundResult!

  "Imports one batch of rows, with the same checks as a file import; rejected rows come back with their index."
  importRows(input: ImportRowsInput!): ImportRowsResult!

  "Repairs what db doctor can (properties without free-gap rows get them), then reports as doctor does (stayctl db doctor --repair; admins only)."
  repairDatabase: DoctorReport!
}
`
