/**
 * Importing users: the same checks as `users create` (username, email, names, password rules),
 * passwords given as bcrypt hashes (kept) or in plain text (hashed, in parallel on libuv's
 * thread pool). Usernames and emails are unique regardless of case: clashes with the
 * database or with an earlier row of the file are rejected, or updated with --upsert
 * (matched by username).
 */
import {Op, type CreationAttributes, type Transaction} from 'sequelize'

import {bulkInsert, type Cell, type UniqueKey} from '../../db/bulk.js'
import type {User} from '../../db/models.js'
import {ValidationError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {parseInstant} from '../dates.js'
import {UNUSABLE_PASSWORD_HASH, checkPassword, hashPassword} from '../passwords.js'
import {checkEmail, checkUsername} from '../users.js'
import {flag, text} from './fields.js'
import {RowError, type BatchOutcome, type EntityImporter, type ParsedRow} from './types.js'

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

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/

const UNIQUE_KEYS: UniqueKey[] = [
  {index: 'users_username_unique', columns: ['username']},
  {index: 'users_email_unique', columns: ['email']},
]

/** `check(value)`, its ValidationError turned into the row's error on `name`. */
function field<T>(name: string, check: (value: string) => T, value: string): T {
  try {
    return check(value)
  } catch (error) {
    if (error instanceof ValidationError) throw new RowError(name, error.message)
    throw error
  }
}

function name(value: string | undefined, fieldName: string): string | null {
  if (value === undefined) return null
  const trimmed = value.trim()
  if (trimmed.length > 100) throw new RowError(fieldName, `${fieldName} is longer than 100 characters`)
  return trimmed || null
}

// Rows without a timestamp get the time they are read; rows read in the same millisecond share one Date.
let now = new Date(0)

/** A row's date-time (createdAt): ISO 8601 as parseInstant takes it, or the time the row is read. */
export function parseTimestamp(value: string | undefined, fieldName: string): Date {
  if (value === undefined) {
    const time = Date.now()
    if (time !== now.getTime()) now = new Date(time)
    return now
  }
  try {
    return parseInstant(value, fieldName)
  } catch (error) {
    if (error instanceof ValidationError) throw new RowError(fieldName, error.message)
    throw error
  }
}

const columns = ['username', 'email', 'first_name', 'last_name', 'password_hash', 'is_active', 'is_admin', 'created_at', 'updated_at']

function cells(r: UserRecord): Cell[] {
  return [r.username, r.email, r.firstName, r.lastName, r.passwordHash, r.isActive, r.isAdmin, r.createdAt, r.createdAt]
}

export const usersImporter: EntityImporter<UserRecord> = {
  entity: 'users',
  // Clashes with earlier batches are found by the unique keys, which wait for their commit.
  pipelined: true,
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
    const username = field('username', checkUsername, text(values, 'username') ?? '')
    const email = field('email', checkEmail, text(values, 'email') ?? '')
    const hash = text(values, 'passwordHash')
    const password = values.password
    // The marker of erased accounts passes too, so an export with hashes imports again.
    if (hash !== undefined && !BCRYPT_HASH.test(hash) && hash !== UNUSABLE_PASSWORD_HASH) {
      throw new RowError('passwordHash', 'passwordHash is not a bcrypt hash ($2a$/$2b$/$2y$, 60 characters)')
    }
    if (hash === undefined && (password === undefined || password === '')) throw new RowError('password', 'give a password or a passwordHash')
    const record: UserRecord = {
      username,
      email,
      firstName: name(values.firstName, 'firstName'),
      lastName: name(values.lastName, 'lastName'),
      passwordHash: hash ?? '',
      isActive: flag(values.isActive, 'isActive', true),
      isAdmin: flag(values.isAdmin, 'isAdmin', false),
      createdAt: parseTimestamp(text(values, 'createdAt'), 'createdAt'),
    }
    if (hash !== undefined) return record
    // Everything else was checked first, so that a bad row costs no hashing; hashed on the thread pool.
    field('password', checkPassword, password!)
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
    const result = await bulkInsert(ctx.db, transaction, {
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

/** The rows (indexes) whose username and email no earlier row of the batch has (any case), and the others rejected. */
function withoutRepeats(rows: ParsedRow<UserRecord>[]) {
  const rejected: BatchOutcome['rejected'] = []
  const usernames = new Map<string, number>()
  const emails = new Map<string, number>()
  const fresh: number[] = []
  for (let index = 0; index < rows.length; index++) {
    const {username, email} = rows[index].record
    const lower = username.toLowerCase()
    const earlierName = usernames.get(lower)
    const earlierEmail = earlierName === undefined ? emails.get(email) : undefined
    if (earlierName !== undefined) {
      rejected.push({index, field: 'username', reason: `username "${username}" repeats line ${rows[earlierName].line}`})
    } else if (earlierEmail !== undefined) {
      rejected.push({index, field: 'email', reason: `email "${email}" repeats line ${rows[earlierEmail].line}`})
    } else {
      usernames.set(lower, index)
      emails.set(email, index)
      fresh.push(index)
    }
  }
  return {fresh, rejected}
}

/** --upsert: rows whose username exists update that user (in bulk); the rest are left to insert. */
async function updateExisting(ctx: ServiceContext, transaction: Transaction, rows: ParsedRow<UserRecord>[], indexes: number[]) {
  const {User} = ctx.db.models
  const existing = await User.findAll({
    attributes: ['id', 'username', 'email'],
    where: {[Op.or]: [{username: indexes.map((i) => rows[i].record.username)}, {email: indexes.map((i) => rows[i].record.email)}]},
    transaction,
  })
  const byUsername = new Map(existing.map((u) => [u.username.toLowerCase(), u]))
  const byEmail = new Map(existing.map((u) => [u.email.toLowerCase(), u]))
  const remaining: number[] = []
  const rejected: BatchOutcome['rejected'] = []
  const updates: CreationAttributes<User>[] = []
  for (const index of indexes) {
    const r = rows[index].record
    const user = byUsername.get(r.username.toLowerCase())
    const emailOwner = byEmail.get(r.email)
    if (!user) {
      if (emailOwner) rejected.push({index, field: 'email', reason: `email "${r.email}" belongs to user ${emailOwner.username}`})
      else remaining.push(index)
      continue
    }
    if (emailOwner && emailOwner.id !== user.id) {
      rejected.push({index, field: 'email', reason: `email "${r.email}" belongs to another user (${emailOwner.username})`})
      continue
    }
    updates.push({
      id: user.id,
      username: user.username,
      email: r.email,
      firstName: r.firstName,
      lastName: r.lastName,
      passwordHash: r.passwordHash,
      isActive: r.isActive,
      isAdmin: r.isAdmin,
    })
  }
  // One statement per 1,000 users (an insert that always hits the id, so it updates) instead of one per user.
  for (let from = 0; from < updates.length; from += 1000) {
    await User.bulkCreate(updates.slice(from, from + 1000), {
      transaction,
      conflictAttributes: ['id'],
      updateOnDuplicate: ['email', 'firstName', 'lastName', 'passwordHash', 'isActive', 'isAdmin', 'updatedAt'],
    })
  }
  return {updated: updates.length, rejected, remaining}
}
