/**
 * What of a selection compiles (see index.ts), as a plan: for an object of one of the
 * entities, the columns it reads, the rows its references point at, and the pages of its
 * children, each with its own plan. `planOf` answers undefined for anything else, and the
 * root field then runs on the loaders.
 */
import {
  Kind,
  getArgumentValues,
  getNamedType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql'

import {MAX_LIMIT} from '../../services/pagination.js'
import {relationSpec, type ChildRelation} from '../../services/relations.js'
import {LIMITS} from '../limits.js'

export type Entity = 'User' | 'Property' | 'Booking' | 'Review' | 'Payment' | 'Block'

interface EntitySpec {
  /** Fields that are the attribute of their name, rendered as the view renders it (dialect.ts). */
  leaves: ReadonlySet<string>
  /** Fields that are the row an attribute points at (the loaders by id: loaders.ts). */
  refs: Readonly<Record<string, {type: Entity; attribute: string}>>
  /** Fields that are a page of children (childrenOf in src/services/relations.ts). */
  lists: Readonly<Record<string, ChildRelation>>
}

/**
 * The fields that compile, per type. Not here, so not compiled: fields a resolver computes
 * (nights, paid, refunded, refundable, averageRating, reviewCount, upcomingBookings).
 * User.email is a leaf shown to whom emailsSeen (src/services/authz.ts) says (index.ts).
 */
export const ENTITIES: Readonly<Record<Entity, EntitySpec>> = {
  User: {
    leaves: new Set(['id', 'username', 'email', 'firstName', 'lastName', 'isActive', 'isAdmin', 'createdAt', 'updatedAt']),
    refs: {},
    lists: {properties: 'user.properties', bookings: 'user.bookings', reviews: 'user.reviews'},
  },
  Property: {
    leaves: new Set(['id', 'ownerId', 'name', 'description', 'address', 'pricePerNight', 'cancellationPolicy', 'isListed', 'createdAt', 'updatedAt']),
    refs: {owner: {type: 'User', attribute: 'ownerId'}},
    lists: {bookings: 'property.bookings', reviews: 'property.reviews', blocks: 'property.blocks'},
  },
  Booking: {
    leaves: new Set(['id', 'propertyId', 'guestId', 'startDate', 'endDate', 'status', 'totalPrice', 'externalRef', 'createdAt', 'updatedAt']),
    refs: {property: {type: 'Property', attribute: 'propertyId'}, guest: {type: 'User', attribute: 'guestId'}},
    lists: {payments: 'booking.payments'},
  },
  Review: {
    leaves: new Set(['id', 'propertyId', 'reviewerId', 'rating', 'comment', 'createdAt', 'updatedAt']),
    refs: {property: {type: 'Property', attribute: 'propertyId'}, reviewer: {type: 'User', attribute: 'reviewerId'}},
    lists: {},
  },
  Payment: {
    leaves: new Set(['id', 'bookingId', 'kind', 'amount', 'status', 'transactionId', 'paymentDate', 'refundOfId', 'reason', 'idempotencyKey', 'createdAt']),
    refs: {booking: {type: 'Booking', attribute: 'bookingId'}, refundOf: {type: 'Payment', attribute: 'refundOfId'}},
    lists: {refunds: 'payment.refunds'},
  },
  Block: {
    leaves: new Set(['id', 'propertyId', 'startDate', 'endDate', 'reason', 'source', 'sourceUid', 'createdById', 'createdAt', 'updatedAt']),
    refs: {property: {type: 'Property', attribute: 'propertyId'}},
    lists: {},
  },
}

/** The entity of the children of a relation. */
export function childEntity(relation: ChildRelation): Entity {
  return relationSpec(relation).model
}

/** The key of a compiled relation in a row's JSON, by its response name: not a field name, so a view never has it. */
export const compiledKey = (responseName: string) => `~${responseName}`

export interface ObjectPlan {
  type: Entity
  leaves: string[]
  /** By response name (compiledKey: its resolver reads it by info.path.key). */
  refs: {key: string; attribute: string; plan: ObjectPlan}[]
  lists: {key: string; relation: ChildRelation; limit: number; filters: [column: string, value: string][]; plan: ObjectPlan; pageInfo: boolean}[]
}

export interface PlanInput {
  schema: GraphQLSchema
  fragments: Record<string, FragmentDefinitionNode>
  variables: Record<string, unknown>
}

/**
 * The fields of `set` on `type`, by response name (alias or name: the same arguments, by
 * validation), through fragments on that type; false when a directive or a fragment on
 * another type is met (evaluating those is left to the executor).
 */
export function collect(set: SelectionSetNode, type: string, input: PlanInput, fields: Map<string, FieldNode[]>, spread: Set<string>): boolean {
  for (const selection of set.selections) {
    if (selection.directives?.length) return false
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value
      const same = fields.get(key)
      if (same) same.push(selection)
      else fields.set(key, [selection])
      continue
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : input.fragments[selection.name.value]
    if (!fragment || fragment.directives?.length) return false
    if (fragment.typeCondition && fragment.typeCondition.name.value !== type) return false
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      if (spread.has(selection.name.value)) continue
      spread.add(selection.name.value)
    }
    if (!collect(fragment.selectionSet, type, input, fields, spread)) return false
  }
  return true
}

