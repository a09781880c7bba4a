/**
 * The SQL text of compiled selections (see index.ts), for each dialect, in one place: how a
 * column is rendered into JSON the way the views render it (money as "12.50", date-times as
 * ISO-8601 text, booleans as true/false), a JSON object, the row a foreign key points at
 * (a LEFT JOIN: a correlated subquery per row cost MariaDB a third more on the bench query),
 * and the JSON array of a page of children (a correlated subquery per parent).
 *
 * MariaDB (≥ 10.5): JSON_OBJECT, and JSON_ARRAYAGG with ORDER BY and LIMIT inside it (a
 * derived table may not refer to the outer row there). A JSON value from a function or a
 * scalar subquery nests as JSON, not as a string, on 10.11 (the differential test checks it);
 * the aggregate is bounded by group_concat_max_len, which the statement raises for itself
 * (`SET STATEMENT … FOR`), so that a long page is never cut. MySQL 8 has no ORDER BY inside
 * JSON_ARRAYAGG: it is not compiled for (index.ts).
 *
 * SQLite: json_object and json_group_array over a correlated subquery in FROM (which orders
 * and limits); values of subqueries lose their JSON subtype, so each is wrapped in json().
 */
import {DataTypes, type Model, type ModelStatic} from 'sequelize'

import {isoDateTimeSql} from '../../db/select.js'

export type Dialect = 'mysql' | 'sqlite'

/** Sizes up to which MariaDB's JSON_ARRAYAGG does not cut its text (set for each compiled statement). */
const AGGREGATE_BYTES = 1 << 30

export interface SqlText {
  dialect: Dialect
  /** A quoted identifier. */
  q(name: string): string
}

export function sqlText(dialect: Dialect): SqlText {
  return {
    dialect,
    q: dialect === 'mysql' ? (name) => `\`${name.replace(/`/g, '``')}\`` : (name) => `"${name.replace(/"/g, '""')}"`,
  }
}

/** A string literal of a name (keys of JSON objects, values of the schema's enums): letters, digits, _ and ~ only. */
export function quoteString(value: string): string {
  if (!/^[\w~]*$/.test(value)) throw new Error(`not a name: ${JSON.stringify(value)}`)
  return `'${value}'`
}

/** SQL for attribute `attribute` of `model` on table alias `alias`, as its view has it in JSON. */
export function leafSql(sql: SqlText, model: ModelStatic<Model>, alias: string, attribute: string): string {
  const spec = model.getAttributes()[attribute]
  const column = `${alias}.${sql.q(spec.field ?? attribute)}`
  const type = spec.type
  if (type instanceof DataTypes.DECIMAL) return sql.dialect === 'mysql' ? `CAST(${column} AS CHAR)` : `printf('%.2f', ${column})`
  if (type instanceof DataTypes.DATE) return `CASE WHEN ${column} IS NULL THEN NULL ELSE ${isoDateTimeSql(sql.dialect, column)} END`
  if (type instanceof DataTypes.BOOLEAN) {
    return sql.dialect === 'mysql' ? `(${column} <> 0)` : `CASE WHEN ${column} IS NULL THEN NULL WHEN ${column} THEN json('true') ELSE json('false') END`
  }
  return column
}

/** A JSON object of `[key, sql]` pairs. */
export function objectSql(sql: SqlText, pairs: [string, string][]): string {
  const args = pairs.map(([key, value]) => `${quoteString(key)}, ${value}`).join(', ')
  return sql.dialect === 'mysql' ? `JSON_OBJECT(${args})` : `json_object(${args})`
}

/**
 * `table` as `alias` in a FROM clause, only the rows `rule` lets the viewer see. A rule is
 * written over its table's own columns, unqualified (authz.ts), so with joins beside it it
 * filters a derived table of its own, which the planners merge into the query.
 */
export function sourceSql(table: string, alias: string, rule: string | undefined): string {
  return `${rule === undefined ? table : `(SELECT * FROM ${table} WHERE ${rule})`} ${alias}`
}

/** The row a reference points at (`on`), joined: a LEFT JOIN, so that a row without one (or one the viewer may not see) stays, with nulls. */
export function joinSql(source: string, on: string): string {
  return `LEFT JOIN ${source} ON ${on}`
}

/** The JSON `object` of a joined row (joinSql), or null when none was joined. */
export function joinedObjectSql(sql: SqlText, alias: string, object: string): string {
  return `CASE WHEN ${alias}.${sql.q('id')} IS NULL THEN NULL ELSE ${object} END`
}

/**
 * The JSON array of `object` over the first `limit` rows of `source` (sourceSql, as `alias`,
 * with `joins`) where `where` holds, by id: [] when none.
 */
export function arraySql(sql: SqlText, object: string, from: {source: string; alias: string; joins: string[]}, where: string[], limit: number): string {
  const id = `${from.alias}.${sql.q('id')}`
  const source = [from.source, ...from.joins].join(' ')
  if (sql.dialect === 'mysql') {
    return `COALESCE((SELECT JSON_ARRAYAGG(${object} ORDER BY ${id} LIMIT ${limit}) FROM ${source} WHERE ${where.join(' AND ')}), JSON_ARRAY())`
  }
  return `json((SELECT json_group_array(json(j__) ORDER BY i__) FROM (SELECT ${object} AS j__, ${id} AS i__ FROM ${source} WHERE ${where.join(' AND ')} ORDER BY ${id} LIMIT ${limit})))`
}

/** The id of the row after the first `offset` rows of `source` (sourceSql, as `alias`) where `where` holds, by id, or null. */
export function nthIdSql(sql: SqlText, source: string, alias: string, where: string[], offset: number): string {
  return `(SELECT ${alias}.${sql.q('id')} FROM ${source} WHERE ${where.join(' AND ')} ORDER BY ${alias}.${sql.q('id')} LIMIT 1 OFFSET ${offset})`
}

/** Whether `value` is not null, as a JSON boolean. */
export function isNotNullSql(sql: SqlText, value: string): string {
  return sql.dialect === 'mysql' ? `(${value} IS NOT NULL)` : `CASE WHEN ${value} IS NOT NULL THEN json('true') ELSE json('false') END`
}

/** The statement's own settings, before its SELECT. */
export function statementPrefix(sql: SqlText): string {
  return sql.dialect === 'mysql' ? `SET STATEMENT group_concat_max_len = ${AGGREGATE_BYTES} FOR ` : ''
}
