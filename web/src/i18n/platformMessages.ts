/**
 * The platform, finance and branding screens' messages (platform.*, finance.*,
 * branding.*) and the staff contact dialog's (staffContact.*), merged into the i18n
 * instance when one of those loads: they stay out of the sign-in bundle. Precompiled like
 * the main messages (no eval under the CSP).
 */
import { i18n } from '@/i18n';
import zhCN from './locales/platform/zh-CN.json';
import en from './locales/platform/en.json';

i18n.global.mergeLocaleMessage('zh-CN', zhCN);
i18n.global.mergeLocaleMessage('en', en);

export const PLATFORM_MESSAGES_LOADED = true;
