import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {color} from '../src/cli/render.js'
import {currentPassword, inputOrFail} from '../src/cli/prompts.js'
import {saveSession} from '../src/config/credentials.js'
import {requireApiUrl} from '../src/config/settings.js'
import {UsageError} from '../src/errors.js'
import type {UserView} from '../src/services/users.js'

export interface LoginOutput {
  apiUrl: string
  user: UserView
  expiresAt: string
  /** Where the session token is kept (the token itself is never printed). */
  credentialsFile: string
}

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Log in to a stayctl server and keep the session for later commands'
  static override description = `Logs in to the stayctl server of --api (or STAYCTL_API_URL, or the profile's apiUrl) with a username or email and a password, and stores the session token for that server in <config dir>/credentials.json, readable by you only (mode 0600). Later commands against that server send it. The token is never printed.

On a terminal, the username and password are asked for (the password without echo). In scripts, give --username and pipe the password in with --password-stdin. For CI, prefer an API token in STAYCTL_TOKEN (\`stayctl tokens create\`), which wins over a stored session.

Exit codes: 0, 2 no API URL, or no username or password off a terminal, 6 wrong username or password (or the account is locked or deactivated), 7 server unreachable or too slow.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --api https://admin.example.com/graphql',
    'printf %s "$STAYCTL_PASSWORD" | <%= config.bin %> <%= command.id %> --api https://admin.example.com/graphql --username alice --password-stdin',
    '<%= config.bin %> <%= command.id %> --profile staging',
  ]

  static override flags = {
    username: Flags.string({char: 'u', description: 'Username or email (asked on a terminal when left out)'}),
    'password-stdin': Flags.boolean({description: 'Read the password from stdin (needs --username)'}),
  }

  async run(): Promise<LoginOutput> {
    const f = this.flags
    const apiUrl = requireApiUrl(f.api, 'login')
    if (f['password-stdin'] && !f.username) {
      throw new UsageError('--password-stdin needs --username (stdin holds the password)', {suggestion: 'add --username NAME'})
    }
    const login = f.username ?? (await inputOrFail('Username or email:', '--username'))
    const password = await currentPassword(f['password-stdin'])
    if (password === '') throw new UsageError('the password is empty')
    // No token: a stale session of this server must not stand in the way of a new one.
    const {remoteBackend} = await import('../src/remote/backend.js')
    const session = await remoteBackend(await this.connect(apiUrl)).auth.login({login, password})
    const credentialsFile = await saveSession(apiUrl, {
      token: session.token,
      username: session.user.username,
      userId: session.user.id,
      expiresAt: session.expiresAt,
      tokenId: session.tokenId,
    })
    this.log(`Logged in to ${apiUrl} as ${session.user.username}${session.user.isAdmin ? ' (admin)' : ''}; the session ends ${session.expiresAt}.`)
    if (process.env.STAYCTL_TOKEN) this.note(color.warn('Warning: STAYCTL_TOKEN is set: commands send it instead of this session until you unset it'))
    return {apiUrl, user: session.user, expiresAt: session.expiresAt, credentialsFile}
  }
}
