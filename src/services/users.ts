/**
 * User accounts: create, find, list, update, passwords, (de)activation, deletion and GDPR
 * erasure. Usernames and emails are unique without regard to case (the database enforces
 * it; emails are stored lower-case). No view of a user ever carries the password hash, and
 * only admins and the user themself see the email. Admins administer users; a user may see
 * and update themself and set their own password (giving the current one).
 */
import {UniqueConstraintError, type Transaction} from 'sequelize'

import type {User} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import {ConflictError, ForbiddenError, NotFoundError} from '../errors.js'
import {audit, createAudited, updateAudited} from './audit.js'
import {attemptPassword} from './login-attempts.js'
import {canSeeEmail, isAdmin, requireAdmin, requireSelfOrAdmin, requireUser} from './authz.js'
import type {ServiceContext} from './context.js'
import {listPage, type ListRule, type Page, type PageInput} from './pagination.js'
import {UNUSABLE_PASSWORD_HASH, hashPassword} from './passwords.js'
import {checkEmail, checkName, checkUsername, loadUserKeys} from './rules/users.js'
import {scrubPersonalData} from './erasure.js'
import {containsAny} from './search.js'
import {endSessions} from './tokens.js'
import {loadRow} from './find.js'
import {resolveOne} from './refs/resolver.js'
import {isEmailRef, resolveUsers} from './refs/users.js'
import {inTransaction} from './transaction.js'

export interface UserView {
  id: number
  username: string
  /** null unless the caller is an admin or the user themself. */
  email: string | null
  firstName: string | null
  lastName: string | null
  isActive: boolean
  isAdmin: boolean
  createdAt: string
  updatedAt: string
}

/** The user as `ctx`'s actor may see them: the email only for admins and the user themself. */
export function userView(ctx: ServiceContext, user: RowOf<User>): UserView {
  return {
    id: user.id,
    username: user.username,
    email: canSeeEmail(ctx, user.id) ? user.email : null,
    firstName: user.firstName,
    lastName: user.lastName,
    isActive: user.isActive,
    isAdmin: user.isAdmin,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  }
}

/**
 * Finds a user by id, username or email (case-insensitive; refs/users.ts). `ref` may be a
 * number, a numeric string (an id), an address with @ (an email) or anything else (a username).
 * By email only for admins and the user themself: to anyone else, another user's email finds no one.
 */
export async function findUser(ctx: ServiceContext, ref: string | number, transaction?: Transaction): Promise<User> {
  const found = await resolveOne(resolveUsers, ctx, transaction, ref)
  // Emails are private: only admins (and the user themself) may find a user by one, so no one can probe addresses.
  const id = found && (!isEmailRef(ref) || canSeeEmail(ctx, found.id)) ? found.id : undefined
  const missing = () => new NotFoundError(`no user "${String(ref).trim()}"`, {suggestion: 'find users with `stayctl users list --search …`'})
  return loadRow(ctx.db.models.User, id, missing, transaction)
}

/**
 * The conflict of a username or email another user has. Admins learn whose it is; anyone
 * else only that the value cannot be theirs: never the other user's id, and an email is not
 * even repeated (emails are private; see findUser).
 */
function takenError(ctx: ServiceContext, field: 'username' | 'email', value: string, otherId?: number, cause?: unknown): ConflictError {
  if (isAdmin(ctx)) {
    const whose = otherId === undefined ? '' : ` by user ${otherId}`
    return new ConflictError(`${field} "${value}" is already taken${whose}`, {details: {field, ...(otherId === undefined ? {} : {userId: otherId})}, cause})
  }
  const what = field === 'email' ? 'this email address' : `username "${value}"`
  return new ConflictError(`${what} cannot be used for this account; choose another ${field === 'email' ? 'address' : 'username'}`, {
    details: {field},
    cause,
  })
}

/** Refuses a username or email another user holds (the kernel's rule, rules/users.ts, for one user). */
async function assertUnique(ctx: ServiceContext, fields: {username?: string; email?: string}, exceptId?: number, transaction?: Transaction) {
  const taken = (await loadUserKeys(ctx, transaction, [fields])).taken(fields, exceptId)
  if (taken) throw takenError(ctx, taken.field, fields[taken.field]!, taken.holder.id)
}

/** Turns a unique-key race the checks could not see into the same ConflictError. */
function uniqueConflict(ctx: ServiceContext, values: {username?: string; email?: string}): (error: unknown) => never {
  return (error) => {
    if (error instanceof UniqueConstraintError) {
      const field = /email/.test(error.errors[0]?.path ?? '') ? 'email' : 'username'
      throw takenError(ctx, field, values[field] ?? '', undefined, error)
    }
    throw error
  }
}

export interface CreateUserInput {
  username: string
  email: string
  password: string
  firstName?: string | null
  lastName?: string | null
  isAdmin?: boolean
  isActive?: boolean
}

