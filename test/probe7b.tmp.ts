import net from 'node:net'
import {migratedDatabase} from './support/db.js'
import {serve} from './support/serve.js'
import {cliEnv} from './e2e/helpers.js'

const {db, database} = await migratedDatabase('probe7b')
const env = cliEnv(database)
const served = await serve(env, process.argv.slice(2))
const port = Number(new URL(served.url).port)
const body = JSON.stringify({query: 'query Burst { properties(first: 1) { nodes { id } } }'})
const request = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
const connect = (count: number) => Promise.all(Array.from({length: count}, () => new Promise<net.Socket>((resolve, reject) => { const s = net.connect(port, '127.0.0.1'); s.once('connect', () => resolve(s)).once('error', reject) })))
await fetch(served.base + '/healthz')
served.child.kill('SIGSTOP')
const sockets = await connect(Number(process.env.N ?? 5))
const answers = sockets.map((socket) => new Promise<string>((resolve) => {
  let data = ''
  socket.on('data', (c) => (data += c))
  socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
  socket.on('close', () => resolve(data.split('\r\n')[0] || 'none'))
}))
for (const s of sockets) s.write(request)
await new Promise((r) => setTimeout(r, 200))
if (!process.env.NOTERM) served.child.kill('SIGTERM')
served.child.kill('SIGCONT')
if (process.env.NOTERM) { await new Promise((r) => setTimeout(r, 1000)); served.child.kill('SIGTERM') }
const all = await Promise.all(answers); const t: Record<string, number> = {}; for (const a of all) t[a] = (t[a] ?? 0) + 1; console.log(t, await served.exited)
console.log(served.stderr())
await db.close(); await database.drop()
