import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import enUS from 'vant/es/locale/lang/en-US'
import zhCN from 'vant/es/locale/lang/zh-CN'
import zh from './zh-CN.json'
import en from './en.json'

export type AppLocale = 'zh-CN' | 'en'
const STORAGE_KEY = 'gridpoints.locale'

function initial(): AppLocale {
  const saved = localStorage.getItem(STORAGE_KEY)
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
  missingWarn: true,
  fallbackWarn: true,
  // Also in production builds: a missing translation is a console error (the browser tests fail on it).
  missing: (locale, key) => {
    console.error(`[i18n] missing "${key}" in ${locale}`)
  },
})

export function currentLocale(): AppLocale {
  return i18n.global.locale.value as AppLocale
}

export function setLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
  if (locale === 'en') Locale.use('en-US', enUS)
  else Locale.use('zh-CN', zhCN)
}

setLocale(initial())
