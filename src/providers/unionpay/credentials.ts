/**
 * UnionPay live credentials, checked when they are set: what UnionPay hands a
 * merchant (the merchant number, the signing certificate and its key from
 * the acp signing .pfx, and the root and middle certificates that UnionPay's
 * own signing certificate chains to).
 *
 * The .pfx is given as PEM: `openssl pkcs12 -in acp_sign.pfx -nodes` prints
 * the key and the certificate. certId is the certificate's serial number in
 * decimal, as UnionPay's SDK sends it; it must match the certificate.
 * Problems name fields, never their values.
 */
import { type Fields, parsed, text } from '../credential-fields.js';
import type { ParsedCredentials } from '../descriptor.js';
import { certIdOf, keyMatchesCertificate, loadCertificate, trustAnchorProblem, type UnionPayTrustAnchors } from './certs.js';

/** Live: requests carry certId, answers are trusted through the certificate chain. */
export interface UnionPayLiveCredentials extends UnionPayTrustAnchors {
  /** 15-digit merchant number (商户号). */
  readonly merId: string;
  /** Serial number (decimal) of the merchant's signing certificate. */
  readonly certId: string;
  /** The merchant's signing private key (PEM, from the signing .pfx). */
  readonly merchantPrivateKeyPem: string;
  /** The merchant's signing certificate (PEM, from the signing .pfx): proves certId and the key belong together. */
  readonly merchantCertPem: string;
}

export const UNIONPAY_LIVE_CREDENTIAL_FIELDS = ['merId', 'certId', 'merchantPrivateKeyPem', 'merchantCertPem', 'rootCertPem', 'middleCertPem'] as const;

export const UNIONPAY_LIVE_CREDENTIALS_USAGE =
  '{"merId":"15 digits","certId":"signing cert serial (decimal)","merchantPrivateKeyPem","merchantCertPem","rootCertPem","middleCertPem"}';

/** A required PEM block of the given label (`CERTIFICATE`, `PRIVATE KEY`...), else a problem. */
export function unionPayPemField(fields: Fields, name: string, labels: readonly string[], problems: string[]): string {
  const value = text(fields, name, problems);
  if (value === '') return value;
  if (!labels.some((label) => value.includes(`-----BEGIN ${label}-----`))) problems.push(`${name} must be PEM (${labels.join(' or ')})`);
  return value;
}

export function parseUnionPayLiveCredentials(fields: Fields): ParsedCredentials<UnionPayLiveCredentials> {
  const problems: string[] = [];
  const merId = text(fields, 'merId', problems);
  if (merId !== '' && !/^\d{15}$/.test(merId)) problems.push('merId must be 15 digits');
  const certId = text(fields, 'certId', problems);
  if (certId !== '' && !/^\d{1,40}$/.test(certId)) problems.push('certId must be the decimal serial number of the signing certificate');
  const value: UnionPayLiveCredentials = {
    merId,
    certId,
    merchantPrivateKeyPem: unionPayPemField(fields, 'merchantPrivateKeyPem', ['PRIVATE KEY', 'RSA PRIVATE KEY'], problems),
    merchantCertPem: unionPayPemField(fields, 'merchantCertPem', ['CERTIFICATE'], problems),
    rootCertPem: unionPayPemField(fields, 'rootCertPem', ['CERTIFICATE'], problems),
    middleCertPem: unionPayPemField(fields, 'middleCertPem', ['CERTIFICATE'], problems),
  };
  if (problems.length > 0) return parsed(value, problems);

  const merchantCert = loadCertificate(value.merchantCertPem);
  if (merchantCert === null) problems.push('merchantCertPem is not a PEM X.509 certificate');
  else {
    if (certIdOf(merchantCert) !== certId) problems.push('certId is not the serial number of merchantCertPem');
    const key = keyMatchesCertificate(value.merchantPrivateKeyPem, merchantCert);
    if (key === 'unloadable') problems.push('merchantPrivateKeyPem is not an RSA private key (unencrypted PEM)');
    if (key === 'mismatch') problems.push('merchantPrivateKeyPem is not the key of merchantCertPem');
  }
  const anchors = trustAnchorProblem(value);
  if (anchors !== null) problems.push(anchors);
  return parsed(value, problems);
}
