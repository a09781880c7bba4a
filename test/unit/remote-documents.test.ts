/**
 * The documents the remote backend sends are checked against the server's schema (issue 13):
 * a field or argument renamed on one side and not the other fails here, not in a remote run.
 * Every document of src/remote/documents.ts is parsed and validated (graphql-js) against the
 * schema built from src/graphql/schema.ts; a remote backend over a recording client shows that
 * it sends those documents and no other; and the documents written in src/remote/transfer.ts
 * (tagged /* GraphQL *\/) are validated too.
 */
import fs from 'node:fs'

import {expect} from 'chai'
import {buildSchema, parse, validate, type GraphQLSchema} from 'graphql'

import type {Backend} from '../../src/backend.js'
import {typeDefs} from '../../src/graphql/schema.js'
import {remoteBackend} from '../../src/remote/backend.js'
import type {RemoteClient} from '../../src/remote/client.js'
import {remoteDocuments} from '../../src/remote/documents.js'

/** What graphql-js finds wrong with `document` against `schema`; none when it is valid. */
function problems(schema: GraphQLSchema, document: string): string[] {
  try {
    return validate(schema, parse(document)).map((error) => error.message)
  } catch (error) {
    return [`does not parse: ${(error as Error).message}`]
  }
}

/** A client that answers every request with a value each operation can take apart, and notes the documents. */
function recordingClient(sent: string[]): RemoteClient {
  return {
    url: 'http://recording.invalid/graphql',
    async request<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
      sent.push(document)
      // A nested list asked without a cursor says more follow, so that the follow-up request is made too.
      const connection = {nodes: [], pageInfo: {hasNextPage: variables.after === undefined, endCursor: 'next'}}
      const answer = {nodes: [], pageInfo: {hasNextPage: false, endCursor: null}, payments: connection, refunds: connection, rejections: [], token: {}}
      return {root: answer} as T
    },
  }
}

/** The first argument each operation takes: an input object, or a reference. */
const TAKES_INPUT = new Set(['create', 'list', 'record', 'rows', 'page', 'login', 'sync'])
/** Calls again, with these arguments, of operations whose options choose another document. */
const VARIANTS: Record<string, unknown[][]> = {'database.doctor': [[{repair: true}]]}
/** Operations that run src/remote/transfer.ts (files on disk), whose documents are checked by their source below. */
const TRANSFERS = new Set(['imports.file', 'imports.folder', 'exports.entity'])

describe('remote documents against the server schema (unit)', () => {
  const schema = buildSchema(typeDefs)

  it('every document of the remote backend is valid against the schema', () => {
    const documents = remoteDocuments()
    expect(documents.length).to.be.greaterThan(30)
    const invalid = documents.map((document) => ({document, problems: problems(schema, document)})).filter((d) => d.problems.length > 0)
    expect(invalid, JSON.stringify(invalid, null, 2)).to.deep.equal([])
  })

  it('the remote backend sends exactly those documents: every operation, every follow-up page', async () => {
    const sent: string[] = []
    const backend = remoteBackend(recordingClient(sent)) as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>
    const silent: string[] = []
    for (const [group, operations] of Object.entries(backend)) {
      for (const [name, operation] of Object.entries(operations)) {
        if (TRANSFERS.has(`${group}.${name}`)) continue
        const before = sent.length
        await operation(TAKES_INPUT.has(name) ? {} : '1', {}, {})
        if (sent.length === before) silent.push(`${group}.${name}`)
        for (const args of VARIANTS[`${group}.${name}`] ?? []) await operation(...args)
      }
    }
    const groups: (keyof Backend)[] = ['users', 'properties', 'bookings', 'blocks', 'reviews', 'payments', 'audit', 'imports', 'exports', 'auth', 'tokens', 'calendar', 'database']
    expect(Object.keys(backend)).to.have.members(groups)
    expect(silent, 'operations that sent no request').to.deep.equal([])
    const known = new Set(remoteDocuments())
    expect(sent.filter((document) => !known.has(document)), 'sent but not in src/remote/documents.ts').to.deep.equal([])
    expect([...known].filter((document) => !sent.includes(document)), 'in src/remote/documents.ts but never sent').to.deep.equal([])
  })

  it('the documents written in src/remote/transfer.ts are valid against the schema', () => {
    const source = fs.readFileSync(new URL('../../src/remote/transfer.ts', import.meta.url), 'utf8')
    const documents = [...source.matchAll(/\/\* GraphQL \*\/ `([^`]*)`/g)].map((match) => match[1])
    for (const document of documents) expect(problems(schema, document), document).to.deep.equal([])
  })

  it('a document that drifted from the schema is refused (the check can fail)', () => {
    expect(problems(schema, 'query($ref: String!) { user(ref: $ref) { id userName } }')).to.have.length(1)
    expect(problems(schema, 'query($ref: Int!) { user(ref: $ref) { id } }')).to.have.length(1)
    expect(problems(schema, 'query { user(ref: "1") { id }')[0]).to.match(/does not parse/)
  })
})
