/** The payment page's words, in English and Chinese. */
export type Lang = 'en' | 'zh';

const TEXT = {
  en: {
    title: 'Checkout',
    pay: 'Pay',
    amount: 'Amount',
    reference: 'Order',
    scanWith: 'Scan with {method} to pay',
    expiresIn: 'Time left:',
    until: 'pay before {time}',
    expired: 'This payment page has expired.',
    preparing: 'Preparing your payment code…',
    waiting: 'Waiting for payment…',
    paid: 'Payment received. Thank you!',
    failed: 'The payment did not go through.',
    cancelled: 'This payment was cancelled.',
    continueTo: 'Continue to {method}',
    cardNumber: 'Card number',
    expiry: 'Expiry (MM/YY)',
    cvc: 'Security code (CVC)',
    name: 'Name on card',
    postalCode: 'Postal code',
    payNow: 'Pay {amount}',
    sandbox: 'Test mode: simulate the customer',
    approve: 'Simulate approve',
    decline: 'Simulate decline',
    notFoundTitle: 'Payment not found',
    notFound: 'This payment link is not valid. Please go back to the shop and start again.',
    backToShop: 'Back to the shop',
    fixErrors: 'Please check the highlighted fields.',
    language: '中文',
    poweredBy: 'Secured by CanCan',
    noScript: 'This page refreshes by itself every few seconds.',
    refresh: 'Refresh',
    support: 'Help:',
  },
  zh: {
    title: '收银台',
    pay: '支付',
    amount: '金额',
    reference: '订单',
    scanWith: '请使用{method}扫码支付',
    expiresIn: '剩余时间：',
    until: '请于 {time} 前支付',
    expired: '支付页面已过期。',
    preparing: '正在生成支付二维码…',
    waiting: '等待支付…',
    paid: '支付成功，谢谢！',
    failed: '支付未成功。',
    cancelled: '该笔支付已取消。',
    continueTo: '前往{method}支付',
    cardNumber: '卡号',
    expiry: '有效期 (MM/YY)',
    cvc: '安全码 (CVC)',
    name: '持卡人姓名',
    postalCode: '邮政编码',
    payNow: '支付 {amount}',
    sandbox: '测试模式：模拟顾客操作',
    approve: '模拟支付成功',
    decline: '模拟拒绝支付',
    notFoundTitle: '未找到该笔支付',
    notFound: '支付链接无效，请返回商户网站重新下单。',
    backToShop: '返回商户',
    fixErrors: '请检查标出的栏位。',
    language: 'English',
    poweredBy: 'CanCan 安全支付',
    noScript: '本页面每隔几秒自动刷新。',
    refresh: '刷新',
    support: '帮助：',
  },
} as const;

export type TextKey = keyof (typeof TEXT)['en'];

export function t(lang: Lang, key: TextKey, vars: Record<string, string> = {}): string {
  return TEXT[lang][key].replace(/\{(\w+)\}/g, (_m, name: string) => vars[name] ?? '');
}

/** `?lang=` wins; otherwise the browser's first language. */
export function pickLang(query: string | undefined, acceptLanguage: string | undefined): Lang {
  if (query === 'zh' || query === 'en') return query;
  return /^\s*zh\b/i.test(acceptLanguage ?? '') ? 'zh' : 'en';
}
