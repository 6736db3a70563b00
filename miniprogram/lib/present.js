// @ts-check
/**
 * Pure helpers that turn client-API documents into what a page shows: the home and tab
 * slugs, navigation-bar colours, the suspended screen, notices.
 */
const { colour } = require('./style')
const { tabSlugs } = require('./links')

/** Quiet notices over a page, by the client layer's notice code. */
const NOTICES = Object.freeze({
  offline: '网络不可用，当前显示的是缓存内容',
  preview: '草稿预览：此页面尚未发布',
  preview_expired: '预览链接已过期，当前显示的是已发布的页面',
  preview_invalid: '预览链接无效，当前显示的是已发布的页面',
})

/**
 * @param {string | undefined | null} code
 * @returns {string}
 */
function noticeText(code) {
  return code && Object.prototype.hasOwnProperty.call(NOTICES, code) ? NOTICES[/** @type {keyof typeof NOTICES} */ (code)] : ''
}

/**
 * The home page's slug: "home" when the merchant has it, else the first published page.
 * @param {any} app
 * @returns {string | null}
 */
function homeSlug(app) {
  const pages = app && Array.isArray(app.pages) ? app.pages : []
  if (pages.some((/** @type {any} */ p) => p && p.slug === 'home')) return 'home'
  const first = pages.find((/** @type {any} */ p) => p && typeof p.slug === 'string' && p.slug)
  return first ? first.slug : null
}

/**
 * The slug tab `index` shows, or null when the merchant has no such tab.
 * @param {any} app
 * @param {number} index
 * @returns {string | null}
 */
function tabSlug(app, index) {
  return tabSlugs(app)[index] || null
}

/**
 * wx.setNavigationBarColor's arguments: the theme's bar under the page's own settings.
 * @param {any} app
 * @param {any} page
 * @returns {{frontColor: '#ffffff' | '#000000', backgroundColor: string} | null}
 */
function navigationColors(app, page) {
  const themeBar = (app && app.theme && app.theme.navigation_bar) || {}
  const pageBar = (page && page.navigation_bar) || {}
  const background = colour(pageBar.background_color) || colour(themeBar.background_color)
  const textStyle = pageBar.text_style || themeBar.text_style
  if (!background && !textStyle) return null
  return {
    frontColor: textStyle === 'white' ? '#ffffff' : '#000000',
    backgroundColor: background || '#ffffff',
  }
}

/**
 * The navigation-bar title of a page: its own bar title, else its title.
 * @param {any} page
 * @returns {string}
 */
function navigationTitle(page) {
  const bar = (page && page.navigation_bar) || {}
  if (typeof bar.title === 'string' && bar.title) return bar.title
  return page && typeof page.title === 'string' ? page.title : ''
}

/**
 * A phone number in the support contact (an object's `phone`, or the first number in a
 * text such as "客服电话 400-123-4567"), or null.
 * @param {unknown} contact
 * @returns {string | null}
 */
function contactPhone(contact) {
  let text = ''
  if (typeof contact === 'string') text = contact
  else if (contact && typeof contact === 'object') {
    const c = /** @type {any} */ (contact)
    text = typeof c.phone === 'string' ? c.phone : ''
  }
  const match = text.match(/\+?\d[\d\s\-()]{3,22}\d/)
  if (!match) return null
  const number = match[0].replace(/[\s()]/g, '')
  return number.replace(/\D/g, '').length >= 5 ? number : null
}

/**
 * What the suspended screen shows.
 * @param {any} payload {suspended, reason, name, message: {"zh-CN", en}, contact}
 * @returns {{name: string, message: string, contact: string, phone: string, reason: string}}
 */
function suspendedView(payload) {
  const p = payload || {}
  const message = p.message && typeof p.message === 'object' ? p.message : {}
  const text =
    (typeof message['zh-CN'] === 'string' && message['zh-CN']) ||
    (typeof message.en === 'string' && message.en) ||
    (typeof p.message === 'string' && p.message) ||
    '该小程序暂停服务，请稍后再来。'
  let contact = ''
  if (typeof p.contact === 'string') contact = p.contact
  else if (p.contact && typeof p.contact === 'object') {
    contact = [p.contact.name, p.contact.phone, p.contact.email].filter((v) => typeof v === 'string' && v).join(' ')
  }
  return {
    name: typeof p.name === 'string' ? p.name : '',
    message: text,
    contact,
    phone: contactPhone(p.contact) || '',
    reason: typeof p.reason === 'string' ? p.reason : '',
  }
}

module.exports = { NOTICES, noticeText, homeSlug, tabSlug, navigationColors, navigationTitle, contactPhone, suspendedView }
