/**
 * What one request may ask of the server, and the plugins that hold it there. Everything here
 * is checked before any resolver runs, so a request over a limit never reaches the database.
 *
 *   request body   1 MiB, counted while reading, before any parsing (server.ts)      → HTTP 413
 *   tokens         2,000 lexical tokens in the document (graphql-armor, while parsing)
 *   depth          8 levels of fields (graphql-armor); `nodes` counts as a level, so
 *                  properties → nodes → reviews → nodes → reviewer → username is 6
 *   aliases        15 (graphql-armor), `__typename` ones included (armor lets them pass by
 *                  default). 16 `login` fields fit: one plain and 15 aliased, and each is one
 *                  attempt for the auth service (which counts per call)
 *   directives     50 (graphql-armor's default)
 *   first          1–100 on every connection; 20 when left out                        → BAD_USER_INPUT
 *   cost           5,000: the objects a response could hold, each connection's `first`
 *                  multiplying what lies under it (variables included), e.g. 50 properties
 *                  with owner and 20 reviews with reviewer each cost 2,151
 *   introspection  off unless --dev or --introspection; suggestions ("Did you mean …?",
 *                  naming fields, arguments, types and enum values) off unless --dev, in
 *                  validation errors and in those of variables alike
 *
 * graphql-armor's own cost limit is not used: it ignores `first` given as a variable (so
 * `first: $n` would slip through) and weighs depth, not rows. Depth, aliases, tokens and
 * introspection are static checks (cached with the document); `first` and cost depend on
 * the variables and run on every request, just before execution.
 */
import * as armor from '@escape.tech/graphql-armor'
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  getNamedType,
  getOperationAST,
  isObjectType,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql'
import type {Plugin} from 'graphql-yoga'

export const LIMITS = {
  bodyBytes: 1024 * 1024,
  maxTokens: 2000,
  maxDepth: 8,
  maxAliases: 15,
  maxDirectives: 50,
  maxFirst: 100,
  defaultFirst: 20,
  maxCost: 5000,
} as const

/** Lists that are not connections and how long they can be (other such lists count as one object). */
const BOUNDED_LISTS: Record<string, number> = {upcomingBookings: 10}

export interface LimitOptions {
  dev?: boolean
  introspection?: boolean
}

/**
 * graphql-js's suggestions: " Did you mean "x"?", "… "x" or "y"?", "… the enum value "x"?",
 * "… to use an inline fragment on "T"?". Only schema names follow "Did you mean", and they
 * hold no "?".
 */
const SUGGESTION = /\s*Did you mean [^?]*\?/g

/** The error without its suggestion (the same error when it has none). */
export function withoutSuggestion(error: GraphQLError): GraphQLError {
  if (!error.message.includes('Did you mean')) return error
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  })
}

/**
 * Takes the suggestions out of every error, those of validation and those of execution
 * (variables that do not coerce are reported by the executor, graphql-js's or graphql-jit's),
 * so that they cannot be used to read the schema while introspection is off. graphql-armor's
 * blockFieldSuggestion is not enough: it looks at validation only, and only at field names.
 */
function hideSuggestions(): Plugin {
  const clean = (errors: readonly GraphQLError[]) => (errors.some((e) => e.message.includes('Did you mean')) ? errors.map(withoutSuggestion) : undefined)
  return {
    onValidate: () => ({result, setResult}) => {
      const errors = clean(result as readonly GraphQLError[])
      if (errors) setResult(errors)
    },
    onExecute: () => ({
      onExecuteDone({result, setResult}) {
        if (Symbol.asyncIterator in result) return
        const errors = result.errors && clean(result.errors as readonly GraphQLError[])
        if (errors) setResult({...result, errors})
      },
    }),
  }
}

/** The static checks: graphql-armor (tokens, depth, aliases, directives), suggestions and introspection. */
export function staticLimitPlugins(options: LimitOptions): Plugin[] {
  // Reported as validation errors with a code (armor would throw them as bare "Syntax Error"s).
  const validation = {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {extensions: {code: 'GRAPHQL_VALIDATION_FAILED'}})),
    ],
  }
  const plugins: Plugin[] = [
    armor.EnvelopArmorPlugin({
      maxTokens: {n: LIMITS.maxTokens},
      maxDepth: {n: LIMITS.maxDepth, flattenFragments: true, ...validation},
      // Armor's default allowList is ['__typename']: 100 aliases of it would pass.
      maxAliases: {n: LIMITS.maxAliases, allowList: [], ...validation},
      maxDirectives: {n: LIMITS.maxDirectives, ...validation},
      costLimit: {enabled: false},
      blockFieldSuggestion: {enabled: false},
    }) as Plugin,
  ]
  if (!options.dev) plugins.push(hideSuggestions())
  if (!options.dev && !options.introspection) {
    plugins.push({onValidate: ({addValidationRule}) => addValidationRule(NoSchemaIntrospectionCustomRule)})
  }
  return plugins
}

/**
 * Checks every `first` of the operation (1–maxFirst) and its cost (see the file comment),
 * with the request's variables. Returns the error to answer with, or undefined.
 */
export function checkListSizes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> = {},
): GraphQLError | undefined {
  const operation = getOperationAST(document, operationName)
  const root = operation && schema.getRootType(operation.operation)
  if (!operation || !root) return undefined
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  const defaults = new Map(
    (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.defaultValue ? valueFromASTUntyped(v.defaultValue) : undefined]),
  )
  const objectType = (name: string | undefined) => {
    const type = name === undefined ? undefined : schema.getType(name)
    return isObjectType(type) ? type : undefined
  }
  let cost = 0
  let error: GraphQLError | undefined

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLObjectType | undefined, factor: number, path: string[]): void => {
    for (const selection of selectionSet.selections) {
      if (error) return
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, objectType(selection.typeCondition?.name.value) ?? parent, factor, path)
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value)
        if (fragment) walk(fragment.selectionSet, objectType(fragment.typeCondition.name.value), factor, path)
      } else if (selection.selectionSet) {
        const name = selection.name.value
        const at = [...path, selection.alias?.value ?? name]
        const type = parent?.getFields()[name]?.type
        const child = objectType(type && getNamedType(type).name)
        if (child?.name.endsWith('Connection')) {
          const argument = selection.arguments?.find((a) => a.name.value === 'first')
          const raw = !argument
            ? undefined
            : argument.value.kind === Kind.VARIABLE
              ? (variables[argument.value.name.value] ?? defaults.get(argument.value.name.value))
              : valueFromASTUntyped(argument.value)
          const size = raw === null || raw === undefined ? LIMITS.defaultFirst : Number(raw)
          if (!Number.isInteger(size) || size < 1 || size > LIMITS.maxFirst) {
            error = new GraphQLError(`first must be from 1 to ${LIMITS.maxFirst}, got ${String(raw)} (at ${at.join('.')})`, {
              extensions: {code: 'BAD_USER_INPUT'},
            })
            return
          }
          cost += factor
          walk(selection.selectionSet, child, factor * size, at)
        } else {
          const size = BOUNDED_LISTS[name] ?? 1
          cost += factor * size
          walk(selection.selectionSet, child, factor * size, at)
        }
      }
    }
  }
  walk(operation.selectionSet, root, 1, [])
  if (error) return error
  if (cost > LIMITS.maxCost) {
    return new GraphQLError(
      `this query could return ${cost} objects, above the limit of ${LIMITS.maxCost}; ask for smaller pages (first) or fewer nested lists`,
      {extensions: {code: 'GRAPHQL_VALIDATION_FAILED'}},
    )
  }
  return undefined
}