/** The selections of `nodes` merged into one set (the same field under several aliases). */
export function merged(nodes: FieldNode[]): SelectionSetNode {
  return {kind: Kind.SELECTION_SET, selections: nodes.flatMap((node) => node.selectionSet?.selections ?? [])}
}

/**
 * The field nodes of a connection's `nodes`, whatever their aliases (the executor reads them
 * from one list), or undefined when the connection asks for more than `allowed`.
 */
export function connectionNodes(fields: Map<string, FieldNode[]>, allowed: string[]): FieldNode[] | undefined {
  const nodes: FieldNode[] = []
  for (const same of fields.values()) {
    const name = same[0].name.value
    if (name === 'nodes') nodes.push(...same)
    else if (name !== '__typename' && !allowed.includes(name)) return undefined
  }
  return nodes
}

/** The plan of a page of children: its nodes and pageInfo, `first` and the filters the relation allows (`after` runs on the loaders). */
function listPlan(key: string, relation: ChildRelation, nodes: FieldNode[], parent: GraphQLObjectType, input: PlanInput): ObjectPlan['lists'][number] | undefined {
  const field = nodes[0].name.value
  const args = getArgumentValues(parent.getFields()[field], nodes[0], input.variables)
  if (args.after !== undefined && args.after !== null) return undefined
  const limit = (args.first ?? LIMITS.defaultFirst) as number
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return undefined
  const spec = relationSpec(relation)
  const filters: [string, string][] = []
  for (const name of ['status', 'kind'] as const) {
    const value = args[name]
    if (value === undefined || value === null) continue
    if (!spec.filters[name]?.includes(value as string)) return undefined
    filters.push([name, value as string])
  }
  const connection = getNamedType(parent.getFields()[field].type) as GraphQLObjectType
  const fields = new Map<string, FieldNode[]>()
  if (!collect(merged(nodes), connection.name, input, fields, new Set())) return undefined
  const items = connectionNodes(fields, ['pageInfo'])
  const plan = items && objectPlan(childEntity(relation), merged(items), input)
  const pageInfo = [...fields.values()].some((same) => same[0].name.value === 'pageInfo')
  return plan && {key, relation, limit, filters, plan, pageInfo}
}

/** The plan of an object of `type` selecting `set`, or undefined when something in it does not compile. */
export function objectPlan(type: Entity, set: SelectionSetNode, input: PlanInput): ObjectPlan | undefined {
  const spec = ENTITIES[type]
  const parent = input.schema.getType(type)
  if (!isObjectType(parent)) return undefined
  const fields = new Map<string, FieldNode[]>()
  if (!collect(set, type, input, fields, new Set())) return undefined
  const plan: ObjectPlan = {type, leaves: [], refs: [], lists: []}
  for (const [key, nodes] of fields) {
    const field = nodes[0].name.value
    if (field === '__typename') continue
    if (spec.leaves.has(field)) {
      // The executor reads a leaf by its name, whatever its aliases.
      if (!plan.leaves.includes(field)) plan.leaves.push(field)
    } else if (spec.refs[field]) {
      const ref = objectPlan(spec.refs[field].type, merged(nodes), input)
      if (!ref) return undefined
      plan.refs.push({key, attribute: spec.refs[field].attribute, plan: ref})
    } else if (spec.lists[field]) {
      const list = listPlan(key, spec.lists[field], nodes, parent, input)
      if (!list) return undefined
      plan.lists.push(list)
    } else {
      return undefined
    }
  }
  return plan
}
