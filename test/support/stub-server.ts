/**
 * Misbehaving servers for the remote client's tests: one that answers as told (an HTML 502, a
 * bare 401…), one that never answers, and the URL of a port nobody listens on.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface StubServer {
  url: string
  /** Requests received so far. */
  hits: number
  /** Authorization headers received. */
  authorizations: string[]
  close(): Promise<void>
}

export type StubHandler = (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void

/**
 * A server whose every request `handler` answers (or does not: a handler may leave it hanging).
 * It listens on `host` (default 127.0.0.1; '0.0.0.0' to be reached by another address of this
 * machine); `url` names it by 127.0.0.1.
 */
export async function stubServer(handler: StubHandler, host = '127.0.0.1'): Promise<StubServer> {
  const sockets = new Set<import('node:net').Socket>()
  const state = {hits: 0, authorizations: [] as string[]}
  const server = http.createServer((req, res) => {
    state.hits += 1
    state.authorizations.push(String(req.headers.authorization ?? ''))
    req.resume()
    req.on('end', () => handler(req, res, state.hits))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const {port} = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  })
}

/** A server that reads every request and never answers. */
export const hangingServer = () => stubServer(() => {})

/** The URL of a port that was free a moment ago: connections to it are refused. */
export async function deadUrl(): Promise<string> {
  const server = await stubServer(() => {})
  await server.close()
  return server.url
}
