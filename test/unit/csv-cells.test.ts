/**
 * Cells a spreadsheet would run as formulas: neutraliseCell quotes them as OWASP advises, and
 * restoreCell (what import does to CSV cells) takes back exactly that quote, so an export
 * imports again unchanged whatever the values.
 */
import {expect} from 'chai'

import {neutraliseCell, restoreCell} from '../../src/services/formats/cells.js'

describe('csv cells (unit)', () => {
  it("prefixes cells starting with = + - @ tab or CR with a '", () => {
    for (const text of ["=cmd|' /C calc'!A0", '+1', '-2', '@SUM(A1)', '\tx', '\rx', '=', '-']) {
      expect(neutraliseCell(text), JSON.stringify(text)).to.equal(`'${text}`)
    }
  })

  it("leaves other cells alone, a ' followed by anything else too", () => {
    for (const text of ['', 'Sea View', '1 Shore Rd', "'Tis the season", "'", ' =1', 'a=b', '2026-01-02', '120.50']) {
      expect(neutraliseCell(text), JSON.stringify(text)).to.equal(text)
      expect(restoreCell(text), JSON.stringify(text)).to.equal(text)
    }
  })

  it("quotes a cell that starts with ' and a formula character or another ', so that restoring is exact", () => {
    expect(neutraliseCell("'=x")).to.equal("''=x")
    expect(neutraliseCell("''")).to.equal("'''")
    expect(restoreCell("''=x")).to.equal("'=x")
    expect(restoreCell("'''")).to.equal("''")
    expect(restoreCell("'=x")).to.equal('=x')
  })

  it('restores every value it neutralised, and neutralises every restored cell back to itself', () => {
    const alphabet = ["'", '=', '+', '-', '@', '\t', '\r', 'a', ' ', '"', ',']
    const values: string[] = ['']
    for (let length = 1; length <= 4; length++) {
      for (let n = 0; n < alphabet.length ** length; n++) {
        let text = ''
        for (let i = 0, k = n; i < length; i++, k = Math.floor(k / alphabet.length)) text += alphabet[k % alphabet.length]
        values.push(text)
      }
    }
    for (const value of values) {
      const cell = neutraliseCell(value)
      expect(restoreCell(cell), JSON.stringify(value)).to.equal(value)
      expect(neutraliseCell(restoreCell(cell)), JSON.stringify(value)).to.equal(cell)
      expect(cell, JSON.stringify(value)).not.to.match(/^[=+\-@\t\r]/)
    }
  })
})
