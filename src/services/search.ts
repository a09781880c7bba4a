/**
 * Text search for list filters: a case-insensitive substring match on several columns,
 * with the user's % and _ matched literally. MySQL's LIKE escapes with a backslash by
 * default; SQLite has no escape character unless the ESCAPE clause names one.
 */
import {Op, literal, type WhereOptions} from 'sequelize'

import type {ServiceContext} from './context.js'

/** WHERE one of `fields` contains `text` (substring, LIKE, wildcards escaped). */
export function containsText(ctx: ServiceContext, fields: string[], text: string): WhereOptions {
  const pattern = ctx.db.sequelize.escape(`%${text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  const like = literal(ctx.db.dialect === 'sqlite' ? `${pattern} ESCAPE '\\'` : pattern)
  return {[Op.or]: fields.map((field) => ({[field]: {[Op.like]: like}}))}
}
