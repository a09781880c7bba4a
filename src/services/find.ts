/**
 * Finding one row the way commands name it: its reference resolved as 1 key by the resolvers
 * that imports use for N (refs/: digits are an id, anything else the row's text key, compared
 * as refs/resolver.ts says), then its model instance loaded. Not found: a NotFoundError
 * pointing at the list.
 */
import type {Model, ModelStatic, Transaction} from 'sequelize'

import {NotFoundError} from '../errors.js'
import type {ServiceContext} from './context.js'
import {resolveOne, type Resolver} from './refs/resolver.js'

/** `ref` names no `noun` (booking, payment, property; `plural` as its command topic). */
export function notFound(ref: string | number, noun: string, plural: string): NotFoundError {
  return new NotFoundError(`no ${noun} "${String(ref).trim()}"`, {suggestion: `find ${plural} with \`stayctl ${plural} list\``})
}

/** The row of `model` with `id`, or `missing()` when there is none (no id, or the row was deleted since it was resolved). */
export async function loadRow<M extends Model>(model: ModelStatic<M>, id: number | undefined, missing: () => Error, transaction?: Transaction): Promise<M> {
  const row = id === undefined ? null : await model.findByPk(id, {transaction})
  if (!row) throw missing()
  return row
}

/**
 * The row of `model` whose id `ref` is (rows named by id alone: blocks, reviews); anything but
 * a whole number names none. `lock`: the row locked for the rest of `transaction` (as lockRow).
 */
export async function findById<M extends Model>(
  model: ModelStatic<M>,
  ref: string | number,
  noun: string,
  plural: string,
  transaction?: Transaction,
  options: {lock?: boolean} = {},
): Promise<M> {
  const text = String(ref).trim()
  const lock = options.lock && transaction ? transaction.LOCK.UPDATE : undefined
  const row = /^\d{1,15}$/.test(text) ? await model.findByPk(Number(text), {transaction, lock}) : null
  if (!row) throw notFound(ref, noun, plural)
  return row
}

/** The `noun` (`plural` as its command topic) that `resolver` finds for `ref`, as a model instance. */
export async function findByRef<M extends Model>(
  ctx: ServiceContext,
  resolver: Resolver<{id: number}>,
  model: ModelStatic<M>,
  ref: string | number,
  noun: string,
  plural: string,
  transaction?: Transaction,
): Promise<M> {
  const found = await resolveOne(resolver, ctx, transaction, ref)
  return loadRow(model, found?.id, () => notFound(ref, noun, plural), transaction)
}
