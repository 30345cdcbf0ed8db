// Cells of a CSV a person opens in a spreadsheet. A cell that starts with =, +, -, @, a tab or a
// carriage return is read there as a formula (OWASP, "CSV Injection"), and the errors file carries
// what sources wrote: file names, S3 keys, record ids. Such a cell gets a leading apostrophe, which
// spreadsheets show as text and do not run.
const FORMULA_START = /^[=+\-@\t\r]/;

export function spreadsheetSafe(value: string | null): string | null {
  return value !== null && FORMULA_START.test(value) ? `'${value}` : value;
}
