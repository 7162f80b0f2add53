import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads plain rows', () => {
    expect(parseCsv('a,b,c\n1,2,3\n')).toEqual({
      rows: [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
      truncated: false,
      columns: 3,
    });
  });

  it('reads the last row without a line break after it', () => {
    expect(parseCsv('a,b\n1,2').rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('reads CRLF and lone CR line ends', () => {
    expect(parseCsv('a,b\r\n1,2\r\n').rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a,b\r1,2').rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps separators, line breaks and doubled quotes inside quoted fields', () => {
    const text = 'name,note\r\n"Kim, Minji","said ""hi""\r\nand left"\r\n"",x\n';
    expect(parseCsv(text).rows).toEqual([
      ['name', 'note'],
      ['Kim, Minji', 'said "hi"\r\nand left'],
      ['', 'x'],
    ]);
  });

  it('keeps empty fields, at the start, in the middle and at the end', () => {
    expect(parseCsv(',a,,b,\n').rows).toEqual([['', 'a', '', 'b', '']]);
    expect(parseCsv(',\n').rows).toEqual([['', '']]);
  });

  it('skips blank lines and a byte-order mark', () => {
    expect(parseCsv('\uFEFFa,b\n\n1,2\n\n').rows).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('')).toEqual({ rows: [], truncated: false, columns: 0 });
    expect(parseCsv('\n\r\n').rows).toEqual([]);
  });

  it('forgives stray quotes and an unclosed quote', () => {
    expect(parseCsv('5" screen,ok\n').rows).toEqual([['5" screen', 'ok']]);
    expect(parseCsv('"quoted" tail,b\n').rows).toEqual([['quoted tail', 'b']]);
    expect(parseCsv('a,"never closed\n1,2').rows).toEqual([['a', 'never closed\n1,2']]);
  });

  it('counts the widest row as the column count (rows may be ragged)', () => {
    const table = parseCsv('a\n1,2,3\n4,5');
    expect(table.columns).toBe(3);
    expect(table.rows.map((r) => r.length)).toEqual([1, 3, 2]);
  });

  it('stops after maxRows and says so', () => {
    const text = Array.from({ length: 10 }, (_, i) => `${i},"x\ny"`).join('\n');
    const table = parseCsv(text, { maxRows: 3 });
    expect(table.rows).toHaveLength(3);
    expect(table.rows[2]).toEqual(['2', 'x\ny']);
    expect(table.truncated).toBe(true);
    expect(parseCsv('a\nb\nc\n', { maxRows: 3 }).truncated).toBe(false);
    expect(parseCsv('a\nb\nc', { maxRows: 3 }).truncated).toBe(false);
  });

  it('reads other separators', () => {
    expect(parseCsv('a;b\n"1;2";3', { delimiter: ';' }).rows).toEqual([
      ['a', 'b'],
      ['1;2', '3'],
    ]);
  });

  it('reads a large file quickly', () => {
    const text = 'id,name,price\n'.concat('1,"Widget, large",9.99\n'.repeat(100_000));
    const started = performance.now();
    const table = parseCsv(text, { maxRows: 500 });
    expect(table.rows).toHaveLength(500);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
