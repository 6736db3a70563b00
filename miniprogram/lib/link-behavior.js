// @ts-check
/**
 * Taps shared by the catalogue components: follow a `data-link`, or preview the gallery the
 * tapped image belongs to.
 */
const { openLink, tabSlugs } = require('./links')
const { getClient, getConfig } = require('../api/index')

/**
 * The context a link is followed in: the merchant's tabs, business domains, stack depth.
 * @returns {import('./links').LinkContext}
 */
function linkContext() {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  return {
    wx,
    tabSlugs: tabSlugs(getClient().cachedApp()),
    webview: getConfig().webview,
    pageDepth: pages.length,
  }
}

/**
 * Follows a link in the running app.
 * @param {unknown} link
 */
function follow(link) {
  return openLink(link, linkContext())
}

/**
 * Shows images full screen.
 * @param {string[]} urls
 * @param {string} current
 */
function preview(urls, current) {
  const list = urls.filter((u) => typeof u === 'string' && u !== '')
  if (list.length === 0) return
  wx.previewImage({ urls: list, current: current || list[0] })
}

const linkBehavior = Behavior({
  methods: {
    /**
     * bindtap on an element with data-link.
     * @param {WechatMiniprogram.BaseEvent} e
     */
    onLinkTap(e) {
      follow(e.currentTarget.dataset.link)
    },
  },
})

module.exports = { linkBehavior, follow, preview, linkContext }
