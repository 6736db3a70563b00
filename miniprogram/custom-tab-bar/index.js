// @ts-check
/**
 * WeChat's custom tab bar: the merchant's tabs (0 or 2–5) from the app config, with their
 * labels and network icons; hidden when the merchant has none. The tab pages set `selected`
 * on show. A tab change is data: it never needs a new version of this code.
 */
const { getClient } = require('../api/index')
const { colour } = require('../lib/style')
const { tabPagePath } = require('../lib/links')

const MAX_TABS = 5

/**
 * What the bar draws for an app config.
 * @param {any} app
 */
function barView(app) {
  const bar = app && app.tab_bar
  const items = bar && Array.isArray(bar.items) ? bar.items.slice(0, MAX_TABS) : []
  return {
    visible: items.length > 0,
    color: colour(bar && bar.color) || '#7A7E83',
    selectedColor: colour(bar && bar.selected_color) || '#07C160',
    items: items.map((/** @type {any} */ item, /** @type {number} */ index) => ({
      index,
      label: item && typeof item.label === 'string' ? item.label : '',
      icon: item && typeof item.icon === 'string' ? item.icon : '',
      selectedIcon: item && typeof item.selected_icon === 'string' ? item.selected_icon : '',
    })),
  }
}

/** @type {WeakMap<object, () => void>} */
const unsubscribers = new WeakMap()

Component({
  data: {
    selected: 0,
    visible: false,
    color: '#7A7E83',
    selectedColor: '#07C160',
    items: /** @type {ReturnType<typeof barView>['items']} */ ([]),
  },
  lifetimes: {
    attached() {
      const client = getClient()
      this.setData(barView(client.cachedApp()))
      unsubscribers.set(
        this,
        client.onAppChange((app) => this.setData(barView(app)))
      )
    },
    detached() {
      const off = unsubscribers.get(this)
      if (off) off()
      unsubscribers.delete(this)
    },
  },
  methods: {
    /** @param {WechatMiniprogram.BaseEvent} e */
    onTabTap(e) {
      const index = Number(e.currentTarget.dataset.index)
      if (!(index >= 0 && index < this.data.items.length)) return
      wx.switchTab({ url: tabPagePath(index) })
    },
  },
})

module.exports = { barView }
