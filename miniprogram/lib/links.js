// @ts-check
/**
 * Links in page JSON are strings:
 *   pages/<slug>[?query]           a page of this mini-program (a tab's slug → its tab page)
 *   https://…                      a web address (web-view when business domains are set up)
 *   tel:<number>                   a phone call
 *   geo:<lat>,<lng>[?name=…]       a map point
 *   miniprogram:<appid>[/<path>]   another mini-program
 * Anything else does nothing (an older template never breaks on a newer page).
 */

/** @typedef {{kind: 'page'|'url'|'phone'|'map'|'miniprogram', target: string}} LinkKind */

/**
 * What a link is, as the fixtures' outline spells it: the kind and what follows its
 * prefix (`pages/`, `tel:`, `geo:`, `miniprogram:`; a web address whole).
 * @param {unknown} link
 * @returns {LinkKind | null}
 */
function linkKind(link) {
  if (typeof link !== 'string' || link === '') return null
  if (link.startsWith('pages/') && link.length > 'pages/'.length) {
    return { kind: 'page', target: link.slice('pages/'.length) }
  }
  if (/^https:\/\/[^\s]+$/i.test(link)) return { kind: 'url', target: link }
  if (/^tel:./i.test(link)) return { kind: 'phone', target: link.slice(4) }
  if (/^geo:./i.test(link)) return { kind: 'map', target: link.slice(4) }
  if (/^miniprogram:./i.test(link)) return { kind: 'miniprogram', target: link.slice('miniprogram:'.length) }
  return null
}

/**
 * @param {string} s
 * @returns {string}
 */
function decode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch (err) {
    return s
  }
}

/**
 * `a=1&b=2` → {a: '1', b: '2'} (decoded).
 * @param {string} query
 * @returns {Record<string, string>}
 */
function parseQuery(query) {
  /** @type {Record<string, string>} */
  const out = {}
  for (const part of query.split('&')) {
    if (!part) continue
    const eq = part.indexOf('=')
    const key = decode(eq < 0 ? part : part.slice(0, eq))
    if (key) out[key] = eq < 0 ? '' : decode(part.slice(eq + 1))
  }
  return out
}

/**
 * A page target `slug[?query]` split.
 * @param {string} target
 * @returns {{slug: string, query: string}}
 */
function splitPageTarget(target) {
  const q = target.indexOf('?')
  return q < 0 ? { slug: target, query: '' } : { slug: target.slice(0, q), query: target.slice(q + 1) }
}

/**
 * A map target `lat,lng[?name=…&address=…]` parsed; null when the numbers are not numbers.
 * @param {string} target
 * @returns {{latitude: number, longitude: number, name?: string, address?: string} | null}
 */
function parseGeo(target) {
  const q = target.indexOf('?')
  const coords = (q < 0 ? target : target.slice(0, q)).split(',')
  if (coords.length !== 2) return null
  const latitude = Number(coords[0])
  const longitude = Number(coords[1])
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null
  /** @type {{latitude: number, longitude: number, name?: string, address?: string}} */
  const out = { latitude, longitude }
  const params = q < 0 ? {} : parseQuery(target.slice(q + 1))
  if (params.name) out.name = params.name
  if (params.address) out.address = params.address
  return out
}

/**
 * The app page that shows a tab's slug (WeChat needs tab paths declared in app.json).
 * @param {number} index
 */
function tabPagePath(index) {
  return `/pages/tab${index}/tab${index}`
}

/** Most pages WeChat keeps on its stack. */
const MAX_PAGE_DEPTH = 10

/**
 * @typedef {object} LinkContext
 * @property {any} wx               the wx object (or a test double)
 * @property {string[]} tabSlugs    the slugs of the merchant's tabs, by index
 * @property {boolean} webview      business domains configured: https opens in a web-view
 * @property {number} [pageDepth]   pages on the stack (getCurrentPages().length)
 */

/**
 * Follows a link. Returns the kind followed, or null when the link is none we know.
 * @param {unknown} link
 * @param {LinkContext} ctx
 * @returns {LinkKind['kind'] | null}
 */
function openLink(link, ctx) {
  const kind = linkKind(link)
  if (!kind) return null
  const { wx } = ctx
  switch (kind.kind) {
    case 'page': {
      const { slug, query } = splitPageTarget(kind.target)
      const tab = ctx.tabSlugs.indexOf(slug)
      if (tab >= 0) {
        // switchTab carries no query: a tab shows its page as published.
        wx.switchTab({ url: tabPagePath(tab) })
      } else {
        const url = `/pages/page/page?slug=${encodeURIComponent(slug)}${query ? `&${query}` : ''}`
        if ((ctx.pageDepth || 0) >= MAX_PAGE_DEPTH) wx.redirectTo({ url })
        else wx.navigateTo({ url })
      }
      return 'page'
    }
    case 'url':
      if (ctx.webview) {
        wx.navigateTo({ url: `/pages/webview/webview?url=${encodeURIComponent(kind.target)}` })
      } else {
        // No business domain: show the address (the clipboard is on WeChat's privacy list).
        wx.showModal({ title: '外部链接', content: kind.target, showCancel: false, confirmText: '知道了' })
      }
      return 'url'
    case 'phone':
      wx.makePhoneCall({ phoneNumber: kind.target })
      return 'phone'
    case 'map': {
      const geo = parseGeo(kind.target)
      if (!geo) return null
      wx.openLocation({ scale: 16, ...geo })
      return 'map'
    }
    case 'miniprogram': {
      const slash = kind.target.indexOf('/')
      const appId = slash < 0 ? kind.target : kind.target.slice(0, slash)
      const path = slash < 0 ? '' : kind.target.slice(slash + 1)
      /** @type {{appId: string, path?: string}} */
      const opts = { appId }
      if (path) opts.path = path
      wx.navigateToMiniProgram(opts)
      return 'miniprogram'
    }
    default:
      return null
  }
}

/**
 * The slugs of an app config's tabs, by index ([] without a tab bar).
 * @param {any} app
 * @returns {string[]}
 */
function tabSlugs(app) {
  const items = app && app.tab_bar && Array.isArray(app.tab_bar.items) ? app.tab_bar.items : []
  return items.map((/** @type {any} */ item) => {
    const route = item && typeof item.route === 'string' ? item.route : ''
    return route.startsWith('pages/') ? route.slice('pages/'.length) : route
  })
}

module.exports = { linkKind, openLink, parseQuery, parseGeo, splitPageTarget, tabSlugs, tabPagePath, MAX_PAGE_DEPTH }