/** Creates an account (admins only: self-service sign-up needs verification and is not built yet). */
export async function createUser(ctx: ServiceContext, input: CreateUserInput): Promise<UserView> {
  requireAdmin(ctx, 'create users')
  const username = checkUsername(input.username)
  const email = checkEmail(input.email)
  const firstName = checkName(input.firstName, 'first name') ?? null
  const lastName = checkName(input.lastName, 'last name') ?? null
  const passwordHash = await hashPassword(input.password, ctx.bcryptCost)
  return inTransaction(ctx, async (transaction) => {
    await assertUnique(ctx, {username, email}, undefined, transaction)
    const user = await createAudited(
      ctx,
      transaction,
      ctx.db.models.User,
      {username, email, firstName, lastName, passwordHash, isAdmin: Boolean(input.isAdmin), isActive: input.isActive ?? true},
      {action: 'user.create', entity: 'user', changes: {username, email, isAdmin: Boolean(input.isAdmin)}, ifTaken: uniqueConflict(ctx, {username, email})},
    )
    return userView(ctx, rowOf(user))
  })
}

/** A user: anyone logged in sees a profile; the email only for themself and admins. */
export async function showUser(ctx: ServiceContext, ref: string | number): Promise<UserView> {
  requireUser(ctx, 'see users')
  return userView(ctx, rowOf(await findUser(ctx, ref)))
}

export interface ListUsersInput extends PageInput {
  active?: boolean
  admin?: boolean
  /** Matches username, email, first or last name (substring, case-insensitive). */
  search?: string
}

/** Who may list users (admins; they see every row) and what the list sorts by. */
export const userList: ListRule = {
  scope: (ctx) => {
    requireAdmin(ctx, 'list users')
    return undefined
  },
  sortable: ['username', 'email', 'createdAt'],
}

export async function listUsers(ctx: ServiceContext, input: ListUsersInput = {}): Promise<Page<UserView>> {
  return listPage(ctx, userList, {model: ctx.db.models.User, view: (user) => userView(ctx, user), input}, async () => [
    input.active !== undefined && {isActive: input.active},
    input.admin !== undefined && {isAdmin: input.admin},
    input.search && containsAny(ctx.db.sequelize, ['username', 'email', 'firstName', 'lastName'], input.search),
  ])
}

export interface UpdateUserInput {
  username?: string
  email?: string
  firstName?: string | null
  lastName?: string | null
  isAdmin?: boolean
}

/** Updates a user: an admin anyone, a user themself; only admins grant or revoke admin rights. */
export async function updateUser(ctx: ServiceContext, ref: string | number, input: UpdateUserInput): Promise<UserView> {
  requireUser(ctx, 'update users')
  if (input.isAdmin !== undefined && !isAdmin(ctx)) throw new ForbiddenError('only admins may grant or revoke admin rights')
  const changes: UpdateUserInput = {
    username: input.username === undefined ? undefined : checkUsername(input.username),
    email: input.email === undefined ? undefined : checkEmail(input.email),
    firstName: checkName(input.firstName, 'first name'),
    lastName: checkName(input.lastName, 'last name'),
    isAdmin: input.isAdmin,
  }
  return inTransaction(ctx, async (transaction) => {
    const user = await findUser(ctx, ref, transaction)
    requireSelfOrAdmin(ctx, user.id, 'update a user')
    await assertUnique(ctx, {username: changes.username, email: changes.email}, user.id, transaction)
    await updateAudited(ctx, transaction, user, changes, {action: 'user.update', entity: 'user', before: user.get(), ifTaken: uniqueConflict(ctx, changes)})
    return userView(ctx, rowOf(user))
  })
}

export interface SetPasswordOptions {
  /** Required when users change their own password (admins need not): a stolen session alone must not take the account over. */
  currentPassword?: string
}

/**
 * Sets a user's password (admins: anyone's; users: their own, giving the current one, which
 * counts as a login attempt). Every session of the user ends, and every token made with one
 * (see endSessions); API tokens made otherwise stay.
 */
export async function setPassword(ctx: ServiceContext, ref: string | number, password: string, options: SetPasswordOptions = {}): Promise<UserView> {
  requireUser(ctx, 'set passwords')
  const target = await findUser(ctx, ref)
  requireSelfOrAdmin(ctx, target.id, 'set the password')
  const passwordHash = await hashPassword(password, ctx.bcryptCost)
  if (!isAdmin(ctx)) {
    const current = options.currentPassword ?? ''
    if (current === '' || !(await attemptPassword(ctx, target, target.username, current))) {
      throw new ForbiddenError('the current password is wrong (or too many failed attempts locked the account for a while)', {
        details: {field: 'currentPassword'},
      })
    }
  }
  return inTransaction(ctx, async (transaction) => {
    const user = await findUser(ctx, target.id, transaction)
    await user.update({passwordHash}, {transaction})
    await endSessions(ctx, user.id, transaction)
    // The audit trail says that it changed, never what to.
    await audit(ctx, transaction, {action: 'user.set-password', entity: 'user', entityId: user.id, changes: null})
    return userView(ctx, rowOf(user))
  })
}

/**
 * Activates or deactivates a user (admins). Deactivation ends the user's sessions and the
 * tokens made with them (see endSessions), so activating the user again brings none of them
 * back; API tokens made otherwise are refused while the user is inactive, and work again after.
 */
