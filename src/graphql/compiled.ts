/**
 * Compiled execution: graphql-jit (through @envelop/graphql-jit) turns each document into a
 * function once, kept in an LRU of 1,000 by document text, and every later request with
 * that document runs the function instead of graphql-js's interpreter. Only the executor
 * changes: parsing, validation, the limits (limits.ts), authentication and masking
 * (errors.ts) run as before, and the answers are the same (test/integration/graphql-server).
 *
 * graphql-js's executor still runs
 *   - documents with several operations (graphql-jit's cache goes by document, not by
 *     operation), or whose operationName names none of them, so that the error is its own;
 *   - requests whose variables do not coerce, so that the messages are graphql-js's.
 *
 * graphql-jit's errors carry their locations but not the AST nodes they come from, which
 * yoga needs to write them, and its own errors (a null for a non-null field) have no
 * original error, which masking needs to hide them. `asGraphQLJs` gives each error its nodes
 * back and makes it what graphql-js's locatedError would have made, before masking sees it,
 * and puts `errors` before `data` as graphql-js does.
 *
 * graphql-jit is 0.8.9 (package.json overrides @envelop/graphql-jit's 0.8.7): earlier
 * versions put the fields of fragments after the other fields of a selection, not in the
 * document's order. It ships inside the bundle (dist/), so users get that version whatever
 * their npm resolves; `node scripts/shipped-tree.mjs --bundle` checks the bundle's versions.
 */
import {useGraphQlJit} from '@envelop/graphql-jit'
import {
  GraphQLError,
  Kind,
  getVariableValues,
  locatedError,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type OperationDefinitionNode,
} from 'graphql'
import type {Plugin} from 'graphql-yoga'
import {LRUCache} from 'lru-cache'

export const COMPILED_QUERIES = 1000

/** Executions so far in this process, by executor (for tests and diagnostics). */
export const executions = {compiled: 0, interpreted: 0}

/** Whether graphql-jit runs this execution (see the file comment). */
function compilable(args: ExecutionArgs): boolean {
  const compiled = compiles(args)
  executions[compiled ? 'compiled' : 'interpreted'] += 1
  return compiled
}

function compiles(args: ExecutionArgs): boolean {
  let operation: OperationDefinitionNode | undefined
  for (const definition of args.document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    if (operation) return false
    operation = definition
  }
  if (!operation) return false
  if (args.operationName && operation.name?.value !== args.operationName) return false
  const definitions = operation.variableDefinitions ?? []
  if (definitions.length === 0) return true
  const coerced = getVariableValues(args.schema, definitions, (args.variableValues ?? {}) as Record<string, unknown>)
  return coerced.errors === undefined
}

/** The field nodes of `document` by their place ("line:column"), the key of graphql-jit's locations. */
function fieldsByLocation(document: DocumentNode): Map<string, FieldNode> {
  const fields = new Map<string, FieldNode>()
  visit(document, {
    Field(node) {
      if (node.loc) fields.set(`${node.loc.startToken.line}:${node.loc.startToken.column}`, node)
    },
  })
  return fields
}

/** An error from graphql-jit: located (a path or locations) but without the nodes graphql-js's errors have. */
const fromCompiled = (error: GraphQLError) => error.nodes === undefined && error.source === undefined && (error.path !== undefined || error.locations !== undefined)

/**
 * graphql-jit's results with errors as graphql-js's executor makes them: each error as its
 * locatedError makes it, and `errors` before `data`.
 */
function asGraphQLJs(): Plugin {
  return {
    onExecute({args}) {
      return {
        onExecuteDone({result, setResult}) {
          if (Symbol.asyncIterator in result) return
          const {errors, data, ...rest} = result as ExecutionResult & {stringify?: unknown}
          if (!errors?.some(fromCompiled)) return
          let fields: Map<string, FieldNode> | undefined
          const relocated = errors.map((error) => {
            if (!fromCompiled(error)) return error
            fields ??= fieldsByLocation(args.document)
            const nodes = (error.locations ?? []).map(({line, column}) => fields!.get(`${line}:${column}`)).filter((node) => node !== undefined)
            return locatedError(error.originalError ?? new Error(error.message), nodes.length > 0 ? nodes : undefined, error.path)
          })
          setResult({errors: relocated, data, ...rest})
        },
      }
    },
  }
}

/** The plugins of compiled execution, in this order. */
export function compiledExecution(): Plugin[] {
  return [
    useGraphQlJit(
      {},
      {
        cache: new LRUCache({max: COMPILED_QUERIES}),
        enableIf: compilable,
        // Documents that do not compile answer with graphql-jit's errors; they are not logged here.
        onError: () => {},
      },
    ) as Plugin,
    asGraphQLJs(),
  ]
}
