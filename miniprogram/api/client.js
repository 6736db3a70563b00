// @ts-check
/**
 * The client-API layer: GET {api_base}/{appid}/app, /version, /pages/{slug} and the draft
 * preview /preview/{slug}?token=…, over wx.request.
 *
 * - Every document is kept in storage with its ETag; a load hands the stored copy over at
 *   once (`onCached`) and then revalidates it with If-None-Match (304 keeps it).
 * - The suspended payload ({suspended: true, reason, name, message, contact}) is a state,
 *   not content; 404 is "not found"; a network failure, 429 or 5xx is transient: the stored
 *   copy with a quiet notice, or the retry state without one.
 * - /version is checked on onShow; a new content_version refetches the app config, and each
 *   page compares the version it shows with the client's to refetch itself.
 *
 * Pure: everything comes from the `wx`-like object handed to createClient, so tests drive it
 * with a mocked wx.request and storage.
 */

/**
 * @typedef {'network' | 'throttled' | 'server'} TransientReason
 *
 * @typedef {{type: 'content', body: any, source: 'cache' | 'network', offline?: TransientReason, preview?: boolean, notice?: Notice}} ContentResult
 * @typedef {{type: 'suspended', body: any, source: 'cache' | 'network', offline?: TransientReason}} SuspendedResult
 * @typedef {{type: 'not_found'}} NotFoundResult
 * @typedef {{type: 'offline', reason: TransientReason}} OfflineResult
 * @typedef {ContentResult | SuspendedResult | NotFoundResult | OfflineResult} LoadResult
 *
 * @typedef {'offline' | 'preview' | 'preview_expired' | 'preview_invalid'} Notice
 *
 * @typedef {{etag: string, body: any, saved_at: number}} StoredDoc
 *
 * @typedef {{ok: true, statusCode: number, data: any, etag: string} | {ok: false, errMsg: string}} HttpAnswer
 */

/** Version checks closer together than this reuse the last answer. */
const DEFAULT_VERSION_CHECK_MS = 10 * 1000
/** wx.request timeout. */
const REQUEST_TIMEOUT_MS = 10 * 1000

/**
 * A header of a wx.request answer, whatever its case.
 * @param {any} headers
 * @param {string} name
 * @returns {string}
 */
function header(headers, name) {
  if (!headers || typeof headers !== 'object') return ''
  const want = name.toLowerCase()
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === want) return String(headers[key])
  }
  return ''
}

/**
 * wx.request parses JSON answers; a body left as text (another content type) is parsed here.
 * @param {any} data
 * @returns {any}
 */
function parseBody(data) {
  if (typeof data !== 'string') return data
  if (data === '') return null
  try {
    return JSON.parse(data)
  } catch (err) {
    return null
  }
}

/**
 * Content or the suspended payload.
 * @param {any} body
 * @param {'cache' | 'network'} source
 * @returns {ContentResult | SuspendedResult}
 */
function classify(body, source) {
  if (body && typeof body === 'object' && body.suspended === true) {
    return { type: 'suspended', body, source }
  }
  return { type: 'content', body, source }
}

/**
 * @param {number} statusCode
 * @returns {TransientReason}
 */
function transientReason(statusCode) {
  return statusCode === 429 ? 'throttled' : 'server'
}

/**
 * @typedef {object} ClientOptions
 * @property {any} wx                           wx or a double: request, get/set/removeStorageSync
 * @property {{appid: string, apiBase: string}} config
 * @property {() => number} [now]
 * @property {number} [versionCheckMs]
 */

/**
 * @param {ClientOptions} options
 */
