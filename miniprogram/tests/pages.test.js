/**
 * The pages in the simulator with a mocked wx: what each state shows and what its buttons
 * do, the theme's navigation bar, tab pages by index, the home page, draft preview, pull-
 * down refresh, the version check on show, sharing.
 */
const { mount } = require('./helpers/sim')
const { installWx, ok, settle } = require('./helpers/wx')
const fixtures = require('./helpers/fixtures')
const { blocks } = require('./helpers/outline')
const { resetClient } = require('../api/index')

const ext = fixtures.rendered('ext.json').ext
const appTabs = fixtures.appWithTabs()
const appNoTabs = fixtures.appWithoutTabs()
const suspended = fixtures.rendered('suspended.json')
const page = fixtures.rendered(fixtures.pageNames()[0])
const pageOutline = fixtures.outline(fixtures.pageNames()[0])

let wx
afterEach(() => {
  jest.restoreAllMocks()
})
beforeEach(() => {
  wx = installWx({ ext })
  resetClient()
})

const shellOf = (comp) => comp.querySelector('#shell')
const textOf = (comp) => shellOf(comp).dom.textContent
const requested = () => wx.__requests.map((r) => r.url.replace(/^.*\/client\/v1\/[^/]+\//, ''))

/** Mounts a page and runs onLoad (resolves when the network answered). */
async function open(rel, query = {}) {
  const comp = mount(rel)
  await comp.instance.onLoad(query)
  return comp
}

describe('the generic page', () => {
  test('shows loading, then the page with the theme and page navigation bar', async () => {
    wx.route('app', ok(appTabs, '"a"'))
    wx.route(`pages/${page.slug}`, ok(page, '"p"'))
    const comp = mount('pages/page/page')
    const loading = comp.instance.onLoad({ slug: page.slug })
    expect(comp.data.status).toBe('loading')
    expect(textOf(comp)).toContain('加载中')
    await loading
    expect(comp.data.status).toBe('content')
    expect(blocks(comp.toJSON())).toEqual(pageOutline.blocks)
    const bar = page.navigation_bar || {}
    expect(wx.setNavigationBarTitle).toHaveBeenLastCalledWith({ title: bar.title || page.title })
    const themeBar = appTabs.theme.navigation_bar
    expect(wx.setNavigationBarColor).toHaveBeenLastCalledWith(
      expect.objectContaining({
        frontColor: (bar.text_style || themeBar.text_style) === 'white' ? '#ffffff' : '#000000',
        backgroundColor: bar.background_color || themeBar.background_color,
      })
    )
    expect(shellOf(comp).querySelector('.shell').dom.getAttribute('style')).toContain(appTabs.theme.background_color)
  })

  test('the app config and the page are fetched together, by the slug in the query', async () => {
    wx.route('app', ok(appNoTabs))
    wx.route('pages/about', ok({ ...page, slug: 'about', title: '关于' }))
    const comp = await open('pages/page/page', { slug: 'about' })
    expect(requested().sort()).toEqual(['app', 'pages/about'])
    expect(comp.data.title).toBe('关于')
  })

  test('suspended: the message in zh-CN and a button that calls the contact', async () => {
    const payload = { ...suspended, contact: '客服电话 400-800-1234（工作日）' }
    wx.route('app', ok(payload))
    wx.route('pages/home', ok(payload))
    const comp = await open('pages/page/page', { slug: 'home' })
    expect(comp.data.status).toBe('suspended')
    const text = textOf(comp)
    expect(text).toContain(suspended.message['zh-CN'])
    expect(text).not.toContain(suspended.message.en)
    expect(text).toContain(suspended.name)
    expect(text).toContain(payload.contact)
    const call = shellOf(comp).querySelector('.state__button--call')
    expect(call).toBeTruthy()
    call.dispatchEvent('tap') // the simulator delivers events asynchronously
    await settle()
    expect(wx.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '400-800-1234' })
    expect(blocks(comp.toJSON())).toEqual([])
  })

  test('the suspended fixture itself shows its message', async () => {
    expect(suspended.suspended).toBe(true)
    wx.route('app', ok(suspended))
    const comp = await open('pages/index/index')
    expect(comp.data.status).toBe('suspended')
    expect(textOf(comp)).toContain(suspended.message['zh-CN'])
  })

  test('suspended without a phone in the contact: no call button', async () => {
    wx.route('app', ok({ ...suspended, contact: '' }))
    const comp = await open('pages/page/page', { slug: 'home' })
    expect(comp.data.status).toBe('suspended')
    expect(shellOf(comp).querySelector('.state__button--call')).toBeFalsy()
  })

  test('not found: says so, and the button goes home', async () => {
    wx.route('app', ok(appNoTabs))
    const comp = await open('pages/page/page', { slug: 'nope' })
    expect(comp.data.status).toBe('not_found')
    expect(textOf(comp)).toContain('页面不存在')
    shellOf(comp).querySelector('.state__button--home').dispatchEvent('tap')
    await settle()
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('offline with nothing stored: the retry screen; retry loads the page', async () => {
    wx.setOffline(true)
    const comp = await open('pages/page/page', { slug: page.slug })
    expect(comp.data.status).toBe('offline')
    expect(textOf(comp)).toContain('重试')
    wx.setOffline(false)
    wx.route('app', ok(appNoTabs))
    wx.route(`pages/${page.slug}`, ok(page))
    shellOf(comp).querySelector('.state__button--retry').dispatchEvent('tap')
    await settle()
    expect(comp.data.status).toBe('content')
    expect(blocks(comp.toJSON())).toEqual(pageOutline.blocks)
  })

  test('offline with a stored copy: the stored page and a quiet notice', async () => {
    wx.route('app', ok(appNoTabs, '"a"'))
    wx.route(`pages/${page.slug}`, ok(page, '"p"'))
    await open('pages/page/page', { slug: page.slug })
    resetClient()
    wx.setOffline(true)
    const comp = await open('pages/page/page', { slug: page.slug })
    expect(comp.data.status).toBe('content')
    expect(comp.data.notice).toBe('offline')
    expect(textOf(comp)).toContain('网络不可用')
    expect(blocks(comp.toJSON())).toEqual(pageOutline.blocks)
  })

  test('429 with nothing stored is the retry screen too', async () => {
    wx.route('app', { statusCode: 429, data: { code: 'too_many_attempts' } })
    wx.route(`pages/${page.slug}`, { statusCode: 429, data: { code: 'too_many_attempts' } })
    const comp = await open('pages/page/page', { slug: page.slug })
    expect(comp.data.status).toBe('offline')
  })

  test('pull-down refresh refetches and stops the spinner', async () => {
    wx.route('app', ok(appNoTabs, '"a"'))
    wx.route(`pages/${page.slug}`, ok(page, '"p"'))
    const comp = await open('pages/page/page', { slug: page.slug })
    wx.route(`pages/${page.slug}`, ok({ ...page, title: '新标题' }, '"p2"'))
    const before = wx.__requests.length
    await comp.instance.onPullDownRefresh()
    const refetch = wx.__requests.slice(before)
    expect(refetch.map((r) => r.header['If-None-Match']).sort()).toEqual(['"a"', '"p"'])
    expect(comp.data.title).toBe('新标题')
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('on show, a bumped content version reloads the page', async () => {
    wx.route('app', ok(appNoTabs, '"a"'))
    wx.route(`pages/${page.slug}`, ok(page, '"p"'))
    const comp = await open('pages/page/page', { slug: page.slug })
    wx.route('version', ok({ content_version: appNoTabs.content_version }))
    // Past the interval in which the app config just fetched counts as checked.
    const later = Date.now() + 60 * 1000
    jest.spyOn(Date, 'now').mockImplementation(() => later)
    await comp.instance.onShow()
    expect(requested()).toContain('version')
    expect(requested().filter((p) => p.startsWith('pages/'))).toHaveLength(1)
    wx.route('version', ok({ content_version: appNoTabs.content_version + 1 }))
    wx.route('app', ok({ ...appNoTabs, content_version: appNoTabs.content_version + 1 }, '"a2"'))
    wx.route(`pages/${page.slug}`, ok({ ...page, title: '更新后' }, '"p2"'))
    jest.spyOn(Date, 'now').mockImplementation(() => later + 60 * 1000)
    await comp.instance.onShow()
    expect(comp.data.title).toBe('更新后')
    expect(requested().filter((p) => p.startsWith('pages/'))).toHaveLength(2)
  })

  test('shares with its title and its slug', async () => {
    wx.route('app', ok(appNoTabs))
    wx.route('preview/about?token=secret', { statusCode: 403, data: { code: 'preview_token_expired' } })
    wx.route('pages/about', ok({ ...page, slug: 'about', title: '关于我们' }))
    const comp = await open('pages/page/page', { slug: 'about', preview: 'secret' })
    // Never the preview token: a share opens the published page.
    expect(comp.instance.onShareAppMessage()).toEqual({ title: '关于我们', path: '/pages/page/page?slug=about' })
  })
})

describe('draft preview', () => {
  test('?preview=<token> shows the draft, marked as a preview', async () => {
    wx.route('app', ok(appNoTabs))
    wx.route('preview/about?token=tok123', ok({ ...page, slug: 'about', title: '草稿标题' }))
    const comp = await open('pages/page/page', { slug: 'about', preview: 'tok123' })
    expect(comp.data.title).toBe('草稿标题')
    expect(comp.data.notice).toBe('preview')
    expect(textOf(comp)).toContain('草稿预览')
    expect(requested()).not.toContain('pages/about')
  })

  test('an expired token shows the published page and says the preview expired', async () => {
    wx.route('app', ok(appNoTabs))
    wx.route('preview/about?token=old', { statusCode: 403, data: { code: 'preview_token_expired', message: '' } })
    wx.route('pages/about', ok({ ...page, slug: 'about', title: '已发布' }))
    const comp = await open('pages/page/page', { slug: 'about', preview: 'old' })
    expect(comp.data.status).toBe('content')
    expect(comp.data.title).toBe('已发布')
    expect(comp.data.notice).toBe('preview_expired')
    expect(textOf(comp)).toContain('预览链接已过期')
  })
})

describe('tab pages', () => {
  const slugOf = (item) => item.route.replace(/^pages\//, '')

  test.each(appTabs.tab_bar.items.map((_, i) => i))('tab %i shows the slug of the merchant tab at its index', async (i) => {
    const slug = slugOf(appTabs.tab_bar.items[i])
    wx.route('app', ok(appTabs))
    wx.route(`pages/${slug}`, ok({ ...page, slug, title: `tab-${slug}` }))
    const comp = await open(`pages/tab${i}/tab${i}`)
    expect(comp.data.status).toBe('content')
    expect(comp.data.title).toBe(`tab-${slug}`)
    expect(requested()).toContain(`pages/${slug}`)
    expect(comp.data.tabbed).toBe(true)
    expect(comp.instance.onShareAppMessage().path).toBe(`/pages/tab${i}/tab${i}`)
  })

  test('a tab index the merchant does not have is not found', async () => {
    wx.route('app', ok({ ...appTabs, tab_bar: { ...appTabs.tab_bar, items: appTabs.tab_bar.items.slice(0, 2) } }))
    const comp = await open('pages/tab2/tab2')
    expect(comp.data.status).toBe('not_found')
  })

  test('without a tab bar, a tab page is not found and reserves no space for the bar', async () => {
    wx.route('app', ok(appNoTabs))
    const comp = await open('pages/tab0/tab0')
    expect(comp.data.status).toBe('not_found')
    expect(comp.data.tabbed).toBe(false)
  })

  test('on show, the tab page selects its index in the custom tab bar', async () => {
    wx.route('app', ok(appTabs))
    wx.route('version', ok({ content_version: appTabs.content_version }))
    const comp = mount('pages/tab2/tab2')
    const bar = { setData: jest.fn() }
    comp.instance.getTabBar = () => bar
    await comp.instance.onShow()
    expect(bar.setData).toHaveBeenCalledWith({ selected: 2 })
  })
})

describe('the home page', () => {
  test('shows "home" and, when home is a tab, switches to that tab', async () => {
    const [first, second] = appTabs.tab_bar.items
    const app = {
      ...appTabs,
      pages: [{ slug: 'about', route: 'pages/about', title: '关于', version: 1, etag: 'e1' }, { slug: 'home', route: 'pages/home', title: '首页', version: 1, etag: 'e2' }],
      tab_bar: { ...appTabs.tab_bar, items: [{ ...first, route: 'pages/about' }, { ...second, route: 'pages/home' }] },
    }
    wx.route('app', ok(app))
    wx.route('pages/home', ok({ ...page, slug: 'home', title: '首页' }))
    const comp = await open('pages/index/index')
    expect(comp.data.title).toBe('首页')
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/tab1/tab1' })
    expect(comp.instance.onShareAppMessage()).toEqual({ title: '首页', path: '/pages/index/index' })
  })

  test('without tabs it stays; without a "home" page it shows the first page', async () => {
    const pages = [{ slug: 'menu', route: 'pages/menu', title: '菜单', version: 2, etag: 'e3' }, { slug: 'zz', route: 'pages/zz', title: 'zz', version: 1, etag: 'e4' }]
    wx.route('app', ok({ ...appNoTabs, pages }))
    wx.route(`pages/${pages[0].slug}`, ok({ ...page, slug: pages[0].slug, title: 'first' }))
    const comp = await open('pages/index/index')
    expect(comp.data.title).toBe('first')
    expect(wx.switchTab).not.toHaveBeenCalled()
  })

  test('with no pages at all, not found', async () => {
    wx.route('app', ok({ ...appNoTabs, pages: [] }))
    const comp = await open('pages/index/index')
    expect(comp.data.status).toBe('not_found')
  })
})

describe('the web-view page', () => {
  test('opens https addresses only', () => {
    const comp = mount('pages/webview/webview')
    comp.instance.onLoad({ url: encodeURIComponent('https://example.com/a?b=1') })
    expect(comp.data.url).toBe('https://example.com/a?b=1')
    comp.instance.onLoad({ url: encodeURIComponent('javascript:alert(1)') })
    expect(comp.data.url).toBe('')
    comp.instance.onLoad({ url: 'http://example.com' })
    expect(comp.data.url).toBe('')
  })
})
