/** The operator console's words, and its messages for invalid merchant settings. */
import { PROBLEM_TEXT, type Problem, type SettingsField } from '../core/merchant-settings.js';
import { providerCatalog } from '../providers/catalog.js';
import { type Lang, dictionary } from './i18n.js';

export const words = dictionary({
  en: {
    merchantsTitle: 'Merchants', colName: 'Name', colId: 'ID', colTimeZone: 'Time zone', colGateways: 'Gateways & methods',
    colCreated: 'Created', colToday: 'Transactions today', noMerchants: 'No merchants yet.',
    todayHint: 'Times and “today” are in each merchant’s own time zone.', newMerchantLink: 'Create a merchant',
    createTitle: 'Create merchant', createButton: 'Create merchant', fieldName: 'Name', fieldTimeZone: 'Time zone',
    fieldGateways: 'Gateways and payment methods', timeZoneHint: 'Reports and “today” follow this time zone.',
    createProblems: 'The merchant was not created. Please correct the fields marked below.',
    createdTitle: 'Merchant created', createdText: 'Merchant {name} was created.', merchantId: 'Merchant ID', apiKeyLabel: 'Test API key',
    apiKeyOnce: 'Shown only this once: copy it now. CanCan keeps only a digest and cannot show it again.',
    openMerchant: 'Open the merchant', backToMerchants: 'Back to merchants',
    viewTransactions: 'This merchant’s transactions', timesIn: 'Times are shown in {zone}.',
    gatewaysTitle: 'Gateways & payment methods', gatewaysHint: 'Checked ones are enabled: the API refuses the others (403).',
    posGateways: 'POS gateways', chopMethods: 'Hosted checkout payment methods', saveGateways: 'Save gateways',
    settingsTitle: 'Settings', fieldVoidWindow: 'Void window', voidWindowHint: 'How long after a sale the POS may still void it, e.g. 15m.',
    fieldCancelWindow: 'Cancel window', cancelWindowHint: 'How long after creation a hosted-checkout charge may be cancelled, e.g. 24h or 2d.',
    fieldExempt: 'Refunds may exceed the day’s open balance', saveSettings: 'Save settings',
    settingsProblems: 'The settings were not saved. Please correct the fields marked below.',
    gatewaysProblems: 'The gateways were not saved.',
    credentialsTitle: 'Provider credentials (live mode)',
    credentialsHint: 'Write-only: stored sealed and never shown again. Paste the whole JSON object; it replaces what is stored.',
    credentialsSetOn: 'Set on {date}', credentialsNotSet: 'Not set', credentialsFields: 'Fields: {fields}',
    credentialsLabel: '{provider} credentials (JSON)', storeCredentials: 'Store {provider} credentials',
    credentialsProblems: 'The {provider} credentials were not stored:',
    credentialsRefused: 'The {provider} credentials were not stored: see the problems listed below.',
    usersTitle: 'Users', colEmail: 'E-mail', colRole: 'Role', colLastSignIn: 'Last sign-in', never: 'Never', noUsers: 'No users yet.',
    activityTitle: 'Recent activity', colWhen: 'When', colUser: 'User', colAction: 'Action', colDetail: 'Detail', noActivity: 'No activity yet.',
    deletedUser: '(deleted user)',
    done_gateways: 'Gateways and payment methods saved.', done_settings: 'Settings saved.',
    done_credentials: 'Live {provider} credentials stored (sealed).',
  },
  zh: {
    merchantsTitle: '商户', colName: '名称', colId: 'ID', colTimeZone: '时区', colGateways: '支付网关与方式',
    colCreated: '创建时间', colToday: '今日交易', noMerchants: '尚无商户。',
    todayHint: '时间和“今日”均按各商户自己的时区计算。', newMerchantLink: '新建商户',
    createTitle: '新建商户', createButton: '新建商户', fieldName: '名称', fieldTimeZone: '时区',
    fieldGateways: '支付网关与支付方式', timeZoneHint: '报表和“今日”按此时区计算。',
    createProblems: '商户未创建，请更正下方标出的字段。',
    createdTitle: '商户已创建', createdText: '商户 {name} 已创建。', merchantId: '商户 ID', apiKeyLabel: '测试 API 密钥',
    apiKeyOnce: '仅显示这一次，请立即复制。CanCan 只保存其摘要，无法再次显示。',
    openMerchant: '打开商户', backToMerchants: '返回商户列表',
    viewTransactions: '该商户的交易', timesIn: '时间按 {zone} 显示。',
    gatewaysTitle: '支付网关与支付方式', gatewaysHint: '勾选的为已启用；其余的 API 会拒绝（403）。',
    posGateways: 'POS 支付网关', chopMethods: '托管收银台支付方式', saveGateways: '保存支付网关',
    settingsTitle: '设置', fieldVoidWindow: '撤销时限', voidWindowHint: '消费后 POS 仍可撤销的时长，例如 15m。',
    fieldCancelWindow: '取消时限', cancelWindowHint: '托管收银台订单创建后可取消的时长，例如 24h 或 2d。',
    fieldExempt: '退款可超过当日未结余额', saveSettings: '保存设置',
    settingsProblems: '设置未保存，请更正下方标出的字段。',
    gatewaysProblems: '支付网关未保存。',
    credentialsTitle: '支付机构凭据（生产模式）',
    credentialsHint: '只写：加密保存，之后不再显示。请粘贴完整的 JSON 对象，它会替换已保存的凭据。',
    credentialsSetOn: '设置于 {date}', credentialsNotSet: '未设置', credentialsFields: '字段：{fields}',
    credentialsLabel: '{provider} 凭据（JSON）', storeCredentials: '保存 {provider} 凭据',
    credentialsProblems: '{provider} 凭据未保存：',
    credentialsRefused: '{provider} 凭据未保存，原因见下方列出的问题。',
    usersTitle: '用户', colEmail: '电子邮箱', colRole: '角色', colLastSignIn: '上次登录', never: '从未', noUsers: '尚无用户。',
    activityTitle: '最近操作', colWhen: '时间', colUser: '用户', colAction: '操作', colDetail: '详情', noActivity: '尚无操作记录。',
    deletedUser: '（已删除的用户）',
    done_gateways: '支付网关与支付方式已保存。', done_settings: '设置已保存。',
    done_credentials: '{provider} 生产凭据已加密保存。',
  },
});

export type WordKey = Parameters<typeof words>[1];

/** The shared English messages (the CLI's), and their Chinese. */
const problemWords = dictionary({
  en: PROBLEM_TEXT,
  zh: {
    required: '请填写{field}',
    too_long: '{field}不能超过 {max} 个字符',
    unknown_time_zone: '未知时区 {value}（请使用 IANA 名称，例如 Asia/Bangkok）',
    unknown_codes: '未知的支付网关或支付方式 {value}；可用：{known}',
    duration: '{field}必须是一个时长，例如 15m、24h 或 2d',
    on_off: '{field}必须为 on 或 off',
  },
});

const FIELD_LABELS: Record<SettingsField, WordKey> = {
  name: 'fieldName', timezone: 'fieldTimeZone', gateways: 'fieldGateways', void_window: 'fieldVoidWindow', cancel_window: 'fieldCancelWindow', refund_balance_exempt: 'fieldExempt',
};

export function problemMessage(lang: Lang, problem: Problem): string {
  return problemWords(lang, problem.code, { ...problem.vars, field: words(lang, FIELD_LABELS[problem.field]) });
}

/** The provider's name as its descriptor words it; an unknown name is shown as it is. */
export const providerName = (lang: Lang, provider: string): string => providerCatalog().provider(provider)?.label[lang] ?? provider;
