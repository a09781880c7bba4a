import {BaseCommand} from '../src/cli/base-command.js'
import {resolveToken} from '../src/config/credentials.js'
import type {Identity} from '../src/services/auth.js'

export interface WhoamiOutput extends Identity {
  /** local: on the database, as the operating-system user; remote: on a server, as the token's user. */
  mode: 'local' | 'remote'
  /** The database (password masked) or the server's URL. */
  target: string
  /** Remote: where the token comes from, "env STAYCTL_TOKEN" or "login"; null locally. */
  tokenSource: string | null
}

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override summary = 'Show who commands run as, and where'
  static override description = `Locally, commands run on the database as the operating-system user ("os:<name>", recorded in the audit trail), with full rights. With an API URL (--api, STAYCTL_API_URL or the profile's apiUrl) they run on that server as the user of the token sent: STAYCTL_TOKEN, else the session of \`stayctl login\`. whoami asks the server, so it also checks that the token works.

--json prints {"actor", "isAdmin", "user": {…} | null, "mode": "local" | "remote", "target", "tokenSource": "env STAYCTL_TOKEN" | "login" | null}.

Exit codes: 0, 6 not logged in, or the token is unknown, revoked or expired, 7 server or database unreachable.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --api https://admin.example.com/graphql',
    '<%= config.bin %> <%= command.id %> --profile staging --json',
  ]

  async run(): Promise<WhoamiOutput> {
    const apiUrl = this.apiUrl()
    const identity = await (await this.backend()).auth.whoami()
    const result: WhoamiOutput =
      apiUrl === undefined
        ? {...identity, mode: 'local', target: this.databaseTarget().display, tokenSource: null}
        : {...identity, mode: 'remote', target: apiUrl, tokenSource: resolveToken(apiUrl)?.source ?? null}
    if (result.mode === 'local') {
      this.log(`${result.actor}, the local operator (full rights), on ${result.target}`)
    } else {
      const via = result.tokenSource === 'login' ? 'the session of stayctl login' : 'the token in STAYCTL_TOKEN'
      this.log(`${result.actor}${result.isAdmin ? ' (admin)' : ''} on ${result.target}, with ${via}`)
    }
    return result
  }
}
