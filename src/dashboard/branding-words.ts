/** The "Checkout branding" page's words. */
import { dictionary } from './i18n.js';

export const brandingWords = dictionary({
  en: {
    title: 'Checkout branding', titleFor: 'Checkout branding · {merchant}',
    intro: 'How the hosted payment page looks to your shoppers: your logo, colours and words. The test-mode banner and sandbox buttons stay CanCan\'s own.',
    scope: 'Template for', scopeDefault: 'All payment methods (default)', scopeOwn: 'has its own template', scopeFallback: 'uses the default template',
    switchScope: 'Show',
    display_name: 'Display name', display_nameHint: 'Shown at the top of the page; empty uses the merchant name.',
    logo: 'Logo', logoHint: 'PNG or JPEG, at most 256 KB and 1024×1024 pixels. SVG is refused.', removeLogo: 'Remove the current logo', noLogo: 'No logo yet.',
    brand_color: 'Button colour', button_text_color: 'Button text colour', accent_color: 'Accent colour (amount and links, on white)',
    background_color: 'Page background', background_text_color: 'Text on the page background', colourHint: '#rrggbb; text pairs must reach the WCAG AA contrast of 4.5:1.',
    corners: 'Corners', corner_square: 'Square', corner_rounded: 'Rounded', corner_pill: 'Pill',
    header_line: 'Header line', footer_links: 'Footer links', footer_linksHint: 'Up to 3, one a line: label|https://…',
    support_email: 'Support e-mail', support_phone: 'Support phone', default_lang: 'Page language', lang_browser: 'The shopper\'s browser', lang_en: 'English', lang_zh: '中文',
    method: 'Payment method',
    save: 'Save template', preview: 'Preview without saving', removeTemplate: 'Remove this template',
    saved: 'Template saved. New payment pages use it now.', removed: 'Template removed.', refused: 'Nothing was saved: {count} problem(s) below.',
    draft: 'Previewing unsaved values. Save to use them.', readOnly: 'Only owners can change the template.',
    previewTitle: 'Preview (test mode, sample amounts)', previewLang: 'Preview language', phone: 'Phone', desktop: 'Desktop',
    state_wallet: 'Wallet QR', state_card: 'Card form', state_unionpay: 'UnionPay redirect', state_success: 'Success', state_failure: 'Failure', state_expired: 'Expired',
    frameTitle: '{state}, {width}', openBranding: 'Checkout branding',
  },
  zh: {
    title: '收银台品牌', titleFor: '收银台品牌 · {merchant}',
    intro: '顾客看到的托管支付页面：您的标志、颜色和文字。测试模式横幅和沙箱按钮始终保持 CanCan 的样式。',
    scope: '模板适用于', scopeDefault: '所有支付方式（默认）', scopeOwn: '有单独模板', scopeFallback: '使用默认模板',
    switchScope: '显示',
    display_name: '显示名称', display_nameHint: '显示在页面顶部；留空则使用商户名称。',
    logo: '标志', logoHint: 'PNG 或 JPEG，最大 256 KB、1024×1024 像素。不接受 SVG。', removeLogo: '删除当前标志', noLogo: '尚未上传标志。',
    brand_color: '按钮颜色', button_text_color: '按钮文字颜色', accent_color: '强调色（金额和链接，白色背景上）',
    background_color: '页面背景', background_text_color: '页面背景上的文字', colourHint: '#rrggbb；文字与背景须达到 WCAG AA 对比度 4.5:1。',
    corners: '圆角', corner_square: '直角', corner_rounded: '圆角', corner_pill: '胶囊',
    header_line: '页头标语', footer_links: '页脚链接', footer_linksHint: '最多 3 个，每行一个：名称|https://…',
    support_email: '客服邮箱', support_phone: '客服电话', default_lang: '页面语言', lang_browser: '跟随顾客浏览器', lang_en: 'English', lang_zh: '中文',
    method: '支付方式',
    save: '保存模板', preview: '预览（不保存）', removeTemplate: '删除此模板',
    saved: '模板已保存，新的支付页面即刻生效。', removed: '模板已删除。', refused: '未保存：下方有 {count} 个问题。',
    draft: '正在预览未保存的设置，保存后生效。', readOnly: '只有所有者可以修改模板。',
    previewTitle: '预览（测试模式，示例金额）', previewLang: '预览语言', phone: '手机', desktop: '桌面',
    state_wallet: '钱包二维码', state_card: '银行卡表单', state_unionpay: '银联跳转', state_success: '支付成功', state_failure: '支付失败', state_expired: '已过期',
    frameTitle: '{state}，{width}', openBranding: '收银台品牌',
  },
});

export const PREVIEW_STATES = ['wallet', 'card', 'unionpay', 'success', 'failure', 'expired'] as const;
export type PreviewState = (typeof PREVIEW_STATES)[number];
