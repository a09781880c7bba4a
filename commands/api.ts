import fs from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {buildVariables, isQuery} from '../src/cli/graphql-vars.js'
import {readStdinSecret} from '../src/cli/prompts.js'
import {tokenFor} from '../src/config/credentials.js'
import {requireApiUrl} from '../src/config/settings.js'
import {UsageError} from '../src/errors.js'

export default class Api extends BaseCommand<typeof Api> {
  static override summary = 'Send a GraphQL document to the server and print the JSON answer'
  static override description = `Sends a GraphQL query or mutation to the stayctl server of --api (or STAYCTL_API_URL, or the profile's apiUrl), as the user of STAYCTL_TOKEN or of the \`stayctl login\` session, and prints the server's JSON answer ({"data": …}, with "errors" when there are any) on stdout, like \`gh api graphql\`. The document is the argument, or a file with --file (- for stdin). --jq selects from the answer with a jq filter (jq 1.8 in WebAssembly, in-process; strings print raw), as \`gh api --jq\` does.

Variables: --var name=value is typed (true, false, null and numbers become JSON values; @file reads a file, @- stdin); --raw-var name=value is always a string (for an id or a ref that looks like a number). A name may nest: --var 'input[rating]=5' sets a field, --var 'ids[]=1' adds to a list. Queries are retried when the server cannot be reached; mutations are sent once.

With --json, the answer is printed the same way, but an error is printed as stayctl's JSON error ({"error": {"code", "message", "exitCode"…}}) instead of the server's answer.

When the answer holds errors, it is printed all the same, the first error goes to stderr in one line, and the exit code is that of its kind: 3 bad input (or a document the server refuses), 4 not found, 5 conflict, 6 not logged in or not allowed, 7 server unreachable or too slow, 1 a server failure.`

  static override examples = [
    `<%= config.bin %> <%= command.id %> '{ me { username isAdmin } }'`,
    `<%= config.bin %> <%= command.id %> 'query($ref: String!) { booking(ref: $ref) { status totalPrice } }' --raw-var ref=42`,
    `<%= config.bin %> <%= command.id %> --file refund.graphql --raw-var ref=txn_1 --raw-var amount=10.00 --var idempotencyKey=refund-1`,
    `<%= config.bin %> <%= command.id %> 'mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }' --var 'input[property]=Harbour Loft' --var input[reviewer]=alice --var input[rating]=5`,
  ]

  static override args = {
    // Not read from a piped stdin (oclif's default for a missing argument): that is --file -.
    query: Args.string({description: 'The GraphQL document (or use --file)'}),
  }

  static override flags = {
    file: Flags.string({description: 'Read the document from this file (- for stdin)'}),
    jq: Flags.string({char: 'q', description: "Print what this jq filter selects from the answer (jq 1.8, in-process): strings raw, other values as JSON, e.g. --jq '.data.me.username'"}),
    var: Flags.string({description: 'A variable, typed: name=value (repeatable)', multiple: true}),
    'raw-var': Flags.string({description: 'A variable, always a string: name=value (repeatable)', multiple: true}),
  }

  async run(): Promise<unknown> {
    const f = this.flags
    if ((this.args.query === undefined) === (f.file === undefined)) {
      throw new UsageError('give the GraphQL document as the argument or with --file, not both or neither')
    }
    const url = requireApiUrl(f.api, 'api')
    const document = f.file === undefined ? this.args.query! : f.file === '-' ? await readStdinSecret() : readDocument(f.file)
    // In the order given on the command line, so that a later pair can extend an earlier one.
    const pairs = [...(f.var ?? []).map((pair) => ({pair, raw: false})), ...(f['raw-var'] ?? []).map((pair) => ({pair, raw: true}))]
    const variables = buildVariables(pairs, (file) => (file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8')))

    // The body as the server sent it, printed whatever it holds (the client maps its errors to ours).
    let body: unknown
    const capture: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (/json/i.test(response.headers.get('content-type') ?? '')) body = await response.clone().json().catch(() => undefined)
      return response
    }
    const client = await this.connect(url, {token: tokenFor(url), fetch: capture})
    const print = async (answer: unknown) => this.log(f.jq === undefined ? JSON.stringify(answer, null, 2) : await jq(answer, f.jq))
    try {
      const data = await client.request<unknown>(document, variables, {idempotent: await isQuery(document)})
      await print(body ?? {data})
      return body ?? {data}
    } catch (error) {
      if (body !== undefined) await print(body)
      throw error
    }
  }
}

/** The output of jq -r `filter` on `answer`; a filter jq refuses is a usage error with jq's message. */
async function jq(answer: unknown, filter: string): Promise<string> {
  const {raw} = await import('jq-wasm')
  const result = await raw(answer as object, filter, ['-r'])
  if (result.exitCode !== 0) throw new UsageError(`--jq: ${result.stderr.trim().replace(/^jq: error(?: \(at [^)]*\))?: /, '') || `jq exited with ${result.exitCode}`}`)
  return result.stdout.replace(/\n$/, '')
}

function readDocument(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
  }
}
