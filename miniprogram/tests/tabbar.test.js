/**
 * The custom tab bar draws the merchant's tabs by index (labels, network icons, colours),
 * follows the selected tab page, switches tabs, and hides when the merchant has none.
 */
const { mount, $$, tap } = require('./helpers/sim')
const { installWx, ok } = require('./helpers/wx')
const fixtures = require('./helpers/fixtures')
const { attrsOf, elements } = require('./helpers/outline')
const { getClient, resetClient } = require('../api/index')

const ext = fixtures.rendered('ext.json').ext
const appTabs = fixtures.appWithTabs()
const appNoTabs = fixtures.appWithoutTabs()

let wx
beforeEach(() => {
  wx = installWx({ ext })
  resetClient()
})

async function store(app) {
  wx.route('app', ok(app, `"${app.content_version}"`))
  await getClient().loadApp()
}

/** What the bar shows, read from its rendered tree. */
function drawn(comp) {
  const items = elements(comp.toJSON()).filter((e) => attrsOf(e)['data-index'] !== undefined)
  return items.map((item) => {
    const els = elements(item)
    const img = els.find((e) => e.tagName === 'wx-image')
    const label = els.find((e) => e.tagName === 'wx-text')
    return {
      index: attrsOf(item)['data-index'],
      selected: attrsOf(item)['data-selected'],
      label: label.children.join(''),
      icon: img ? attrsOf(img).src : null,
      color: /color:\s*(#[0-9a-fA-F]{6})/.exec(attrsOf(label).style)[1],
    }
  })
}

test("shows the merchant's tabs in order, the first selected", async () => {
  await store(appTabs)
  const comp = mount('custom-tab-bar/index')
  const items = appTabs.tab_bar.items
  expect(drawn(comp)).toEqual(
    items.map((item, i) => ({
      index: i,
      selected: i === 0,
      label: item.label,
      icon: (i === 0 ? item.selected_icon || item.icon : item.icon) || null,
      color: i === 0 ? appTabs.tab_bar.selected_color : appTabs.tab_bar.color,
    }))
  )
})

test('follows the selected index the tab pages set, with the selected icon', async () => {
  await store(appTabs)
  const comp = mount('custom-tab-bar/index')
  comp.setData({ selected: 1 })
  const shown = drawn(comp)
  expect(shown.map((s) => s.selected)).toEqual(appTabs.tab_bar.items.map((_, i) => i === 1))
  const item = appTabs.tab_bar.items[1]
  expect(shown[1].icon).toBe(item.selected_icon || item.icon || null)
  expect(shown[1].color).toBe(appTabs.tab_bar.selected_color)
  expect(shown[0].icon).toBe(appTabs.tab_bar.items[0].icon || null)
})

test('a tap switches to the tab page of that index', async () => {
  await store(appTabs)
  const comp = mount('custom-tab-bar/index')
  const last = appTabs.tab_bar.items.length - 1
  await tap($$(comp, `[data-index="${last}"]`)[0])
  expect(wx.switchTab).toHaveBeenCalledWith({ url: `/pages/tab${last}/tab${last}` })
})

test('hidden when the merchant has no tabs', async () => {
  await store(appNoTabs)
  const comp = mount('custom-tab-bar/index')
  expect(elements(comp.toJSON())).toHaveLength(1) // its host only
  expect($$(comp, '[data-tab-bar]')).toHaveLength(0)
  expect(comp.dom.textContent).toBe('')
})

test('hidden before any app config is known, shown when one arrives', async () => {
  const comp = mount('custom-tab-bar/index')
  expect($$(comp, '[data-tab-bar]')).toHaveLength(0)
  await store(appTabs)
  expect($$(comp, '[data-tab-bar]')).toHaveLength(1)
  expect(drawn(comp).map((d) => d.label)).toEqual(appTabs.tab_bar.items.map((i) => i.label))
  await store({ ...appNoTabs, content_version: appTabs.content_version + 1 })
  expect($$(comp, '[data-tab-bar]')).toHaveLength(0)
})

test('stops listening when detached', async () => {
  await store(appNoTabs)
  const comp = mount('custom-tab-bar/index')
  comp.detach()
  await store(appTabs)
  expect(comp.data.visible).toBe(false)
})
