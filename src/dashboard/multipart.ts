/**
 * A small `multipart/form-data` reader for the dashboard's one upload (the
 * checkout logo): text fields become strings as in a url-encoded form, files
 * become `{ filename, bytes }` under `FILES_KEY`. Repeated names keep the first.
 */
export const FILES_KEY = '_files';
/** Above the logo limit, so an oversize logo reaches its own clear refusal. */
export const UPLOAD_BODY_LIMIT = 1024 * 1024;

export interface UploadedFile {
  readonly filename: string;
  readonly bytes: Buffer;
}

export function boundaryOf(contentType: string | undefined): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** The fields, or null when the body is not well-formed multipart. */
export function parseMultipart(body: Buffer, boundary: string): Record<string, unknown> | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, unknown> = {};
  const files: Record<string, UploadedFile> = {};
  let at = body.indexOf(delimiter);
  if (at < 0) return null;
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') break;
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') return null;
    const headersEnd = body.indexOf('\r\n\r\n', at);
    if (headersEnd < 0) return null;
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) return null;
    const content = body.subarray(headersEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined && name !== FILES_KEY) {
      if (filename !== undefined) {
        // A file input left empty still sends a part, with no name and no bytes.
        if (!(name in files) && (filename !== '' || content.length > 0)) files[name] = { filename, bytes: Buffer.from(content) };
      } else if (!(name in fields)) fields[name] = content.toString('utf8');
    }
    at = next + 2;
  }
  fields[FILES_KEY] = files;
  return fields;
}

export function uploadedFile(body: unknown, name: string): UploadedFile | undefined {
  const files = (body as Record<string, unknown> | null | undefined)?.[FILES_KEY] as Record<string, UploadedFile> | undefined;
  return files?.[name];
}
