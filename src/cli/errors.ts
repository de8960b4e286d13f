/** The `code` of a Node system or parse error (ENOENT, EADDRINUSE, ERR_PARSE_ARGS_…), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
