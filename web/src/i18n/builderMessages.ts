/**
 * The pages screen's, the builder's and the tab bar & theme screen's messages (pages.*,
 * builder.*, forms.*, preview.*, settings.*),
 * merged into the i18n instance when one of those routes loads: they stay out of the
 * sign-in bundle. Precompiled like the main messages (no eval under the CSP).
 */
import { i18n } from '@/i18n';
import zhCN from './locales/builder/zh-CN.json';
import en from './locales/builder/en.json';

i18n.global.mergeLocaleMessage('zh-CN', zhCN);
i18n.global.mergeLocaleMessage('en', en);

export const BUILDER_MESSAGES_LOADED = true;
