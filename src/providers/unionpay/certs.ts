/**
 * UnionPay's certificate chain (acp 5.1.0, signMethod 01). Every answer and
 * notification carries the signing certificate it was signed with as
 * `signPubKeyCert` (PEM). UnionPay's acp SDK (`CertUtil.verifyCertificate`)
 * trusts it only when:
 *
 * - it is within its validity dates,
 * - it chains up to the configured root certificate through the configured
 *   middle (intermediate) certificate, both as UnionPay hands them out
 *   (acp_prod_root.cer / acp_prod_middle.cer),
 * - its subject CN names UnionPay: the CN is `@`-separated and its third part
 *   is 中国银联股份有限公司 (the SDK's `UNIONPAY_CNNAME`; `getIdentitiesFromCertficate`).
 *
 * Only then is the signature checked with the key in that certificate.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';

/** The CN part (third `@`-separated field) UnionPay's production signing certificates carry. */
export const UNIONPAY_CN_NAME = '中国银联股份有限公司';

/** What live credentials configure: the root and middle certificates UnionPay's signing certificate must chain to. */
export interface UnionPayTrustAnchors {
  readonly rootCertPem: string;
  readonly middleCertPem: string;
}

export type CertCheck = { readonly ok: true; readonly certPem: string } | { readonly ok: false; readonly detail: string };

/** A certificate from PEM text, or null when it does not parse. */
export function loadCertificate(pem: string): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

/** The certificate's serial number in decimal: what acp calls certId (Java's `BigInteger.toString()`). */
export function certIdOf(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

/** The third `@`-separated part of the subject CN, '' when there is none (the SDK's rule). */
export function cnIdentity(cert: X509Certificate): string {
  const cn = cert.subject
    .split('\n')
    .find((line) => line.startsWith('CN='))
    ?.slice(3);
  return cn?.split('@')[2] ?? '';
}

const within = (cert: X509Certificate, now: number): 'ok' | 'not yet valid' | 'expired' => {
  if (now < Date.parse(cert.validFrom)) return 'not yet valid';
  if (now > Date.parse(cert.validTo)) return 'expired';
  return 'ok';
};

/** Whether `child` names `parent` as its issuer and carries its signature. */
const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean => child.checkIssued(parent) && child.verify(parent.publicKey);

/**
 * Checks the root and middle certificates themselves: each parses, the root
 * signs itself, the middle is a CA issued by the root. Null when they are
 * fine, else the problem (names the field, never its content).
 */
export function trustAnchorProblem(anchors: UnionPayTrustAnchors): string | null {
  const root = loadCertificate(anchors.rootCertPem);
  if (root === null) return 'rootCertPem is not a PEM X.509 certificate';
  const middle = loadCertificate(anchors.middleCertPem);
  if (middle === null) return 'middleCertPem is not a PEM X.509 certificate';
  if (!root.ca || !issuedBy(root, root)) return 'rootCertPem is not a self-signed CA certificate';
  if (!middle.ca || !issuedBy(middle, root)) return 'middleCertPem is not a CA certificate issued by rootCertPem';
  return null;
}

/**
 * Whether `signPubKeyCert` is UnionPay's signing certificate under `anchors`
 * at `now`: the SDK's checks (dates, chain, CN), each failure with its own detail.
 */
export function checkSigningCert(signPubKeyCert: string | undefined, anchors: UnionPayTrustAnchors, now: number): CertCheck {
  if (signPubKeyCert === undefined || signPubKeyCert === '') return { ok: false, detail: 'the message carries no signPubKeyCert' };
  const cert = loadCertificate(signPubKeyCert);
  if (cert === null) return { ok: false, detail: 'signPubKeyCert is not a PEM X.509 certificate' };
  const anchorProblem = trustAnchorProblem(anchors);
  if (anchorProblem !== null) return { ok: false, detail: `the configured certificates are unusable: ${anchorProblem}` };
  const root = loadCertificate(anchors.rootCertPem) as X509Certificate;
  const middle = loadCertificate(anchors.middleCertPem) as X509Certificate;

  const dates = within(cert, now);
  if (dates !== 'ok') return { ok: false, detail: `signPubKeyCert (serial ${certIdOf(cert)}) is ${dates} (valid ${cert.validFrom} to ${cert.validTo})` };
  if (cert.ca) return { ok: false, detail: 'signPubKeyCert is a CA certificate, not a signing certificate' };
  if (!issuedBy(cert, middle)) {
    return { ok: false, detail: `signPubKeyCert is not issued by the configured middle certificate (its issuer: ${oneLine(cert.issuer)})` };
  }
  for (const [name, anchor] of [
    ['middle', middle],
    ['root', root],
  ] as const) {
    const anchorDates = within(anchor, now);
    if (anchorDates !== 'ok') return { ok: false, detail: `the configured ${name} certificate is ${anchorDates}` };
  }
  const identity = cnIdentity(cert);
  if (identity !== UNIONPAY_CN_NAME) return { ok: false, detail: `signPubKeyCert's CN does not name ${UNIONPAY_CN_NAME} (found "${identity}")` };
  return { ok: true, certPem: signPubKeyCert };
}

/** Whether a private key (PEM) loads and is the key of the certificate; the problem otherwise. */
export function keyMatchesCertificate(privateKeyPem: string, cert: X509Certificate): 'ok' | 'unloadable' | 'mismatch' {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    return 'unloadable';
  }
  if (key.asymmetricKeyType !== 'rsa') return 'unloadable';
  return cert.checkPrivateKey(key) ? 'ok' : 'mismatch';
}

const oneLine = (name: string): string => name.split('\n').join(', ');
