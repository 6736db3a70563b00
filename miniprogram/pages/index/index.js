// @ts-check
/**
 * The home page (the deploy's trial QR code and audit item open it): the merchant's "home"
 * page, else their first page; `?slug=` shows another (a preview QR code may carry one).
 * When the home slug is one of the merchant's tabs, it switches to that tab so the tab bar
 * shows.
 */
const { pageBehavior } = require('../../lib/page-behavior')
const { tabSlugs, tabPagePath } = require('../../lib/links')

Component({
  behaviors: [pageBehavior],
  data: { home: true },
  methods: {
    /**
     * @param {any} app
     * @param {string} slug
     */
    afterLoad(app, slug) {
      if (this.data.status !== 'content' || this.data.notice) return
      const tab = tabSlugs(app).indexOf(slug)
      if (tab >= 0) wx.switchTab({ url: tabPagePath(tab) })
    },
  },
})
