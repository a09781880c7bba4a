/**
 * Substring search for lists: LIKE patterns in which the user's %, _ and ! are taken
 * literally on every database. MySQL escapes with a backslash by default but SQLite has no
 * escape character at all, so the escape is spelled out: ESCAPE '!' means the same on both.
 */
import {Op, literal, type Sequelize, type WhereOptions} from 'sequelize'

/** `'%text%' ESCAPE '!'` as SQL, for the right-hand side of a LIKE; `lower` wraps it in LOWER(). */
export function containsPattern(sequelize: Sequelize, text: string, options: {lower?: boolean} = {}): ReturnType<typeof literal> {
  const pattern = sequelize.escape(`%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`)
  return literal(`${options.lower ? `LOWER(${pattern})` : pattern} ESCAPE '!'`)
}

/** Rows where any of `fields` contains `text`. */
export function containsAny(sequelize: Sequelize, fields: string[], text: string): WhereOptions {
  const pattern = containsPattern(sequelize, text.trim())
  return {[Op.or]: fields.map((field) => ({[field]: {[Op.like]: pattern}}))}
}
