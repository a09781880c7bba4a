/**
 * Compiled root lists: a root list field (properties, reviews, bookings, payments, users, blocks) and
 * its nested selection answered by ONE SQL statement that builds each node's JSON in the
 * database (dialect.ts), as Hasura does, instead of a statement per relation (loaders.ts).
 *
 * What compiles (plan.ts): the root's page (first, after when sorted by id, sort) without
 * filters; in the nodes, the columns of the entities (ENTITIES in plan.ts), the rows they refer
 * to (owner, reviewer, guest, property, booking, refundOf), and pages of children by id (a
 * property's reviews, bookings and blocks, a user's properties, bookings and reviews, a booking's
 * payments, a charge's refunds) with `first`, their filters and pageInfo, through named and
 * inline fragments on the same type and any aliases. Everything else — filters of the root,
 * `after` with another sort or in a nested page, directives, fields a resolver computes (nights,
 * paid, averageRating…), other root fields, MySQL 8 — runs on the loaders, per root field,
 * as before. User.email is compiled as the rule of who sees it says (emailsSeen in authz.ts).
 *
 * The rules are the services': who may list and what they see is the list's ListRule (its
 * scope is visibleRowsSql of src/services/authz.ts; a refusal is the same error, thrown
 * here), every nested row passes its entity's visibleRowsSql as the loaders' reads do, and the
 * sort, limit and cursor are checked by the functions page() uses. The statement selects only
 * the columns asked for.
 *
 * The executor still runs: the root resolver returns the connection with its nodes parsed from
 * the JSON, and the resolvers of relations (withCompiledRelations) return the compiled value
 * (under a key no view has, compiledKey) when their parent carries one, so errors, limits,
 * authentication and masking are as before, and the answer is the one the loaders give
 * (test/integration/graphql-sql.test.ts compares them byte for byte). A non-null reference
 * that came back null (a row the viewer may not see) goes to the loader, which raises today's
 * error.
 */
import {Kind, isNonNullType, type FieldNode, type GraphQLFieldResolver, type GraphQLResolveInfo} from 'graphql'
import {DataTypes, QueryTypes, type Model, type ModelStatic} from 'sequelize'

import {capabilities} from '../../db/capabilities.js'
import {isoDateTimeSql, normalise} from '../../db/select.js'
import {emailsSeen, visibleRowsSql, type VisibleModel} from '../../services/authz.js'
import {blockList} from '../../services/blocks.js'
import {bookingList} from '../../services/bookings.js'
import type {ServiceContext} from '../../services/context.js'
import {decodeCursor, encodeCursor, parseLimit, parseSort, type ListRule} from '../../services/pagination.js'
import {paymentList} from '../../services/payments.js'
import {propertyList} from '../../services/properties.js'
import {relationSpec} from '../../services/relations.js'
import {reviewList} from '../../services/reviews.js'
import {userList} from '../../services/users.js'
import {LIMITS} from '../limits.js'
import {arraySql, isNotNullSql, joinSql, joinedObjectSql, leafSql, nthIdSql, objectSql, sourceSql, sqlText, statementPrefix, type SqlText} from './dialect.js'
import {ENTITIES, childEntity, collect, compiledKey, connectionNodes, merged, objectPlan, type Entity, type ObjectPlan, type PlanInput} from './plan.js'

/** The root lists that compile: their entity and the rule of their service's list. */
const ROOTS: Readonly<Record<string, {type: Entity; rule: ListRule}>> = {
  properties: {type: 'Property', rule: propertyList},
  reviews: {type: 'Review', rule: reviewList},
  bookings: {type: 'Booking', rule: bookingList},
  payments: {type: 'Payment', rule: paymentList},
  users: {type: 'User', rule: userList},
  blocks: {type: 'Block', rule: blockList},
}

const PAGE_ARGUMENTS = new Set(['first', 'after', 'sort'])

const VISIBLE = new Set<string>(['Property', 'Booking', 'Payment', 'Review', 'Block'])

/** The key of a compiled nested pageInfo holding the id of its page's last row. */
const LAST_ID = compiledKey('lastId')

/** Statements run by the compiled path in this process (for tests and diagnostics). */
export const compiledStatements = {count: 0}

interface Statement {
  sql: SqlText
  ctx: ServiceContext
  /** Aliases given so far. */
  aliases: number
}

const modelOf = (statement: Statement, type: Entity) => statement.ctx.db.models[type] as unknown as ModelStatic<Model>

function tableOf(statement: Statement, type: Entity): string {
  return statement.sql.q(modelOf(statement, type).getTableName() as string)
}

