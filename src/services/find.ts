/** Finding one row the way commands name it: digits are its id, anything else its unique text key. */
import type {Model, ModelStatic, Transaction, WhereOptions} from 'sequelize'

import {NotFoundError} from '../errors.js'

/**
 * The `noun` (booking, payment, property; `plural` as its command topic) that `ref` names: by id, or by `textKey` (its
 * external reference, transaction id, name). Not found: a NotFoundError pointing at the list.
 */
export async function findByRef<M extends Model>(
  model: ModelStatic<M>,
  ref: string | number,
  textKey: string,
  noun: string,
  plural: string,
  transaction?: Transaction,
): Promise<M> {
  const text = String(ref).trim()
  const found = /^\d+$/.test(text)
    ? await model.findByPk(Number(text), {transaction})
    : await model.findOne({where: {[textKey]: text} as WhereOptions, transaction})
  if (!found) throw new NotFoundError(`no ${noun} "${text}"`, {suggestion: `find ${plural} with \`stayctl ${plural} list\``})
  return found
}
