/**
 * The formats both directions share: which format a file is in (flag, else extension), and the
 * record writer behind export and the import's error file (CSV fields, formula quoting when
 * asked, JSON and NDJSON framing).
 */
import {expect} from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {UsageError, ValidationError} from '../../src/errors.js'
import {fileFormatOf} from '../../src/services/formats/format.js'
import {restoreCell} from '../../src/services/formats/cells.js'
import {jsonProblem} from '../../src/services/formats/records.js'
import {csvField, csvLine, recordWriter} from '../../src/services/formats/writer.js'
import {openRejectionsFile} from '../../src/services/import/rejections-file.js'
import {tempFolder} from '../support/isolated-env.js'

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

  it('says what is wrong with a line that is not JSON without repeating its text (V8 quotes it)', () => {
    const problem = (line: string) => {
      try {
        JSON.parse(line.trim())
      } catch (error) {
        return jsonProblem(error, line)
      }
      throw new Error(`${line} parsed`)
    }
    // The quote around the token, cut on both sides, on its right only, or the whole short line.
    expect(problem('  {"email": "a@example.com", "password": Secret-pw-1, "admin": true}')).to.equal('unexpected character at column 42')
    expect(problem('x{"password": "Secret-pw-2", "email": "a@example.com"}')).to.equal('unexpected character at column 1')
    expect(problem('{"password": Secret-pw-3}')).to.equal('unexpected character at column 14')
    expect(problem('{"pw": Secret-3}')).to.equal('unexpected text (a value without its quotes?)')
    // Messages that quote nothing stay as they are (their words differ between Node versions).
    const quoting = '{"password": "Secret-pw-4",}'
    let v8 = ''
    try {
      JSON.parse(quoting)
    } catch (error) {
      v8 = (error as Error).message
    }
    expect(v8).to.match(/^Expected double-quoted property name in JSON at position 27\b/)
    expect(problem(quoting)).to.equal(v8)
  })
})

describe('an import error file (unit)', () => {
  it('quotes a rejected row that a spreadsheet would run, the way import takes the quote off again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-rejections-'))
    try {
      const csv = openRejectionsFile(path.join(dir, 'errors.csv'), '-')
      csv.write({line: 2, field: 'email', reason: 'email must look like name@example.com', raw: ['=cmd|\' /C calc\'!A0', 'x']})
      csv.write({line: 3, field: 'username', reason: 'too short', raw: ['ok', '@SUM(1)']})
      await csv.close()
      const lines = fs.readFileSync(path.join(dir, 'errors.csv'), 'utf8').split('\r\n')
      expect(lines[1]).to.equal('2,email,email must look like name@example.com,"\'=cmd|\' /C calc\'!A0,x"')
      // Only a cell's start runs: a formula character inside the row is text already.
      expect(lines[2]).to.equal('3,username,too short,"ok,@SUM(1)"')
      const restored = restoreCell(parseCsvLine(lines[1])[3])
      expect(restored).to.equal("=cmd|' /C calc'!A0,x")

      const ndjson = openRejectionsFile(path.join(dir, 'errors.ndjson'), '-')
      ndjson.write({line: 2, field: 'email', reason: 'bad', raw: {email: '=1+1'}})
      await ndjson.close()
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'errors.ndjson'), 'utf8'))).to.deep.equal({line: 2, field: 'email', reason: 'bad', row: {email: '=1+1'}})
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('is no more readable than the file its rows come from (stdin: the owner only), also when it replaces an earlier one', async () => {
    const dir = tempFolder('stayctl-rejections-')
    const modeOf = (file: string) => fs.statSync(file).mode & 0o777
    const errorFile = async (name: string, source: string) => {
      const file = openRejectionsFile(path.join(dir, name), source)
      file.write({line: 2, field: 'email', reason: 'bad', raw: ['someone', 'not-an-email', 'A-password-in-the-clear']})
      await file.close()
      return modeOf(path.join(dir, name))
    }
    const secret = path.join(dir, 'secret.csv')
    fs.writeFileSync(secret, 'username,email,password\n', {mode: 0o600})
    fs.chmodSync(secret, 0o600)
    expect((await errorFile('new.errors.csv', secret)).toString(8)).to.equal('600')
    expect((await errorFile('stdin.errors.csv', '-')).toString(8)).to.equal('600')
    // An error file an earlier run left readable by all is narrowed.
    fs.writeFileSync(path.join(dir, 'old.errors.csv'), 'stale\n')
    fs.chmodSync(path.join(dir, 'old.errors.csv'), 0o644)
    expect((await errorFile('old.errors.csv', secret)).toString(8)).to.equal('600')
    // A file others may read already gives them nothing new: the error file is as open as it (and the umask allow).
    const shared = path.join(dir, 'shared.csv')
    fs.writeFileSync(shared, 'username,email,password\n')
    fs.chmodSync(shared, 0o644)
    const probe = path.join(dir, 'probe')
    fs.writeFileSync(probe, '', {mode: 0o644})
    expect(await errorFile('shared.errors.csv', shared)).to.equal(modeOf(probe))
    // Not a regular file (--errors /dev/stderr): written to, its mode left alone.
    const devNull = modeOf('/dev/null')
    try {
      const file = openRejectionsFile('/dev/null', secret)
      file.write({line: 2, reason: 'bad', raw: ['x']})
      await file.close()
      expect(modeOf('/dev/null').toString(8)).to.equal(devNull.toString(8))
    } finally {
      if (modeOf('/dev/null') !== devNull) fs.chmodSync('/dev/null', devNull)
    }
  })
})

/** The fields of one CSV line (quotes and doubled quotes; no line breaks inside). */
function parseCsvLine(line: string): string[] {
  return [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => (m[1] === undefined ? m[2] : m[1].replace(/""/g, '"')))
}
