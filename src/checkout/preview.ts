/**
 * Sample payment pages for the dashboard's template preview: every page
 * state, in test mode, with sample amounts. Nothing here reads or writes a
 * transaction.
 */
import QRCode from 'qrcode';
import { paymentMethod } from '../chop/methods.js';
import type { Lang } from './i18n.js';
import { type PageBrand, renderCheckoutPage, renderMessagePage } from './page.js';

export type SampleState = 'wallet' | 'card' | 'unionpay' | 'success' | 'failure' | 'expired';

const SAMPLE_ID = '0'.repeat(32);
const SAMPLE = { reference: 'SAMPLE-1001', amount: 12_800, currency: 'USD' } as const;
let sampleQr: Promise<string> | null = null;

export async function renderSamplePage(state: SampleState, lang: Lang, brand: PageBrand | null, merchantName: string, now: number): Promise<string> {
  if (state === 'success') return renderMessagePage(lang, 'title', 'paid', { state: 'succeeded', brand });
  if (state === 'failure') return renderMessagePage(lang, 'title', 'failed', { state: 'failed', brand });
  if (state === 'expired') return renderMessagePage(lang, 'title', 'expired', { state: 'failed', brand });
  const code = state === 'card' ? 'cc' : state === 'unionpay' ? 'upop' : 'alipay';
  const method = paymentMethod(code);
  if (!method) throw new Error(`no payment method ${code}`);
  sampleQr ??= QRCode.toString('https://qr.example/sample', { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return renderCheckoutPage({
    lang,
    id: SAMPLE_ID,
    merchantName,
    ...SAMPLE,
    method,
    expiresAt: now + 15 * 60_000,
    brand,
    qrSvg: state === 'card' ? null : await sampleQr,
    payForm: state === 'unionpay' ? { action: '/chop/landing', fields: {} } : null,
    sandbox: state !== 'card',
  });
}
