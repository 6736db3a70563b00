// @ts-check
/**
 * What every page of the template shares (pages are built with Component(), so they load in
 * the test simulator like components): load the app config and the page, show a stored copy
 * at once and the server's answer after, the states (loading, content, suspended, not found,
 * offline), the theme's navigation bar, pull-down refresh, version check on show, sharing.
 *
 * A page says which slug it shows through its data: `tabIndex` (a fixed tab page: the slug
 * of that tab in the app config), `home` (the home page: "home" or the first page, or a
 * `slug` in its query), else the `slug` query. A `preview` query fetches that draft.
 */
const { getClient } = require('../api/index')
const { homeSlug, tabSlug, navigationColors, navigationTitle, noticeText, suspendedView } = require('./present')
const { tabSlugs } = require('./links')
const { colour } = require('./style')

/**
 * Per-instance bookkeeping kept off the rendered data.
 * @typedef {{query: Record<string, string>, seq: number, loaded: boolean, shownVersion: number | null, slug: string | null}} Internal
 * @type {WeakMap<object, Internal>}
 */
const internals = new WeakMap()

/**
 * @param {object} self
 * @returns {Internal}
 */
function internal(self) {
  let state = internals.get(self)
  if (!state) {
    state = { query: {}, seq: 0, loaded: false, shownVersion: null, slug: null }
    internals.set(self, state)
  }
  return state
}

/**
 * @param {string | undefined} value
 * @returns {string}
 */
function decodeParam(value) {
  if (typeof value !== 'string') return ''
  try {
    return decodeURIComponent(value)
  } catch (err) {
    return value
  }
}

