/**
 * The merchant's WeChat Pay API certificate (apiclient_cert): the client
 * certificate WeChat asks for on its `secapi` paths (reverse, refund). WeChat
 * issues it as PKCS#12 (apiclient_cert.p12, passphrase: the merchant id
 * unless changed) and as PEM (apiclient_cert.pem + apiclient_key.pem);
 * credentials take either. The subject's CN is the merchant id it was issued to.
 */
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { Socket } from 'node:net';

/** The certificate as node:tls takes it. Holds the private key: never logged, never traced. */
export type ClientCertificate =
  { readonly kind: 'pkcs12'; readonly pfx: Buffer; readonly passphrase: string } | { readonly kind: 'pem'; readonly cert: string; readonly key: string };

/** The credential fields that carry a certificate, as the JSON gives them. */
export interface CertificateFields {
  /** apiclient_cert.p12, base64. */
  readonly certP12?: unknown;
  /** The PKCS#12 passphrase; WeChat's default is the merchant id. */
  readonly certPassphrase?: unknown;
  readonly certPem?: unknown;
  readonly keyPem?: unknown;
}

/** The fields a certificate needs, for the credential help. */
export const CERTIFICATE_FIELD_NAMES = ['certP12 (base64 of apiclient_cert.p12)', 'certPassphrase (default: mchId)', 'certPem + keyPem (instead of certP12)'];

export type CertificateResult = { readonly ok: true; readonly certificate: ClientCertificate | null } | { readonly ok: false; readonly problem: string };

/**
 * Reads and checks the certificate fields: absent → null (no certificate);
 * present → it must load with its key and passphrase, and be issued to `mchId`.
 */
export function parseCertificate(fields: CertificateFields, mchId: string): CertificateResult {
  const certificate = readFields(fields, mchId);
  if (certificate === null || 'problem' in certificate) return certificate === null ? { ok: true, certificate: null } : certificate;
  let subjectCn: string | null;
  try {
    subjectCn = commonNameOf(secureContextOf(certificate));
  } catch (error) {
    return { ok: false, problem: `the WeChat Pay API certificate does not load (${loadError(error)})` };
  }
  if (subjectCn !== mchId) {
    return { ok: false, problem: `the WeChat Pay API certificate was issued to merchant ${subjectCn ?? '(no CN)'}, not to mchId ${mchId}` };
  }
  return { ok: true, certificate };
}

function readFields(fields: CertificateFields, mchId: string): ClientCertificate | { ok: false; problem: string } | null {
  const { certP12, certPassphrase, certPem, keyPem } = fields;
  const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
  if (given(certP12) && (given(certPem) || given(keyPem))) return { ok: false, problem: 'give certP12 or certPem + keyPem, not both' };
  if (given(certP12)) {
    if (typeof certP12 !== 'string' || !/^[A-Za-z0-9+/=\s]+$/.test(certP12)) return { ok: false, problem: 'certP12 must be the base64 of apiclient_cert.p12' };
    if (given(certPassphrase) && typeof certPassphrase !== 'string') return { ok: false, problem: 'certPassphrase must be a string' };
    const passphrase = typeof certPassphrase === 'string' && certPassphrase !== '' ? certPassphrase : mchId;
    return { kind: 'pkcs12', pfx: Buffer.from(certP12, 'base64'), passphrase };
  }
  if (given(certPem) || given(keyPem)) {
    if (typeof certPem !== 'string' || typeof keyPem !== 'string' || certPem === '' || keyPem === '') {
      return { ok: false, problem: 'certPem and keyPem go together (apiclient_cert.pem and apiclient_key.pem)' };
    }
    return { kind: 'pem', cert: certPem, key: keyPem };
  }
  return null;
}

/** The certificate of credentials already checked when parsed; null when they have none. */
export function certificateOf(fields: CertificateFields & { readonly mchId: string }): ClientCertificate | null {
  const read = readFields(fields, fields.mchId);
  return read === null || 'problem' in read ? null : read;
}

/** The TLS options node:https and node:tls take for this certificate. */
export function tlsOptionsOf(certificate: ClientCertificate): { pfx: Buffer; passphrase: string } | { cert: string; key: string } {
  return certificate.kind === 'pkcs12' ? { pfx: certificate.pfx, passphrase: certificate.passphrase } : { cert: certificate.cert, key: certificate.key };
}

function secureContextOf(certificate: ClientCertificate): SecureContext {
  return createSecureContext(tlsOptionsOf(certificate));
}

/** The subject CN of the context's own certificate (a socket that never connects reads it). */
function commonNameOf(context: SecureContext): string | null {
  const socket = new TLSSocket(new Socket(), { secureContext: context });
  try {
    const certificate = socket.getCertificate();
    if (certificate === null || !('subject' in certificate)) throw new Error('no certificate in it');
    const cn = certificate.subject?.CN;
    return typeof cn === 'string' ? cn : null;
  } finally {
    socket.destroy();
  }
}

/** OpenSSL's reason, short and without key material ("mac verify failure" = wrong passphrase). */
function loadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/mac verify failure/i.test(message)) return 'wrong certPassphrase';
  if (/key values mismatch/i.test(message)) return 'keyPem is not the key of certPem';
  // Older apiclient_cert.p12 files use RC2, which OpenSSL 3 (Node 18+) reads no more; WeChat ships the PEM files beside it.
  if (/unsupported pkcs12/i.test(message)) return 'a PKCS#12 this runtime cannot read (legacy encryption): give certPem + keyPem instead';
  return message.split('\n')[0] ?? 'unreadable';
}
