/**
 * The formats both directions share: which format a file is in (flag, else extension), and the
 * record writer behind export and the import's error file (CSV fields, formula quoting when
 * asked, JSON and NDJSON framing).
 */
import {expect} from 'chai'

import {UsageError, ValidationError} from '../../src/errors.js'
import {fileFormatOf} from '../../src/services/formats/format.js'
import {csvField, csvLine, recordWriter} from '../../src/services/formats/writer.js'

function write(format: 'csv' | 'json' | 'ndjson', pages: unknown[][][], neutralise = false): string {
  const writer = recordWriter(format, ['a', 'b'], {neutralise})
  return writer.header() + pages.map((page) => writer.rows(page)).join('') + writer.footer()
}

describe('file formats (unit)', () => {
  it('takes the format a flag names, else the extension, else the default or an error of the caller’s kind', () => {
    expect(fileFormatOf('x.txt', 'ndjson', {invalid: UsageError})).to.equal('ndjson')
    expect(fileFormatOf('x.CSV', undefined, {invalid: UsageError})).to.equal('csv')
    expect(fileFormatOf('x.jsonl', undefined, {invalid: UsageError})).to.equal('ndjson')
    expect(fileFormatOf(undefined, undefined, {invalid: UsageError, otherwise: 'csv'})).to.equal('csv')
    expect(() => fileFormatOf('x.csv', 'xml', {invalid: UsageError})).to.throw(UsageError, 'unknown format "xml": use csv, json or ndjson')
    expect(() => fileFormatOf('x.txt', undefined, {invalid: ValidationError})).to.throw(ValidationError, 'cannot tell the format of "x.txt" from its extension')
  })

  it('quotes a CSV field only when it holds a quote, comma or line break', () => {
    expect(['plain', 'a,b', 'q"q', 'l\nl', 'c\rc', ''].map(csvField)).to.deep.equal(['plain', '"a,b"', '"q""q"', '"l\nl"', '"c\rc"', ''])
    expect(csvLine([null, undefined, 1, true, '=1'])).to.equal(',,1,true,=1')
    expect(csvLine([null, '=1', '-2', "'Tis"], true)).to.equal(",'=1,'-2,'Tis")
  })

  it('frames CSV, JSON and NDJSON, counting the records', () => {
    const rows = [[[1, 'x,y']], [], [[null, '=z']]]
    expect(write('csv', rows)).to.equal('a,b\r\n1,"x,y"\r\n,=z\r\n')
    expect(write('csv', rows, true)).to.equal("a,b\r\n1,\"x,y\"\r\n,'=z\r\n")
    expect(write('json', rows)).to.equal('[\n{"a":1,"b":"x,y"},\n{"a":null,"b":"=z"}\n]\n')
    expect(write('json', [])).to.equal('[]\n')
    expect(write('ndjson', rows)).to.equal('{"a":1,"b":"x,y"}\n{"a":null,"b":"=z"}\n')
    const writer = recordWriter('ndjson', ['a'])
    writer.rows([[1], [2]])
    expect(writer.count).to.equal(2)
  })
})
