/**
 * The merchant screens' messages (merchant.*), merged into the i18n instance when one of
 * their routes loads, like the tenant detail's: they stay out of the sign-in bundle.
 */
import { i18n } from '@/i18n';
import zhCN from '@/i18n/locales/merchant/zh-CN.json';
import en from '@/i18n/locales/merchant/en.json';

i18n.global.mergeLocaleMessage('zh-CN', zhCN);
i18n.global.mergeLocaleMessage('en', en);

export const MERCHANT_MESSAGES_LOADED = true;
