// @ts-check
/**
 * The deploy's configuration: the `ext` object of the ext.json the deploy pipeline commits
 * (page-templates/app/ext.json.hbs), read with wx.getExtConfigSync(). Outside an ext build
 * (WeChat DevTools without an ext.json) it is empty and the dev fallback applies.
 */

/** @typedef {{appid: string, apiBase: string, webview: boolean, dev: boolean}} Config */

/** Used when the ext is empty: a local backend, as `cargo run` serves it. */
const DEV_FALLBACK = Object.freeze({
  appid: 'wxdevfallback00000',
  api_base: 'http://127.0.0.1:8080/client/v1',
})

/**
 * Reads the ext object. `api_base` already ends in `/client/v1` (a trailing slash is
 * dropped); `webview: true` says the agency configured business domains, so https links
 * open in a web-view.
 * @param {any} ext
 * @returns {Config}
 */
function readConfig(ext) {
  const e = ext && typeof ext === 'object' ? ext : {}
  const appid = typeof e.appid === 'string' ? e.appid.trim() : ''
  const apiBase = typeof e.api_base === 'string' ? e.api_base.trim().replace(/\/+$/, '') : ''
  if (!appid || !apiBase) {
    return {
      appid: DEV_FALLBACK.appid,
      apiBase: DEV_FALLBACK.api_base,
      webview: e.webview === true,
      dev: true,
    }
  }
  return { appid, apiBase, webview: e.webview === true, dev: false }
}

/**
 * The configuration of this run.
 * @param {{getExtConfigSync?: () => any}} wxLike
 * @returns {Config}
 */
function loadConfig(wxLike) {
  let ext = {}
  try {
    ext = (wxLike.getExtConfigSync && wxLike.getExtConfigSync()) || {}
  } catch (err) {
    ext = {}
  }
  return readConfig(ext)
}

module.exports = { readConfig, loadConfig, DEV_FALLBACK }
