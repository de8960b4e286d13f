/** Field checks the providers' live credential parsers share. */

export type Fields = Readonly<Record<string, unknown>>;

/** A required non-empty string; a problem is recorded when it is missing. */
export function text(fields: Fields, name: string, problems: string[]): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} is required (a non-empty string)`);
    return '';
  }
  return value;
}

/** One of `allowed`, `fallback` when absent. */
export function choice<T extends string>(fields: Fields, name: string, allowed: readonly T[], fallback: T, problems: string[]): T {
  const value = fields[name] ?? fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name} must be one of ${allowed.join(', ')}`);
  return fallback;
}

/** The parsed value, or the problems found. */
export const parsed = <C>(value: C, problems: string[]): { ok: true; value: C } | { ok: false; problems: string[] } =>
  problems.length > 0 ? { ok: false, problems } : { ok: true, value };
