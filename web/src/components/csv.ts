/** What `parseCsv` read. */
export interface CsvTable {
  /** The rows read, the header row first when the file has one; rows may differ in length. */
  readonly rows: readonly (readonly string[])[];
  /** True when the text had more rows than `maxRows` (they were not read). */
  readonly truncated: boolean;
  /** The length of the longest row read. */
  readonly columns: number;
}

export interface CsvOptions {
  /** Stop after this many rows (the header counts). Default: no limit. */
  maxRows?: number;
  /** The field separator. Default ','. */
  delimiter?: string;
}

/**
 * Reads CSV as RFC 4180 describes it, and forgives what spreadsheets and scripts write in practice:
 * quoted fields with separators, line breaks and doubled quotes ("") inside; CRLF, LF or CR line
 * ends; a byte-order mark; no line break after the last row; a quote in the middle of an unquoted
 * field (kept as text); text after a closing quote (kept, as spreadsheets do); an unclosed quote
 * (the field runs to the end). Never throws.
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const delimiter = options.delimiter ?? ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  /** Something was read for the current row (so an empty last line is not a row). */
  let rowStarted = false;
  let columns = 0;
  let truncated = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const endRow = (): boolean => {
    row.push(field);
    field = '';
    if (rows.length >= maxRows) {
      truncated = true;
      return false;
    }
    rows.push(row);
    columns = Math.max(columns, row.length);
    row = [];
    rowStarted = false;
    return true;
  };

  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      rowStarted = true;
      i++;
      continue;
    }
    if (ch === delimiter) {
      row.push(field);
      field = '';
      rowStarted = true;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      if (!rowStarted && field === '') {
        // A blank line: nothing to show. (A line with only separators is a row of empty fields.)
        continue;
      }
      if (!endRow()) break;
      continue;
    }
    field += ch;
    rowStarted = true;
    i++;
  }
  if (!truncated && (rowStarted || field !== '')) endRow();
  return { rows, truncated, columns };
}
