/**
 * The "open in the app" link a wallet page offers a shopper who is on the
 * phone that would have to scan its own screen.
 *
 * - Alipay: the precreate `qr_code` is an https://qr.alipay.com/… address;
 *   opened on a phone it hands the order to the Alipay app (or offers to
 *   install it), so the link is the code itself.
 * - WeChat Pay Native: the `code_url` (weixin://wxpay/bizpayurl?pr=…) opens only
 *   from WeChat's own scanner; a browser link to it does nothing. WeChat's
 *   browser payment is another product (H5, `mweb_url`), not this one.
 * - Alipay+ wallets (AlipayHK, GCash, DANA, Kakao Pay, JKOPAY, …): the order
 *   code is for scanning; app links come only with Alipay+ cashier payments
 *   (`normalUrl`, `schemeUrl`, `applinkUrl`), which CanCan does not use.
 * - UnionPay already sends the shopper to its own page (the pay form).
 */
const ALIPAY_QR = /^https:\/\/qr\.alipay\.com\/[A-Za-z0-9]+$/;

export function walletAppLink(method: string, qrCode: string | null): string | null {
  if (method === 'alipay' && qrCode !== null && ALIPAY_QR.test(qrCode)) return qrCode;
  return null;
}
