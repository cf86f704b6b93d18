/**
 * CSV as RFC 4180 writes it (CRLF line ends; a field holding `"`, `,`, CR or LF is quoted, its quotes doubled),
 * with one rule more for spreadsheets: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a CR would be read
 * as a formula by Excel, LibreOffice and Google Sheets (OWASP's CSV injection), so it gets a leading `'`. Page paths
 * and referrers are visitor-controlled text, so this matters here. Numbers are written as they are; null (a number
 * withheld for k-anonymity) is an empty cell.
 */
export type Cell = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');
}
