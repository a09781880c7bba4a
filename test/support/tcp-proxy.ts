/**
 * A TCP proxy in the test process, in front of a database server, that can stop forwarding
 * without closing anything: the network hanging, as opposed to the server refusing. Bytes sent
 * meanwhile wait in the socket buffers (as a stalled network holds them) and flow again on
 * resume(). cut() ends every connection with a reset, as a server that dies mid-query;
 * cutOn(text) does so when a given statement is sent.
 */
import net from 'node:net'

import mysql from 'mysql2/promise'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {openDb, type Db} from '../../src/db/index.js'
import {migrate} from '../../src/services/schema.js'

/** The MariaDB the proxy tests stand in front of: STAYCTL_TEST_DATABASE_URL's server, else the local one. */
export const proxiedServer = new URL(
  (process.env.STAYCTL_TEST_DATABASE_URL ?? '').startsWith('mysql') ? process.env.STAYCTL_TEST_DATABASE_URL! : 'mysql://root@127.0.0.1:3306/test',
)

/** A direct connection to that server (no database), or undefined when none answers. */
export async function serverConnection(): Promise<mysql.Connection | undefined> {
  const base = proxiedServer
  return mysql
    .createConnection({host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username || 'root'), password: decodeURIComponent(base.password), connectTimeout: 3000})
    .catch(() => undefined)
}

export interface TcpProxy {
  port: number
  /** Stops forwarding in both directions on every connection, present and future. */
  hang(): void
  resume(): void
  /** Resets every connection (RST), as a database that went away. */
  cut(): void
  /** From now on, resets the connection of any client packet that contains `text` instead of passing it on (undefined: no more). */
  cutOn(text: string | undefined): void
  close(): Promise<void>
}

export async function tcpProxy(target: {host: string; port: number}): Promise<TcpProxy> {
  let hanging = false
  let cutText: string | undefined
  const sockets = new Set<net.Socket>()
  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (hanging) socket.pause()
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    track(client)
    track(upstream)
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (from === client && cutText !== undefined && chunk.includes(cutText)) {
          client.resetAndDestroy()
          upstream.destroy()
        } else if (!to.write(chunk)) from.pause()
      })
      to.on('drain', () => {
        if (!hanging) from.resume()
      })
      from.on('end', () => to.end())
      from.on('close', () => to.destroy())
    }
    forward(client, upstream)
    forward(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    hang() {
      hanging = true
      for (const socket of sockets) socket.pause()
    },
    resume() {
      hanging = false
      for (const socket of sockets) socket.resume()
    },
    cut() {
      for (const socket of sockets) socket.resetAndDestroy()
    },
    cutOn(text) {
      cutText = text
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface ProxiedDatabase {
  /** The database reached directly, and through the proxy. */
  direct: string
  proxied: URL
  proxy: TcpProxy
  /** Closes the proxy and drops the database. */
  drop(): Promise<void>
}

/**
 * A migrated database of its own on that server, and a proxy in front of it; undefined when no
 * server answers. `prepare` runs on the database (directly) before the proxy starts.
 */
export async function proxiedDatabase(label: string, prepare?: (db: Db) => Promise<void>): Promise<ProxiedDatabase | undefined> {
  const base = proxiedServer
  const name = `${base.pathname.slice(1) || 'test'}_${label}_${process.pid}`.slice(0, 64)
  const connection = await serverConnection()
  if (!connection) return undefined
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await connection.end()
  const direct = new URL(base.toString())
  direct.pathname = `/${name}`
  const setup = await openDb(parseDatabaseUrl(direct.toString()))
  try {
    await migrate(setup, {})
    await prepare?.(setup)
  } finally {
    await setup.close()
  }
  const proxy = await tcpProxy({host: base.hostname, port: Number(base.port || 3306)})
  const proxied = new URL(direct.toString())
  proxied.hostname = '127.0.0.1'
  proxied.port = String(proxy.port)
  return {
    direct: direct.toString(),
    proxied,
    proxy,
    drop: async () => {
      await proxy.close()
      const admin = await serverConnection()
      await admin?.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await admin?.end()
    },
  }
}
