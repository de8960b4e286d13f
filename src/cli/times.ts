/** Times in the CLI's --json output: ISO 8601 in UTC, as the API writes them (null stays null). */
export function isoTime(ms: number | string | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}