export async function setActive(ctx: ServiceContext, ref: string | number, active: boolean): Promise<UserView> {
  requireAdmin(ctx, active ? 'activate users' : 'deactivate users')
  return inTransaction(ctx, async (transaction) => {
    const user = await findUser(ctx, ref, transaction)
    if (Boolean(user.isActive) === active) return userView(ctx, rowOf(user))
    await user.update({isActive: active}, {transaction})
    if (!active) await endSessions(ctx, user.id, transaction)
    await audit(ctx, transaction, {
      action: active ? 'user.activate' : 'user.deactivate',
      entity: 'user',
      entityId: user.id,
      changes: {isActive: {from: !active, to: active}},
    })
    return userView(ctx, rowOf(user))
  })
}

/** What ties a user to the books: refusal reasons for delete. */
async function holdings(ctx: ServiceContext, userId: number, transaction: Transaction) {
  const {Property, Booking, Payment} = ctx.db.models
  const [properties, bookings, payments] = await Promise.all([
    Property.count({where: {ownerId: userId}, transaction}),
    Booking.count({where: {guestId: userId}, transaction}),
    Payment.count({include: [{association: 'booking', where: {guestId: userId}, required: true}], transaction}),
  ])
  return {properties, bookings, payments}
}

export interface DeleteUserResult {
  id: number
  deleted: boolean
  erased: boolean
}

/**
 * Deletes a user who owns nothing and booked nothing. Otherwise refuses (the books must
 * keep their bookings and payments) unless `erase` is set: then the personal data is erased
 * and the rows stay.
 */
export async function deleteUser(ctx: ServiceContext, ref: string | number, options: {erase?: boolean} = {}): Promise<DeleteUserResult> {
  requireAdmin(ctx, 'delete users')
  const outcome = await inTransaction(ctx, async (transaction) => {
    const user = await findUser(ctx, ref, transaction)
    const held = await holdings(ctx, user.id, transaction)
    if (held.properties + held.bookings + held.payments > 0) {
      if (options.erase) return {id: user.id, erase: true}
      const parts = [
        held.properties && `owns ${held.properties} propert${held.properties === 1 ? 'y' : 'ies'}`,
        held.bookings && `has ${held.bookings} booking(s)`,
        held.payments && `has ${held.payments} payment(s)`,
      ].filter(Boolean)
      throw new ConflictError(`user ${user.id} (${user.username}) ${parts.join(', ')}, so it cannot be deleted`, {
        suggestion: `deactivate it (\`stayctl users deactivate ${user.id}\`), or erase its personal data (\`stayctl users erase ${user.id}\`)`,
        details: held,
      })
    }
    await ctx.db.models.Review.destroy({where: {reviewerId: user.id}, transaction})
    // Their tokens go with the row; what their sessions made for others ends with them.
    await endSessions(ctx, user.id, transaction)
    await user.destroy({transaction})
    await audit(ctx, transaction, {action: 'user.delete', entity: 'user', entityId: user.id, changes: null})
    return {id: user.id, erase: false}
  })
  if (outcome.erase) {
    await eraseUser(ctx, outcome.id)
    return {id: outcome.id, deleted: false, erased: true}
  }
  return {id: outcome.id, deleted: true, erased: false}
}

export interface EraseUserResult {
  id: number
  username: string
  reviewsScrubbed: number
  auditEventsScrubbed: number
}

/**
 * GDPR erasure: the user's username, email, names and password are replaced, review texts
 * removed, and their personal data (every value they have had) replaced in the audit events
 * that are theirs (about them, made by them, about their bookings, payments, reviews and
 * tokens) and in the reasons of their payments; see erasure.ts for how those are found
 * exactly. Bookings, payments and ratings stay, so the books still add up. The account is
 * deactivated and its tokens deleted. Cannot be undone.
 */
export async function eraseUser(ctx: ServiceContext, ref: string | number): Promise<EraseUserResult> {
  requireAdmin(ctx, 'erase users')
  return inTransaction(ctx, async (transaction) => {
    const {User, Review} = ctx.db.models
    const user = await findUser(ctx, ref, transaction)
    const username = `erased-${user.id}`
    const email = `erased-${user.id}@erased.invalid`
    // While the row still holds the values to find.
    const {auditEventsScrubbed} = await scrubPersonalData(ctx, transaction, user, {username, email})
    await User.update(
      {username, email, firstName: null, lastName: null, passwordHash: UNUSABLE_PASSWORD_HASH, isActive: false, isAdmin: false},
      {where: {id: user.id}, transaction},
    )
    // What their sessions made for others ends too, before their own tokens are deleted.
    await endSessions(ctx, user.id, transaction)
    await ctx.db.models.ApiToken.destroy({where: {userId: user.id}, transaction})
    await ctx.db.models.LoginAttempt.destroy({where: {userId: user.id}, transaction})
    const [reviewsScrubbed] = await Review.update({comment: null}, {where: {reviewerId: user.id}, transaction})
    await audit(ctx, transaction, {action: 'user.erase', entity: 'user', entityId: user.id, changes: null})
    return {id: user.id, username, reviewsScrubbed, auditEventsScrubbed}
  })
}