/** The viewer's rule for rows of `type`, or none. */
function ruleOf(statement: Statement, type: Entity): string | undefined {
  return VISIBLE.has(type) ? visibleRowsSql(statement.ctx, type as VisibleModel) : undefined
}

/** A user's email where the viewer may see it (emailsSeen), else null, as userView gives it. */
function emailSql(statement: Statement, model: ModelStatic<Model>, alias: string): string {
  const seen = emailsSeen(statement.ctx)
  const email = leafSql(statement.sql, model, alias, 'email')
  if (seen === 'all') return email
  return seen === undefined ? 'NULL' : `CASE WHEN ${leafSql(statement.sql, model, alias, 'id')} = ${Number(seen)} THEN ${email} END`
}

/**
 * The JSON object of `plan` for the row of alias `alias`; the rows its references point at
 * are joined to that row (`joins`, for the FROM clause that reads it).
 */
function objectOf(statement: Statement, plan: ObjectPlan, alias: string, joins: string[]): string {
  const {sql} = statement
  const model = modelOf(statement, plan.type)
  const column = (attribute: string) => `${alias}.${sql.q(model.getAttributes()[attribute].field ?? attribute)}`
  const pairs: [string, string][] = plan.leaves.map((leaf) => [leaf, plan.type === 'User' && leaf === 'email' ? emailSql(statement, model, alias) : leafSql(sql, model, alias, leaf)])
  for (const ref of plan.refs) {
    const inner = `t${++statement.aliases}`
    joins.push(joinSql(sourceSql(tableOf(statement, ref.plan.type), inner, ruleOf(statement, ref.plan.type)), `${inner}.${sql.q('id')} = ${column(ref.attribute)}`))
    pairs.push([compiledKey(ref.key), joinedObjectSql(sql, inner, objectOf(statement, ref.plan, inner, joins))])
  }
  for (const list of plan.lists) pairs.push([compiledKey(list.key), connectionSql(statement, list, alias)])
  return objectSql(sql, pairs)
}

/**
 * The JSON of a page of children of the row of `alias`, as childrenOf pages them: `nodes`,
 * and when asked `pageInfo` with whether a row follows the page and the id of the page's last
 * row (PageInfo.endCursor makes the cursor of it: withCompiledRelations).
 */
function connectionSql(statement: Statement, list: ObjectPlan['lists'][number], alias: string): string {
  const {sql} = statement
  const spec = relationSpec(list.relation)
  const entity = childEntity(list.relation)
  const childModel = modelOf(statement, entity)
  const table = tableOf(statement, entity)
  const rule = ruleOf(statement, entity)
  const where = (inner: string) => [
    `${inner}.${sql.q(spec.column)} = ${alias}.${sql.q('id')}`,
    ...list.filters.map(([name, value]) => `${inner}.${sql.q(childModel.getAttributes()[name].field ?? name)} = ${statement.ctx.db.sequelize.escape(value)}`),
  ]
  const inner = `t${++statement.aliases}`
  const joins: string[] = []
  const object = objectOf(statement, list.plan, inner, joins)
  const pairs: [string, string][] = [['nodes', arraySql(sql, object, {source: sourceSql(table, inner, rule), alias: inner, joins}, where(inner), list.limit)]]
  if (list.pageInfo) {
    const [next, last] = [`t${++statement.aliases}`, `t${++statement.aliases}`]
    const info: [string, string][] = [
      ['hasNextPage', isNotNullSql(sql, nthIdSql(sql, sourceSql(table, next, rule), next, where(next), list.limit))],
      [LAST_ID, nthIdSql(sql, sourceSql(table, last, rule), last, where(last), list.limit - 1)],
    ]
    pairs.push(['pageInfo', objectSql(sql, info)])
  }
  return objectSql(sql, pairs)
}

/** The plan of the nodes of a root connection (nodes and pageInfo only), or undefined. */
function rootPlan(type: Entity, info: GraphQLResolveInfo): ObjectPlan | undefined {
  const input: PlanInput = {schema: info.schema, fragments: info.fragments, variables: info.variableValues}
  const fields = new Map<string, FieldNode[]>()
  const connection = `${type}Connection`
  if (!collect(merged([...info.fieldNodes]), connection, input, fields, new Set())) return undefined
  const nodes = connectionNodes(fields, ['pageInfo'])
  return nodes && objectPlan(type, merged(nodes), input)
}

interface PageArguments {
  first?: number | null
  after?: string | null
  sort?: string | null
}

