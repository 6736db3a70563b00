// @ts-check
/**
 * An https address in a web-view (links open here only when the agency configured business
 * domains: ext `webview: true`). Anything but https is refused.
 */

/**
 * @param {unknown} raw
 * @returns {string}
 */
function safeUrl(raw) {
  if (typeof raw !== 'string') return ''
  let url = raw
  try {
    url = decodeURIComponent(raw)
  } catch (err) {
    url = raw
  }
  return /^https:\/\/[^\s]+$/i.test(url) ? url : ''
}

Component({
  data: { url: '' },
  methods: {
    /** @param {Record<string, string | undefined>} query */
    onLoad(query) {
      this.setData({ url: safeUrl(query && query.url) })
    },
    onShareAppMessage() {
      return { title: '', path: `/pages/webview/webview?url=${encodeURIComponent(this.data.url)}` }
    },
  },
})

module.exports = { safeUrl }
