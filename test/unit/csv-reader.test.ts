/**
 * The CSV reader of imports: RFC 4180 records split across chunks at every possible place,
 * line numbers of records that span lines, and what an unreadable record reports.
 */
import {expect} from 'chai'

import {CsvReader, MAX_RECORD_CHARS, type CsvRecord} from '../../src/services/formats/csv-reader.js'

function read(chunks: (string | Buffer)[]): CsvRecord[] {
  const reader = new CsvReader()
  const out: CsvRecord[] = []
  for (const chunk of chunks) reader.push(chunk, out)
  reader.end(out)
  return out
}

const simple = (records: CsvRecord[]) => records.map((r) => ({line: r.line, fields: r.fields, ...(r.broken ? {broken: r.broken} : {})}))

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('CsvReader (unit)', () => {
  it('reads quoted commas, doubled quotes, embedded newlines, CRLF and a BOM', () => {
    const text = '\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\r\nlines",\r\n\r\n3,,"é"\n'
    expect(simple(read([text]))).to.deep.equal([
      {line: 1, fields: ['a', 'b', 'c']},
      {line: 2, fields: ['1', 'x, y', 'say "hi"']},
      {line: 3, fields: ['2', 'two\r\nlines', '']},
      {line: 6, fields: ['3', '', 'é']},
    ])
  })

  it('reads a last record without a line break, and an empty file', () => {
    expect(simple(read(['a,b\n1,2']))).to.deep.equal([
      {line: 1, fields: ['a', 'b']},
      {line: 2, fields: ['1', '2']},
    ])
    expect(read([''])).to.deep.equal([])
  })

  it('reports a quote left open at the line it opens, with the last line of the file', () => {
    const records = read(['a,b\n1,2\n3,"open\n4,5\n6,7\n'])
    expect(simple(records.slice(0, 2))).to.deep.equal([
      {line: 1, fields: ['a', 'b']},
      {line: 2, fields: ['1', '2']},
    ])
    expect(records[2].line).to.equal(3)
    expect(records[2].broken).to.equal('a quoted field opened here is never closed, so the rest of the file (to line 5) could not be read')
    expect(records).to.have.length(3)
  })

  it('reports text after a closing quote and goes on with the next line', () => {
    const records = read(['a,b\n"x"y,2\n3,4\n'])
    expect(records[1].line).to.equal(2)
    expect(records[1].broken).to.match(/followed by a comma or the end of the line/)
    expect(simple([records[2]])).to.deep.equal([{line: 3, fields: ['3', '4']}])
  })

  it('stops at a record longer than the limit, counting the lines after it', () => {
    const big = 'x'.repeat(1 << 20)
    const chunks = ['a\n"', ...Array.from({length: MAX_RECORD_CHARS / (1 << 20) + 2}, () => `${big}\n`)]
    const records = read(chunks)
    expect(records).to.have.length(2)
    expect(records[1].line).to.equal(2)
    expect(records[1].broken).to.match(/longer than 4 MiB.*to line 7\)/)
  })

  it('gives the same records whatever the chunks, for random RFC 4180 files', () => {
    const next = random(42)
    const alphabet = ['a', 'b', 'Z', '0', ' ', ',', '"', '\n', '\r\n', 'é', '€', '😀', '\t']
    for (let round = 0; round < 200; round++) {
      const columns = 1 + Math.floor(next() * 5)
      const rows: string[][] = []
      for (let r = 0; r < 1 + Math.floor(next() * 8); r++) {
        rows.push(
          Array.from({length: columns}, () => Array.from({length: Math.floor(next() * 6)}, () => alphabet[Math.floor(next() * alphabet.length)]).join('')),
        )
      }
      const eol = next() < 0.5 ? '\n' : '\r\n'
      const expected: {line: number; fields: string[]}[] = []
      let line = 1
      const text =
        (next() < 0.3 ? '\uFEFF' : '') +
        rows
          .map((row, i) => {
            // A lone empty field would make an empty line, which readers skip: quote it.
            const fields = row.map((f) => (/[",\r\n]/.test(f) || next() < 0.2 || (row.length === 1 && f === '') ? `"${f.replace(/"/g, '""')}"` : f))
            expected.push({line, fields: row})
            const record = fields.join(',')
            line += (record.match(/\n/g) ?? []).length + 1
            return record + (i < rows.length - 1 || next() < 0.5 ? eol : '')
          })
          .join('')
      const bytes = Buffer.from(text, 'utf8')
      for (let split = 0; split < 5; split++) {
        const chunks: Buffer[] = []
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + Math.floor(next() * 7)
          chunks.push(bytes.subarray(at, at + size))
          at += size
        }
        expect(simple(read(chunks)), JSON.stringify(text)).to.deep.equal(expected)
      }
    }
  })
})
