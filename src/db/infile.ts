/**
 * Streams offered to MySQL's LOAD DATA LOCAL INFILE. mysql2 asks `infileStreamFactory` for
 * the stream of the file named in the statement; we register a stream under a unique name,
 * so only streams we created can be read (never a file from disk the server names).
 */
import {randomUUID} from 'node:crypto'
import {Readable} from 'node:stream'

const streams = new Map<string, Readable>()

export function registerInfile(data: Buffer | Readable): string {
  const name = `stayctl-${randomUUID()}`
  streams.set(name, Buffer.isBuffer(data) ? Readable.from([data]) : data)
  return name
}

export function infileStreamFactory(name: string): Readable {
  const stream = streams.get(name)
  if (!stream) throw new Error(`LOAD DATA asked for an unknown stream "${name}"`)
  streams.delete(name)
  return stream
}
