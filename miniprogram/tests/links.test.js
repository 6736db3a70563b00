/**
 * Links: every kind calls the right wx API with the right arguments, from the links module
 * and from the components' taps.
 */
const { mount, $$, tap } = require('./helpers/sim')
const { installWx, ok } = require('./helpers/wx')
const fixtures = require('./helpers/fixtures')
const { linkKind, openLink, parseGeo } = require('../lib/links')
const { getClient, resetClient } = require('../api/index')

const ext = fixtures.rendered('ext.json').ext
const appTabs = fixtures.appWithTabs()
const tabSlugs = appTabs.tab_bar.items.map((i) => i.route.replace(/^pages\//, ''))
const NAV = ['navigateTo', 'redirectTo', 'switchTab', 'reLaunch', 'showModal', 'makePhoneCall', 'openLocation', 'navigateToMiniProgram', 'previewImage']

function ctx(extra = {}) {
  const wx = installWx()
  return { wx, tabSlugs: ['home', 'catalogue', 'contact'], webview: false, pageDepth: 1, ...extra }
}
const called = (wx) => NAV.filter((n) => wx[n].mock.calls.length > 0)

describe('linkKind', () => {
  test.each([
    ['pages/about', { kind: 'page', target: 'about' }],
    ['pages/about?from=home&x=1', { kind: 'page', target: 'about?from=home&x=1' }],
    ['https://example.com/a?b=1', { kind: 'url', target: 'https://example.com/a?b=1' }],
    ['tel:400-123-4567', { kind: 'phone', target: '400-123-4567' }],
    ['geo:31.2304,121.4737?name=%E9%97%A8%E5%BA%97', { kind: 'map', target: '31.2304,121.4737?name=%E9%97%A8%E5%BA%97' }],
    ['miniprogram:wx1234567890abcdef/pages/index/index?x=1', { kind: 'miniprogram', target: 'wx1234567890abcdef/pages/index/index?x=1' }],
    ['miniprogram:wx1234567890abcdef', { kind: 'miniprogram', target: 'wx1234567890abcdef' }],
  ])('%s', (link, kind) => {
    expect(linkKind(link)).toEqual(kind)
  })

  test.each([[null], [undefined], [''], ['pages/'], ['http://example.com'], ['javascript:alert(1)'], ['ftp://x'], [42]])('%p is no link', (link) => {
    expect(linkKind(link)).toBeNull()
  })
})

describe('openLink', () => {
  test('a page: navigateTo the generic page with the slug and the query', () => {
    const c = ctx()
    expect(openLink('pages/about?from=home&x=1', c)).toBe('page')
    expect(c.wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/page/page?slug=about&from=home&x=1' })
    expect(called(c.wx)).toEqual(['navigateTo'])
  })

  test("a tab's slug: switchTab to its fixed tab page", () => {
    const c = ctx()
    openLink('pages/catalogue?ignored=1', c)
    expect(c.wx.switchTab).toHaveBeenCalledWith({ url: '/pages/tab1/tab1' })
    expect(called(c.wx)).toEqual(['switchTab'])
  })

  test('a full page stack: redirectTo instead', () => {
    const c = ctx({ pageDepth: 10 })
    openLink('pages/about', c)
    expect(c.wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/page/page?slug=about' })
    expect(called(c.wx)).toEqual(['redirectTo'])
  })

  test('https without business domains: a dialog shows the address, no clipboard', () => {
    const c = ctx()
    expect(openLink('https://example.com/a?b=1', c)).toBe('url')
    expect(c.wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: 'https://example.com/a?b=1', showCancel: false }))
    expect(c.wx.setClipboardData).not.toHaveBeenCalled()
    expect(called(c.wx)).toEqual(['showModal'])
  })

  test('https with business domains: the web-view page', () => {
    const c = ctx({ webview: true })
    openLink('https://example.com/a?b=1&c=2', c)
    expect(c.wx.navigateTo).toHaveBeenCalledWith({ url: `/pages/webview/webview?url=${encodeURIComponent('https://example.com/a?b=1&c=2')}` })
    expect(called(c.wx)).toEqual(['navigateTo'])
  })

  test('tel: makePhoneCall', () => {
    const c = ctx()
    expect(openLink('tel:400-123-4567', c)).toBe('phone')
    expect(c.wx.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '400-123-4567' })
    expect(called(c.wx)).toEqual(['makePhoneCall'])
  })

  test('geo: openLocation with the point and its name', () => {
    const c = ctx()
    expect(openLink('geo:31.2304,121.4737?name=%E9%97%A8%E5%BA%97', c)).toBe('map')
    expect(c.wx.openLocation).toHaveBeenCalledWith({ latitude: 31.2304, longitude: 121.4737, name: '门店', scale: 16 })
    openLink('geo:-33.5,151', c)
    expect(c.wx.openLocation).toHaveBeenLastCalledWith({ latitude: -33.5, longitude: 151, scale: 16 })
  })

  test('geo: a point that is no point does nothing', () => {
    const c = ctx()
    expect(openLink('geo:abc,def', c)).toBeNull()
    expect(openLink('geo:91,0', c)).toBeNull()
    expect(parseGeo('1,2,3')).toBeNull()
    expect(called(c.wx)).toEqual([])
  })

  test('miniprogram: navigateToMiniProgram with the appid and the path', () => {
    const c = ctx()
    expect(openLink('miniprogram:wx1234567890abcdef/pages/index/index?x=1', c)).toBe('miniprogram')
    expect(c.wx.navigateToMiniProgram).toHaveBeenCalledWith({ appId: 'wx1234567890abcdef', path: 'pages/index/index?x=1' })
    openLink('miniprogram:wxabcdefabcdefabcd', c)
    expect(c.wx.navigateToMiniProgram).toHaveBeenLastCalledWith({ appId: 'wxabcdefabcdefabcd' })
  })

  test('anything else does nothing', () => {
    const c = ctx()
    for (const link of [null, '', 'http://example.com', 'javascript:alert(1)', 'pages/']) expect(openLink(link, c)).toBeNull()
    expect(called(c.wx)).toEqual([])
  })

  test('every link in the page fixtures calls exactly one wx API', () => {
    const links = []
    const walk = (v) => {
      if (Array.isArray(v)) v.forEach(walk)
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'link' && typeof x === 'string') links.push(x)
          else walk(x)
        }
      }
    }
    for (const name of fixtures.pageNames()) walk(fixtures.rendered(name).components)
    expect(links.length).toBeGreaterThan(0)
    for (const link of links) {
      const c = ctx()
      expect([link, openLink(link, c)]).toEqual([link, linkKind(link).kind])
      expect(called(c.wx)).toHaveLength(1)
    }
  })
})