function createClient(options) {
  const { wx, config } = options
  const now = options.now || (() => Date.now())
  const versionCheckMs = options.versionCheckMs === undefined ? DEFAULT_VERSION_CHECK_MS : options.versionCheckMs
  const base = `${config.apiBase}/${encodeURIComponent(config.appid)}`
  const prefix = `wb:${config.appid}:`
  /** @type {Set<(app: any) => void>} */
  const appListeners = new Set()
  let lastVersionCheck = -Infinity

  /**
   * @param {string} path
   * @returns {StoredDoc | null}
   */
  function readStored(path) {
    try {
      const value = wx.getStorageSync(prefix + path)
      if (value && typeof value === 'object' && 'body' in value) return /** @type {StoredDoc} */ (value)
    } catch (err) {
      // storage unavailable: behave as if empty
    }
    return null
  }

  /**
   * @param {string} path
   * @param {string} etag
   * @param {any} body
   */
  function writeStored(path, etag, body) {
    try {
      wx.setStorageSync(prefix + path, { etag, body, saved_at: now() })
    } catch (err) {
      // storage full: the next start fetches again
    }
  }

  /** @param {string} path */
  function removeStored(path) {
    try {
      wx.removeStorageSync(prefix + path)
    } catch (err) {
      // nothing to do
    }
  }

  /**
   * One GET; resolves with the answer or the failure (never rejects).
   * @param {string} path
   * @param {{etag?: string, query?: Record<string, string>}} [opts]
   * @returns {Promise<HttpAnswer>}
   */
  function get(path, opts = {}) {
    /** @type {Record<string, string>} */
    const headers = {}
    if (opts.etag) headers['If-None-Match'] = opts.etag
    const query = opts.query
      ? Object.keys(opts.query)
          .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(/** @type {Record<string, string>} */ (opts.query)[k])}`)
          .join('&')
      : ''
    const url = `${base}/${path}${query ? `?${query}` : ''}`
    return new Promise((resolve) => {
      try {
        wx.request({
          url,
          method: 'GET',
          header: headers,
          dataType: 'json',
          timeout: REQUEST_TIMEOUT_MS,
          /** @param {any} res */
          success(res) {
            resolve({ ok: true, statusCode: res.statusCode, data: res.data, etag: header(res.header, 'ETag') })
          },
          /** @param {any} err */
          fail(err) {
            resolve({ ok: false, errMsg: (err && err.errMsg) || 'request:fail' })
          },
        })
      } catch (err) {
        resolve({ ok: false, errMsg: String(err) })
      }
    })
  }

  /** Loads in flight, by path: a second caller shares the first one's request. */
  /** @type {Map<string, Promise<LoadResult>>} */
  const inflight = new Map()

  /**
   * Loads a cached document: the stored copy at once through `onCached`, then the server's
   * answer to If-None-Match. Concurrent loads of one path share one request.
   * @param {string} path
   * @param {((result: ContentResult | SuspendedResult) => void) | undefined} onCached
   * @returns {Promise<LoadResult>}
   */
  function loadDoc(path, onCached) {
    const stored = readStored(path)
    if (stored && onCached) onCached(classify(stored.body, 'cache'))
    let pending = inflight.get(path)
    if (!pending) {
      pending = revalidate(path, stored)
      inflight.set(path, pending)
      pending.then(() => inflight.delete(path))
    }
    return pending
  }

  /**
   * @param {string} path
   * @param {StoredDoc | null} stored
   * @returns {Promise<LoadResult>}
   */
  async function revalidate(path, stored) {
    let answer = await get(path, { etag: stored ? stored.etag : '' })
    if (answer.ok && answer.statusCode === 304 && !stored) {
      // A 304 for a copy we no longer have (storage cleared meanwhile): ask plainly.
      answer = await get(path)
    }
    if (!answer.ok) {
      return stored ? { ...classify(stored.body, 'cache'), offline: 'network' } : { type: 'offline', reason: 'network' }
    }
    const { statusCode } = answer
    if (statusCode === 304 && stored) {
      return classify(stored.body, 'cache')
    }
    if (statusCode >= 200 && statusCode < 300) {
      const body = parseBody(answer.data)
      if (body === null || typeof body !== 'object') {
        // A broken answer (a proxy's HTML page): transient.
        return stored ? { ...classify(stored.body, 'cache'), offline: 'server' } : { type: 'offline', reason: 'server' }
      }
      writeStored(path, answer.etag, body)
      return classify(body, 'network')
    }
    if (statusCode === 404) {
      removeStored(path)
      return { type: 'not_found' }
    }
    const reason = transientReason(statusCode)
    return stored ? { ...classify(stored.body, 'cache'), offline: reason } : { type: 'offline', reason }
  }

  /** @param {any} app */
  function emitApp(app) {
    for (const listener of appListeners) {
      try {
        listener(app)
      } catch (err) {
        // a listener's fault is its own
      }
    }
  }

  /**
   * The app config: page list, tab bar, theme, name, content version.
   * @param {(result: ContentResult | SuspendedResult) => void} [onCached]
   * @returns {Promise<LoadResult>}
   */
  async function loadApp(onCached) {
    const result = await loadDoc('app', onCached)
    if (result.type === 'content' && result.source === 'network') emitApp(result.body)
    if (result.type === 'content') lastVersionCheck = Math.max(lastVersionCheck, now())
    return result
  }

  /**
   * The stored app config, if it is content (not the suspended payload).
   * @returns {any}
   */
  function cachedApp() {
    const stored = readStored('app')
    return stored && stored.body && stored.body.suspended !== true ? stored.body : null
  }

  /**
   * The content version of the stored app config (null before the first load).
   * @returns {number | null}
   */
  function contentVersion() {
    const app = cachedApp()
    return app && typeof app.content_version === 'number' ? app.content_version : null
  }

  /**
   * A published page by slug, or with `preview` the draft the token names (never cached).
   * A refused token (403 preview_token_expired / preview_token_invalid) falls back to the
   * published page with a notice.
   * @param {string} slug
   * @param {{preview?: string, onCached?: (result: ContentResult | SuspendedResult) => void}} [opts]
   * @returns {Promise<LoadResult>}
   */
  async function loadPage(slug, opts = {}) {
    const pagePath = `pages/${encodeURIComponent(slug)}`
    if (opts.preview) {
      const answer = await get(`preview/${encodeURIComponent(slug)}`, { query: { token: opts.preview } })
      if (answer.ok && answer.statusCode >= 200 && answer.statusCode < 300) {
        const body = parseBody(answer.data)
        if (body && typeof body === 'object') {
          const result = classify(body, 'network')
          if (result.type === 'content') return { ...result, preview: true, notice: 'preview' }
          return result
        }
      }
      if (answer.ok && answer.statusCode === 404) return { type: 'not_found' }
      /** @type {Notice | undefined} */
      let notice
      if (answer.ok && answer.statusCode === 403) {
        const body = parseBody(answer.data)
        notice = body && body.code === 'preview_token_invalid' ? 'preview_invalid' : 'preview_expired'
      }
      const published = await loadDoc(pagePath, opts.onCached)
      if (notice && published.type === 'content') return { ...published, notice }
      return published
    }
    const result = await loadDoc(pagePath, opts.onCached)
    if (result.type === 'content' && result.offline) return { ...result, notice: 'offline' }
    return result
  }

  /**
   * Asks /version whether content changed since the stored app config; when it did,
   * refetches the app config. Checks closer together than `versionCheckMs` are skipped.
   * @param {{force?: boolean}} [opts]
   * @returns {Promise<{changed: boolean, skipped?: boolean, offline?: boolean, content_version?: number}>}
   */
  async function checkVersion(opts = {}) {
    const t = now()
    if (!opts.force && t - lastVersionCheck < versionCheckMs) return { changed: false, skipped: true }
    lastVersionCheck = t
    const answer = await get('version')
    if (!answer.ok || answer.statusCode !== 200) return { changed: false, offline: true }
    const body = parseBody(answer.data)
    const version = body && typeof body.content_version === 'number' ? body.content_version : null
    if (version === null) return { changed: false, offline: true }
    if (version === contentVersion()) return { changed: false, content_version: version }
    await loadApp()
    return { changed: true, content_version: version }
  }

  /**
   * Called with every app config fetched from the network (the tab bar listens).
   * @param {(app: any) => void} listener
   * @returns {() => void} unsubscribe
   */
  function onAppChange(listener) {
    appListeners.add(listener)
    return () => {
      appListeners.delete(listener)
    }
  }

  return { loadApp, loadPage, checkVersion, cachedApp, contentVersion, onAppChange, readStored }
}

/** @typedef {ReturnType<typeof createClient>} Client */

module.exports = { createClient, classify, header, parseBody }
