/**
 * The `never` check of an exhaustive switch: the compiler flags a case left
 * out, and a value that slips past the types at run time fails loudly.
 */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
