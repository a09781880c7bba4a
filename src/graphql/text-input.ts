/**
 * Where text enters through the API: every string a field's arguments carry (String, ID and
 * the string scalars Date, DateTime and Money, inside lists and input objects) is checked
 * before the resolver runs (see src/services/text.ts), and a NUL or a lone surrogate is a
 * BAD_USER_INPUT naming the argument (`search`, `input.email`). JSON arguments are left to
 * their consumer: the rows of importRows are checked one by one by the importer, so that a bad
 * row is a rejected row, not a refused batch.
 */
import {
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql'

import {checkText} from '../services/text.js'

type Resolver = (parent: unknown, args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) => unknown

/** Whether values of `type` can hold text to check, looking into lists and input objects. */
function holdsText(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const inner = getNullableType(type)
  if (isListType(inner)) return holdsText(inner.ofType, seen)
  if (isInputObjectType(inner)) {
    if (seen.has(inner.name)) return false
    seen.add(inner.name)
    return Object.values(inner.getFields()).some((field) => holdsText(field.type, seen))
  }
  return isScalarType(inner) && inner.name !== 'JSON' && inner.name !== 'Int' && inner.name !== 'Float' && inner.name !== 'Boolean'
}

function checkValue(value: unknown, type: GraphQLInputType, path: string): void {
  if (value === null || value === undefined) return
  const inner = getNullableType(type)
  if (isListType(inner)) {
    if (Array.isArray(value)) value.forEach((item, i) => checkValue(item, inner.ofType, `${path}[${i}]`))
  } else if (isInputObjectType(inner)) {
    for (const [name, field] of Object.entries(inner.getFields())) checkValue((value as Record<string, unknown>)[name], field.type, `${path}.${name}`)
  } else if (typeof value === 'string' && holdsText(inner)) checkText(value, path)
}

/** The arguments of a field that can hold text; computed once per field of the schema. */
const textArguments = new WeakMap<GraphQLField<unknown, unknown>, readonly GraphQLArgument[]>()

function argumentsWithText(info: GraphQLResolveInfo): readonly GraphQLArgument[] {
  const field = info.parentType.getFields()[info.fieldName]
  if (!field) return []
  let found = textArguments.get(field)
  if (!found) textArguments.set(field, (found = field.args.filter((arg) => holdsText(arg.type))))
  return found
}

/** `resolvers` with each field resolver checking its text arguments first. */
export function withTextChecks<R extends Record<string, unknown>>(resolvers: R): R {
  const wrapped: Record<string, unknown> = {}
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (fields === null || typeof fields !== 'object' || Object.getPrototypeOf(fields) !== Object.prototype) {
      wrapped[typeName] = fields
      continue
    }
    wrapped[typeName] = Object.fromEntries(
      Object.entries(fields as Record<string, unknown>).map(([fieldName, resolve]) => {
        if (typeof resolve !== 'function') return [fieldName, resolve]
        const inner = resolve as Resolver
        const checked: Resolver = (parent, args, context, info) => {
          for (const arg of argumentsWithText(info)) checkValue(args[arg.name], arg.type, arg.name)
          return inner(parent, args, context, info)
        }
        return [fieldName, checked]
      }),
    )
  }
  return wrapped as R
}
