/**
 * UI language: zh-CN by default, English on request, remembered in localStorage (a
 * preference, not a credential). Messages are precompiled at build time by
 * @intlify/unplugin-vue-i18n, so the runtime-only vue-i18n needs no `eval` under the CSP.
 */
import { createI18n } from 'vue-i18n';
import zhCN from './locales/zh-CN.json';
import en from './locales/en.json';

export type UiLanguage = 'zh-CN' | 'en';
export const LANGUAGES: readonly UiLanguage[] = ['zh-CN', 'en'];
export const LANGUAGE_STORAGE_KEY = 'weapp.console.language';

function isLanguage(value: unknown): value is UiLanguage {
  return value === 'zh-CN' || value === 'en';
}

export function storedLanguage(): UiLanguage {
  try {
    const stored = globalThis.localStorage?.getItem(LANGUAGE_STORAGE_KEY);
    if (isLanguage(stored)) return stored;
  } catch {
    // storage unavailable (privacy mode): use the default
  }
  return 'zh-CN';
}

export const i18n = createI18n({
  legacy: false,
  locale: storedLanguage(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});

export function currentLanguage(): UiLanguage {
  const lang = i18n.global.locale.value;
  return isLanguage(lang) ? lang : 'zh-CN';
}

export function setLanguage(lang: UiLanguage): void {
  i18n.global.locale.value = lang;
  try {
    globalThis.localStorage?.setItem(LANGUAGE_STORAGE_KEY, lang);
  } catch {
    // not remembered; still switched
  }
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}
