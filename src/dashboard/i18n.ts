/**
 * The dashboard's words in English and Chinese. Each page module keeps its
 * own dictionary next to its code (`dictionary({ en, zh })`); the words every
 * page shares are here. A Chinese entry must exist for every English one:
 * the type checker enforces it.
 */
export type Lang = 'en' | 'zh';

export type Dictionary<K extends string> = (lang: Lang, key: K, vars?: Readonly<Record<string, string | number>>) => string;

export function dictionary<const E extends Record<string, string>>(words: { en: E; zh: Record<keyof E, string> }): Dictionary<Extract<keyof E, string>> {
  return (lang, key, vars = {}) => String(lang === 'zh' ? words.zh[key] : words.en[key]).replace(/\{(\w+)\}/g, (_m, name: string) => String(vars[name] ?? ''));
}

export const common = dictionary({
  en: {
    product: 'CanCan dashboard',
    overview: 'Overview',
    transactions: 'Transactions',
    developers: 'Developers',
    branding: 'Checkout branding',
    merchants: 'Merchants',
    reconciliation: 'Reconciliation',
    signIn: 'Sign in',
    signOut: 'Sign out',
    email: 'E-mail',
    password: 'Password',
    signInTitle: 'Sign in to CanCan',
    wrongCredentials: 'The e-mail or password is not right.',
    throttled: 'Too many failed attempts. Try again in {minutes} min.',
    sessionExpired: 'Your session has ended. Please sign in again.',
    signedOut: 'You are signed out.',
    notFound: 'Not found',
    notFoundText: 'There is nothing here, or you may not see it.',
    back: 'Back',
    forbidden: 'Not allowed',
    forbiddenText: 'Your role cannot do this. Ask an owner of this merchant.',
    badForm: 'This form expired or did not come from this dashboard. Please try again.',
    error: 'Something went wrong',
    errorText: 'The request could not be completed. It has been logged; please try again.',
    language: '中文',
    skip: 'Skip to content',
    role_owner: 'Owner',
    role_staff: 'Staff (read-only)',
    role_operator: 'Operator',
    state_pending: 'Pending',
    state_succeeded: 'Succeeded',
    state_failed: 'Failed',
    state_refunded: 'Refunded',
    state_partlyRefunded: 'Partly refunded',
    needsAttention: 'Needs attention',
    needsAttentionHint: 'The provider has not said how this ended for longer than CanCan waits. CanCan keeps asking, slowly; check it with the provider.',
    type_sale: 'Sale',
    type_void: 'Void',
    type_refund: 'Refund',
    type_charge: 'Charge',
    type_cancel: 'Cancel',
    mode_test: 'Test',
    mode_live: 'Live',
    modeToggle: 'Data shown: test or live',
    testBanner: 'Test mode: you are viewing test data.',
    testBannerHint: 'Nothing here moved real money. Switch to Live to see real payments.',
    allMerchants: 'All merchants',
    merchant: 'Merchant',
    cancel: 'Cancel',
  },
  zh: {
    product: 'CanCan 商户后台',
    overview: '概览',
    transactions: '交易',
    developers: '开发者',
    branding: '收银台品牌',
    merchants: '商户',
    reconciliation: '对账',
    signIn: '登录',
    signOut: '退出',
    email: '电子邮箱',
    password: '密码',
    signInTitle: '登录 CanCan',
    wrongCredentials: '邮箱或密码不正确。',
    throttled: '失败次数过多，请 {minutes} 分钟后再试。',
    sessionExpired: '登录已过期，请重新登录。',
    signedOut: '您已退出。',
    notFound: '未找到',
    notFoundText: '此页面不存在，或您无权查看。',
    back: '返回',
    forbidden: '无权操作',
    forbiddenText: '您的角色不能执行此操作，请联系商户的所有者。',
    badForm: '表单已过期或并非来自本后台，请重试。',
    error: '出错了',
    errorText: '请求未能完成，已记录日志，请重试。',
    language: 'English',
    skip: '跳到正文',
    role_owner: '所有者',
    role_staff: '员工（只读）',
    role_operator: '平台运营',
    state_pending: '处理中',
    state_succeeded: '成功',
    state_failed: '失败',
    state_refunded: '已退款',
    state_partlyRefunded: '部分退款',
    needsAttention: '需要处理',
    needsAttentionHint: '支付机构超过等待时限仍未告知结果。CanCan 会继续以较慢的频率查询；请向支付机构核实。',
    type_sale: '消费',
    type_void: '撤销',
    type_refund: '退款',
    type_charge: '收款',
    type_cancel: '取消',
    mode_test: '测试',
    mode_live: '生产',
    modeToggle: '显示的数据：测试或生产',
    testBanner: '测试模式：您正在查看测试数据。',
    testBannerHint: '这里的交易不涉及真实资金。切换到“生产”可查看真实付款。',
    allMerchants: '全部商户',
    merchant: '商户',
    cancel: '取消',
  },
});

/** A `lang` query or cookie wins; otherwise the browser's first language. */
export function pickLang(explicit: string | undefined, acceptLanguage: string | undefined): Lang {
  if (explicit === 'zh' || explicit === 'en') return explicit;
  return /^\s*zh\b/i.test(acceptLanguage ?? '') ? 'zh' : 'en';
}
