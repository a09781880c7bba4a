import {BaseCommand} from '../src/cli/base-command.js'
import {color} from '../src/cli/render.js'
import {removeSession, storedSession} from '../src/config/credentials.js'
import {requireApiUrl} from '../src/config/settings.js'
import {isStayctlError} from '../src/errors.js'

export interface LogoutOutput {
  apiUrl: string
  /** There was a stored session for the server, and it is gone now. */
  loggedOut: boolean
  /** The server ended the session (false when it could not be reached or had ended it already). */
  endedOnServer: boolean
}

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = 'End the stored session of a stayctl server'
  static override description = `Ends the session that \`stayctl login\` stored for the server of --api (or STAYCTL_API_URL, or the profile's apiUrl): the server is asked to revoke it, then it is removed from <config dir>/credentials.json. When the server cannot be reached the session is removed here all the same (with a warning: it stays valid on the server until it expires). Logging out when not logged in changes nothing. STAYCTL_TOKEN is not touched.

Exit codes: 0, 2 no API URL.`

  static override examples = ['<%= config.bin %> <%= command.id %> --api https://admin.example.com/graphql', '<%= config.bin %> <%= command.id %> --profile staging']

  async run(): Promise<LogoutOutput> {
    const apiUrl = requireApiUrl(this.flags.api, 'logout')
    const session = storedSession(apiUrl)
    if (!session) {
      this.log(`Not logged in to ${apiUrl}; nothing to do.`)
      return {apiUrl, loggedOut: false, endedOnServer: false}
    }
    let endedOnServer = false
    try {
      const {remoteBackend} = await import('../src/remote/backend.js')
      endedOnServer = (await remoteBackend(await this.connect(apiUrl)).auth.logout(session.token)).revoked
    } catch (error) {
      if (!isStayctlError(error)) throw error
      // A session that ended already (expired, revoked) needs nothing more from the server.
      if (error.kind !== 'UNAUTHENTICATED') {
        this.note(color.warn(`Warning: the server did not end the session (${error.message}); it stays valid there until ${session.expiresAt}`))
      }
    }
    await removeSession(apiUrl)
    this.log(`Logged out of ${apiUrl} (${session.username})${endedOnServer ? '; the server ended the session' : ''}.`)
    return {apiUrl, loggedOut: true, endedOnServer}
  }
}
