/**
 * The tenant detail screen's messages (tenantDetail.*), merged into the i18n instance when
 * its route loads: they stay out of the sign-in bundle. Precompiled like the main messages.
 */
import { i18n } from '@/i18n';
import zhCN from './locales/tenant/zh-CN.json';
import en from './locales/tenant/en.json';

i18n.global.mergeLocaleMessage('zh-CN', zhCN);
i18n.global.mergeLocaleMessage('en', en);

export const TENANT_MESSAGES_LOADED = true;
