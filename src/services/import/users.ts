/**
 * Importing users: the same checks as `users create` (username, email, names, password rules),
 * passwords given as bcrypt hashes (kept) or in plain text (hashed, in parallel on libuv's
 * thread pool). Usernames and emails are unique regardless of case: clashes with the
 * database or with an earlier row of the file are rejected, or updated with --upsert
 * (matched by username).
 */
import type {CreationAttributes, Transaction} from 'sequelize'

import {type Cell, type UniqueKey} from '../../db/bulk.js'
import type {User} from '../../db/models.js'
import type {ServiceContext} from '../context.js'
import {checkPassword, hashPassword} from '../passwords.js'
import {UserKeys, checkEmail, checkName, checkPasswordHash, checkUsername, loadUserKeys} from '../rules/users.js'
import {check, createdAt, flag, text} from './fields.js'
import {RowError, insertImported, type BatchOutcome, type EntityImporter, type ParsedRow} from './types.js'

export interface UserRecord {
  username: string
  email: string
  firstName: string | null
  lastName: string | null
  passwordHash: string
  isActive: boolean
  isAdmin: boolean
  createdAt: Date
}

const UNIQUE_KEYS: UniqueKey[] = [
  {index: 'users_username_unique', columns: ['username']},
  {index: 'users_email_unique', columns: ['email']},
]

const columns = ['username', 'email', 'first_name', 'last_name', 'password_hash', 'is_active', 'is_admin', 'created_at']

function cells(r: UserRecord): Cell[] {
  return [r.username, r.email, r.firstName, r.lastName, r.passwordHash, r.isActive, r.isAdmin, r.createdAt]
}

export const usersImporter: EntityImporter<UserRecord> = {
  entity: 'users',
  // Clashes with earlier batches are found by the unique keys, which wait for their commit.
  pipelined: 'writes',
  fields: [
    {name: 'username', aliases: ['login', 'user'], required: true},
    {name: 'email', aliases: ['mail', 'emailAddress'], required: true},
    {name: 'firstName', aliases: ['first', 'givenName']},
    {name: 'lastName', aliases: ['last', 'surname', 'familyName']},
    {name: 'password'},
    {name: 'passwordHash', aliases: ['hash', 'password_digest']},
    {name: 'isActive', aliases: ['active']},
    {name: 'isAdmin', aliases: ['admin']},
    {name: 'createdAt', aliases: ['created']},
  ],

  parse(values, ctx) {
    const username = check('username', () => checkUsername(text(values, 'username') ?? ''))
    const email = check('email', () => checkEmail(text(values, 'email') ?? ''))
    const hash = text(values, 'passwordHash')
    const password = values.password
    if (hash !== undefined) check('passwordHash', () => checkPasswordHash(hash))
    if (hash === undefined && (password === undefined || password === '')) throw new RowError('password', 'give a password or a passwordHash')
    const record: UserRecord = {
      username,
      email,
      firstName: check('firstName', () => checkName(values.firstName, 'firstName') ?? null),
      lastName: check('lastName', () => checkName(values.lastName, 'lastName') ?? null),
      passwordHash: hash ?? '',
      isActive: flag(values.isActive, 'isActive', true),
      isAdmin: flag(values.isAdmin, 'isAdmin', false),
      createdAt: createdAt(values),
    }
    if (hash !== undefined) return record
    // Everything else was checked first, so that a bad row costs no hashing; hashed on the thread pool.
    check('password', () => checkPassword(password!))
    return hashPassword(password!, ctx.bcryptCost).then((passwordHash) => ({...record, passwordHash}))
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    // Clashes inside the batch are found here; clashes with the database by the insert.
    const {fresh, rejected} = withoutRepeats(rows)
    let updated = 0
    let toInsert = fresh
    if (options.upsert) {
      await options.turn
      const result = await updateExisting(ctx, transaction, rows, fresh)
      updated = result.updated
      rejected.push(...result.rejected)
      toInsert = result.remaining
    }
    const result = await insertImported(ctx, transaction, {
      table: 'users',
      columns,
      rows: {length: toInsert.length, at: (i) => cells(rows[toInsert[i]].record)},
      uniqueKeys: UNIQUE_KEYS,
      before: options.turn,
    })
    for (const duplicate of result.duplicates) {
      const column = duplicate.key.columns[0]
      const fieldName = column === 'username' ? 'username' : 'email'
      const index = toInsert[duplicate.row]
      rejected.push({index, field: fieldName, reason: `${fieldName} "${rows[index].record[fieldName]}" already exists`})
    }
    return {inserted: result.inserted, updated, rejected}
  },
}

/** The rows (indexes) whose username and email no earlier row of the batch holds (the kernel's rule), and the others rejected. */
function withoutRepeats(rows: ParsedRow<UserRecord>[]) {
  const rejected: BatchOutcome['rejected'] = []
  const earlier = new UserKeys()
  const fresh: number[] = []
  for (let index = 0; index < rows.length; index++) {
    const {record: r, line} = rows[index]
    const taken = earlier.taken(r)
    if (taken) rejected.push({index, field: taken.field, reason: `${taken.field} "${r[taken.field]}" repeats line ${taken.holder.line}`})
    else {
      earlier.add({username: r.username, email: r.email, line})
      fresh.push(index)
    }
  }
  return {fresh, rejected}
}

/**
 * --upsert: a row whose username exists updates that user (in bulk), unless its email is
 * another user's; a row whose email alone exists is refused; the rest are left to insert.
 */
async function updateExisting(ctx: ServiceContext, transaction: Transaction, rows: ParsedRow<UserRecord>[], indexes: number[]) {
  const existing = await loadUserKeys(
    ctx,
    transaction,
    indexes.map((i) => rows[i].record),
  )
  const remaining: number[] = []
  const rejected: BatchOutcome['rejected'] = []
  const updates: CreationAttributes<User>[] = []
  for (const index of indexes) {
    const r = rows[index].record
    const user = existing.byUsername(r.username)
    const taken = existing.taken({email: r.email}, user?.id)
    if (taken) {
      const whose = user ? `another user (${taken.holder.username})` : `user ${taken.holder.username}`
      rejected.push({index, field: 'email', reason: `email "${r.email}" belongs to ${whose}`})
    } else if (user) {
      const {email, firstName, lastName, passwordHash, isActive, isAdmin} = r
      updates.push({id: user.id, username: user.username, email, firstName, lastName, passwordHash, isActive, isAdmin})
    } else remaining.push(index)
  }
  // One statement per 1,000 users (an insert that always hits the id, so it updates) instead of one per user.
  for (let from = 0; from < updates.length; from += 1000) {
    await ctx.db.models.User.bulkCreate(updates.slice(from, from + 1000), {
      transaction,
      conflictAttributes: ['id'],
      updateOnDuplicate: ['email', 'firstName', 'lastName', 'passwordHash', 'isActive', 'isAdmin', 'updatedAt'],
    })
  }
  return {updated: updates.length, rejected, remaining}
}