/**
 * The connection of root list `info.fieldName` from one compiled statement, or undefined when
 * it does not compile (the caller then runs the list operation). Throws what the list
 * operation throws for the same viewer and arguments.
 */
export async function compiledPage(ctx: ServiceContext, info: GraphQLResolveInfo, args: PageArguments & Record<string, unknown>) {
  const root = ROOTS[info.fieldName]
  if (!root || info.fieldNodes.some((node: FieldNode) => node.kind !== Kind.FIELD || node.directives?.length)) return undefined
  for (const [name, value] of Object.entries(args)) if (!PAGE_ARGUMENTS.has(name) && value !== null && value !== undefined) return undefined
  // The database builds the JSON as dialect.ts writes it (SQLite, MariaDB ≥ 10.5), or the loaders answer.
  if (!(await capabilities(ctx.db)).jsonAggregates) return undefined
  const plan = rootPlan(root.type, info)
  if (!plan) return undefined
  const scope = root.rule.scope(ctx)
  const {field, desc} = parseSort(args.sort ?? undefined, root.rule.sortable)
  const limit = parseLimit(args.first ?? LIMITS.defaultFirst)
  const sortKey = `${desc ? '-' : ''}${field}`
  const model = ctx.db.models[root.type] as unknown as ModelStatic<Model>
  const isDate = model.getAttributes()[field].type instanceof DataTypes.DATE
  let after: number | undefined
  if (args.after) {
    if (field !== 'id') return undefined
    after = decodeCursor(args.after, sortKey, isDate)[1]
  }
  const statement: Statement = {sql: sqlText(ctx.db.dialect), ctx, aliases: 0}
  const {sql} = statement
  const column = `t0.${sql.q(model.getAttributes()[field].field ?? field)}`
  const direction = desc ? 'DESC' : 'ASC'
  const where = after === undefined ? [] : [`t0.${sql.q('id')} ${desc ? '<' : '>'} ${Number(after)}`]
  const joins: string[] = []
  const object = objectOf(statement, plan, 't0', joins)
  const text =
    `${statementPrefix(sql)}SELECT ${object} AS j__, t0.${sql.q('id')} AS i__, ${isDate ? isoDateTimeSql(sql.dialect, column) : column} AS ${sql.q(field)}` +
    ` FROM ${[sourceSql(tableOf(statement, root.type), 't0', scope), ...joins].join(' ')}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
    ` ORDER BY ${field === 'id' ? '' : `${column} ${direction}, `}t0.${sql.q('id')} ${direction} LIMIT ${limit + 1}`
  compiledStatements.count += 1
  const rows = await ctx.db.sequelize.query<Record<string, unknown>>(text, {type: QueryTypes.SELECT, raw: true})
  const items = rows.slice(0, limit)
  const nodes = items.map((row) => (typeof row.j__ === 'string' ? JSON.parse(row.j__) : row.j__) as Record<string, unknown>)
  let endCursor: string | null = null
  if (rows.length > limit) {
    const [last] = normalise<Record<string, unknown>>(model, [{...items.at(-1)}])
    endCursor = encodeCursor(sortKey, field === 'id' ? null : last[field], Number(last.i__))
  }
  return {nodes, pageInfo: {hasNextPage: endCursor !== null, endCursor}}
}

type Resolvers = Record<string, object>

/**
 * `resolvers` with each relation that compiles (ENTITIES in plan.ts) answering from its
 * parent's compiled value when there is one (see the top of this file).
 */
export function withCompiledRelations<R extends Resolvers>(resolvers: R): R {
  const wrapped: Resolvers = {...resolvers}
  for (const [type, spec] of Object.entries(ENTITIES)) {
    const own: Record<string, unknown> = {...resolvers[type]}
    for (const field of [...Object.keys(spec.refs), ...Object.keys(spec.lists)]) {
      const resolve = own[field] as GraphQLFieldResolver<Record<string, unknown>, unknown>
      own[field] = (parent: Record<string, unknown>, args: unknown, context: unknown, info: GraphQLResolveInfo) => {
        const value = parent[compiledKey(info.path.key as string)]
        if (value !== undefined && (value !== null || !isNonNullType(info.returnType))) return value
        return resolve(parent, args as Record<string, unknown>, context, info)
      }
    }
    wrapped[type] = own
  }
  // A nested page's cursor, made as childrenOf makes it (by id).
  wrapped.PageInfo = {
    endCursor: (info: Record<string, unknown>) => (LAST_ID in info ? (info.hasNextPage ? encodeCursor('id', null, Number(info[LAST_ID])) : null) : info.endCursor),
  }
  return wrapped as R
}