describe("components' taps", () => {
  let wx
  beforeEach(async () => {
    wx = installWx({ ext })
    resetClient()
    wx.route('app', ok(appTabs))
    await getClient().loadApp() // the tab slugs come from the stored app config
  })

  const render = (blocks) => mount('ui/page-shell/page-shell', { status: 'content', blocks })
  const A = 'https://api.example.cn/client/v1/wxfixture00000001/assets/'

  test('a button follows its link (a tab slug switches tab)', async () => {
    const comp = render([{ id: 'b', type: 'button', text: 'go', link: `pages/${tabSlugs[1]}`, style: 'primary', block: true }])
    await tap($$(comp, '[data-block-type="button"] [data-link]')[0])
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/tab1/tab1' })
  })

  test('an image with a link follows it; without one it opens full screen', async () => {
    let comp = render([{ id: 'i', type: 'image', src: `${A}a`, alt: '', mode: 'widthFix', link: 'tel:10086' }])
    await tap($$(comp, '[data-block-type="image"]')[0])
    expect(wx.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '10086' })
    comp = render([{ id: 'i', type: 'image', src: `${A}a`, alt: '', mode: 'widthFix', link: null }])
    await tap($$(comp, '[data-block-type="image"]')[0])
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: [`${A}a`], current: `${A}a` })
  })

  test('carousel: a linked slide follows its link; others open the slides as a gallery', async () => {
    const comp = render([
      {
        id: 'c',
        type: 'carousel',
        autoplay: true,
        interval_ms: 4000,
        height_rpx: 400,
        slides: [
          { src: `${A}1`, link: null, caption: '' },
          { src: `${A}2`, link: 'geo:30,120?name=X', caption: 'x' },
          { src: `${A}3`, link: null, caption: '' },
        ],
      },
    ])
    const slides = $$(comp, '[data-block-type="slide"]')
    expect(slides).toHaveLength(3)
    await tap(slides[1])
    expect(wx.openLocation).toHaveBeenCalledWith({ latitude: 30, longitude: 120, name: 'X', scale: 16 })
    await tap(slides[2])
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: [`${A}1`, `${A}2`, `${A}3`], current: `${A}3` })
  })

  test('image grid: a linked tile follows its link; others open the tiles as a gallery', async () => {
    const comp = render([
      {
        id: 'g',
        type: 'image_grid',
        columns: 2,
        tiles: [
          { src: `${A}1`, label: 'a', link: 'miniprogram:wx0000000000000001/pages/x' },
          { src: `${A}2`, label: '', link: null },
        ],
      },
    ])
    const tiles = $$(comp, '[data-block-type="tile"]')
    await tap(tiles[0])
    expect(wx.navigateToMiniProgram).toHaveBeenCalledWith({ appId: 'wx0000000000000001', path: 'pages/x' })
    await tap(tiles[1])
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: [`${A}1`, `${A}2`], current: `${A}2` })
  })

  test('a notice bar follows its link; https shows the address when there are no business domains', async () => {
    const comp = render([{ id: 'n', type: 'notice_bar', text: 't', link: 'https://example.com', scrollable: false, color: '#333333', background_color: '#EEEEEE' }])
    await tap($$(comp, '[data-block-type="notice_bar"]')[0])
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: 'https://example.com' }))
    expect(wx.navigateTo).not.toHaveBeenCalled()
  })

  test('with ext webview: true, an https link opens the web-view page', async () => {
    wx.getExtConfigSync.mockReturnValue({ ...ext, webview: true })
    resetClient()
    const comp = render([{ id: 'n', type: 'notice_bar', text: 't', link: 'https://example.com/x', scrollable: true, color: '#333333', background_color: '#EEEEEE' }])
    await tap($$(comp, '[data-block-type="notice_bar"]')[0])
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: `/pages/webview/webview?url=${encodeURIComponent('https://example.com/x')}` })
  })

  test('store info: tapping the phone calls it', async () => {
    const comp = render([{ id: 's', type: 'store_info', name: 'n', description: '', logo: null, address: 'a', phone: '021-12345678', tags: [] }])
    await tap($$(comp, '[class*="store__row--tap"]')[0])
    expect(wx.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '021-12345678' })
  })

  test('contact card: the phone calls, the address and the map open the location', async () => {
    const comp = render([
      { id: 'k', type: 'contact_card', name: '前台', phone: '13800000000', address: '北京', location: { latitude: 39.9, longitude: 116.4 } },
    ])
    await tap($$(comp, '[class*="contact__row--phone"]')[0])
    expect(wx.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '13800000000' })
    const rows = $$(comp, '[class*="contact__row"]')
    await tap(rows[1])
    expect(wx.openLocation).toHaveBeenCalledWith({ latitude: 39.9, longitude: 116.4, name: '前台', address: '北京', scale: 16 })
    await tap($$(comp, '[class*="contact__map"]')[0])
    expect(wx.openLocation).toHaveBeenCalledTimes(2)
  })
})