const pageBehavior = Behavior({
  data: {
    /** loading | content | suspended | not_found | offline */
    status: 'loading',
    title: '',
    blocks: /** @type {any[]} */ ([]),
    notice: '',
    noticeText: '',
    suspended: /** @type {ReturnType<typeof suspendedView> | null} */ (null),
    background: '',
    tabbed: false,
    /** >= 0 on the fixed tab pages */
    tabIndex: -1,
    /** true on pages/index/index */
    home: false,
  },
  methods: {
    /** @param {Record<string, string | undefined>} [query] */
    onLoad(query) {
      /** @type {Record<string, string>} */
      const q = {}
      for (const key of Object.keys(query || {})) q[key] = decodeParam((query || {})[key])
      internal(this).query = q
      return this.load()
    },

    onShow() {
      this.syncTabBar()
      return this.checkForUpdates()
    },

    onPullDownRefresh() {
      return this.load().then(() => {
        wx.stopPullDownRefresh()
      })
    },

    onShareAppMessage() {
      return { title: this.data.title, path: this.sharePath() }
    },

    onShareTimeline() {
      const path = this.sharePath()
      const q = path.indexOf('?')
      return { title: this.data.title, query: q < 0 ? '' : path.slice(q + 1) }
    },

    /** The retry screen's button. */
    onRetry() {
      this.setData({ status: 'loading' })
      return this.load()
    },

    /** The not-found screen's button. */
    onHome() {
      wx.reLaunch({ url: '/pages/index/index' })
    },

    /**
     * The slug this page shows with this app config (null: none).
     * @param {any} app
     * @returns {string | null}
     */
    slugFor(app) {
      const { query } = internal(this)
      if (this.data.tabIndex >= 0) return app ? tabSlug(app, this.data.tabIndex) : null
      if (query.slug) return query.slug
      if (this.data.home) return app ? homeSlug(app) : null
      return null
    },

    /** The path a share opens: this page's slug, never a preview token. */
    sharePath() {
      const { query, slug } = internal(this)
      if (this.data.tabIndex >= 0) return `/pages/tab${this.data.tabIndex}/tab${this.data.tabIndex}`
      if (this.data.home && !query.slug) return '/pages/index/index'
      const shown = slug || query.slug || ''
      return `/pages/page/page?slug=${encodeURIComponent(shown)}`
    },

    /**
     * Loads (or reloads) the app config and the page. Resolves when the server answered.
     * @returns {Promise<void>}
     */
    async load() {
      const self = internal(this)
      const seq = ++self.seq
      const client = getClient()
      const cachedApp = client.cachedApp()
      if (cachedApp) this.applyApp(cachedApp)
      /** @param {import('../api/client').LoadResult} result */
      const show = (result) => {
        if (seq === self.seq) this.showResult(result)
      }
      /** @param {string} slug */
      const fetchPage = (slug) => client.loadPage(slug, { preview: self.query.preview, onCached: show })

      let slug = this.slugFor(cachedApp)
      let pending = slug ? fetchPage(slug) : null
      const appResult = await client.loadApp()
      if (seq !== self.seq) return
      if (appResult.type === 'suspended') {
        this.showResult(appResult)
        return this.finish()
      }
      if (appResult.type === 'not_found') {
        this.showResult(appResult)
        return this.finish()
      }
      const app = appResult.type === 'content' ? appResult.body : cachedApp
      if (app) this.applyApp(app)
      else if (!pending) {
        this.showResult(appResult)
        return this.finish()
      }
      const wanted = this.slugFor(app)
      if (!wanted) {
        this.showResult({ type: 'not_found' })
        return this.finish()
      }
      if (wanted !== slug || !pending) {
        slug = wanted
        pending = fetchPage(slug)
      }
      self.slug = slug
      const result = await pending
      if (seq !== self.seq) return
      this.showResult(result)
      this.afterLoad(app, slug)
      return this.finish()
    },

    /** @returns {void} */
    finish() {
      internal(this).loaded = true
    },

    /**
     * Hook for pages (the home page switches to the tab showing its slug).
     * @param {any} app
     * @param {string} slug
     */
    afterLoad(app, slug) {
      void app
      void slug
    },

    /**
     * The theme: page background, and whether the tab bar is shown under this page.
     * @param {any} app
     */
    applyApp(app) {
      const background = colour(app && app.theme && app.theme.background_color) || ''
      const tabbed = this.data.tabIndex >= 0 && tabSlugs(app).length > 0
      if (background !== this.data.background || tabbed !== this.data.tabbed) this.setData({ background, tabbed })
    },

    /** @param {import('../api/client').LoadResult} result */
    showResult(result) {
      const client = getClient()
      switch (result.type) {
        case 'content': {
          const page = result.body || {}
          const title = typeof page.title === 'string' ? page.title : ''
          const notice = result.notice || (result.offline ? 'offline' : '')
          this.setData({
            status: 'content',
            title,
            blocks: Array.isArray(page.components) ? page.components : [],
            notice,
            noticeText: noticeText(notice),
            suspended: null,
          })
          internal(this).shownVersion = client.contentVersion()
          const bar = navigationTitle(page)
          if (bar) wx.setNavigationBarTitle({ title: bar })
          const colors = navigationColors(client.cachedApp(), page)
          if (colors) wx.setNavigationBarColor({ ...colors, animation: { duration: 0, timingFunc: 'linear' } })
          break
        }
        case 'suspended': {
          const view = suspendedView(result.body)
          this.setData({ status: 'suspended', suspended: view, blocks: [], notice: '', noticeText: '', title: view.name })
          if (view.name) wx.setNavigationBarTitle({ title: view.name })
          break
        }
        case 'not_found':
          this.setData({ status: 'not_found', blocks: [], notice: '', noticeText: '', suspended: null })
          break
        case 'offline':
        default:
          // Without a stored copy: the retry screen. (With one, the client answered content.)
          if (this.data.status !== 'content') this.setData({ status: 'offline', blocks: [], suspended: null })
          else this.setData({ notice: 'offline', noticeText: noticeText('offline') })
          break
      }
    },

    /** Tab pages: the custom tab bar highlights this tab. */
    syncTabBar() {
      if (this.data.tabIndex < 0) return
      const page = /** @type {any} */ (this)
      const bar = typeof page.getTabBar === 'function' ? page.getTabBar() : null
      if (bar) bar.setData({ selected: this.data.tabIndex })
    },

    /**
     * onShow: asks /version; a new content version (found here or by another page) reloads.
     * @returns {Promise<void>}
     */
    async checkForUpdates() {
      const self = internal(this)
      if (!self.loaded) return
      const client = getClient()
      const check = await client.checkVersion()
      const current = client.contentVersion()
      if (check.changed || (current !== null && self.shownVersion !== null && current !== self.shownVersion)) {
        await this.load()
      }
    },
  },
})

module.exports = { pageBehavior }
