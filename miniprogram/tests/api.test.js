/**
 * The client-API layer against a mocked wx.request and storage: ETag cache and 304, version
 * bump, suspended payload, 404, network failure with and without a stored copy, 429, draft
 * preview token, expired token.
 */
const { createWx, ok } = require('./helpers/wx')
const fixtures = require('./helpers/fixtures')
const { createClient } = require('../api/client')

const config = { appid: 'wxfixture00000001', apiBase: 'https://api.example.cn/client/v1' }
const BASE = 'https://api.example.cn/client/v1/wxfixture00000001'
const appTabs = fixtures.appWithTabs()
const home = fixtures.rendered(fixtures.pageNames()[0])
const suspended = fixtures.rendered('suspended.json')

function setup(opts = {}) {
  const wx = createWx()
  let t = 1000
  const client = createClient({ wx, config, now: () => t, versionCheckMs: opts.versionCheckMs ?? 0 })
  return { wx, client, tick: (ms) => (t += ms) }
}

const lastRequest = (wx) => wx.__requests[wx.__requests.length - 1]

describe('first load and the ETag cache', () => {
  test('a first load asks without If-None-Match, answers the body and stores it with its ETag', async () => {
    const { wx, client } = setup()
    wx.route('app', ok(appTabs, '"app-v7"'))
    const onCached = jest.fn()
    const result = await client.loadApp(onCached)
    expect(result).toEqual({ type: 'content', body: appTabs, source: 'network' })
    expect(onCached).not.toHaveBeenCalled()
    expect(wx.__requests).toHaveLength(1)
    expect(lastRequest(wx).url).toBe(`${BASE}/app`)
    expect(lastRequest(wx).method).toBe('GET')
    expect(lastRequest(wx).header).toEqual({})
    expect(client.readStored('app')).toMatchObject({ etag: '"app-v7"', body: appTabs })
    expect(client.cachedApp()).toEqual(appTabs)
    expect(client.contentVersion()).toBe(appTabs.content_version)
  })

  test('the stored copy shows at once, then If-None-Match; 304 keeps it', async () => {
    const { wx, client } = setup()
    wx.route(`pages/${home.slug}`, ok(home, '"p1"'))
    await client.loadPage(home.slug)
    wx.route(`pages/${home.slug}`, { statusCode: 304, data: '' })
    const shown = []
    const pending = client.loadPage(home.slug, { onCached: (r) => shown.push(r) })
    // Handed over synchronously, before the network answers.
    expect(shown).toEqual([{ type: 'content', body: home, source: 'cache' }])
    const result = await pending
    expect(lastRequest(wx).url).toBe(`${BASE}/pages/${home.slug}`)
    expect(lastRequest(wx).header).toEqual({ 'If-None-Match': '"p1"' })
    expect(result).toEqual({ type: 'content', body: home, source: 'cache' })
    expect(client.readStored(`pages/${home.slug}`)).toMatchObject({ etag: '"p1"', body: home })
  })

  test('a 200 to If-None-Match replaces the stored copy and its ETag', async () => {
    const { wx, client } = setup()
    wx.route('pages/home', ok({ ...home, slug: 'home', title: 'old' }, '"old"'))
    await client.loadPage('home')
    wx.route('pages/home', ok({ ...home, slug: 'home', title: 'new' }, '"new"'))
    const result = await client.loadPage('home')
    expect(lastRequest(wx).header['If-None-Match']).toBe('"old"')
    expect(result.type).toBe('content')
    expect(result.body.title).toBe('new')
    expect(result.source).toBe('network')
    expect(client.readStored('pages/home')).toMatchObject({ etag: '"new"' })
  })

  test('the ETag header is read whatever its case, and a text body is parsed', async () => {
    const { wx, client } = setup()
    wx.route('app', { statusCode: 200, data: JSON.stringify(appTabs), header: { etag: '"lower"' } })
    const result = await client.loadApp()
    expect(result.body).toEqual(appTabs)
    expect(client.readStored('app').etag).toBe('"lower"')
  })

  test('concurrent loads of one document share one request', async () => {
    const { wx, client } = setup()
    wx.route('app', ok(appTabs, '"a"'))
    const [a, b] = await Promise.all([client.loadApp(), client.loadApp()])
    expect(wx.request).toHaveBeenCalledTimes(1)
    expect(a).toEqual(b)
    await client.loadApp()
    expect(wx.request).toHaveBeenCalledTimes(2)
  })

  test('slugs are escaped in the path', async () => {
    const { wx, client } = setup()
    await client.loadPage('a b/c')
    expect(lastRequest(wx).url).toBe(`${BASE}/pages/a%20b%2Fc`)
  })
})

describe('the version check', () => {
  test('an unchanged content_version fetches nothing more', async () => {
    const { wx, client } = setup()
    wx.route('app', ok(appTabs, '"a"'))
    await client.loadApp()
    wx.route('version', ok({ content_version: appTabs.content_version }))
    const check = await client.checkVersion()
    expect(check).toEqual({ changed: false, content_version: appTabs.content_version })
    expect(wx.__requests.map((r) => r.url)).toEqual([`${BASE}/app`, `${BASE}/version`])
  })

  test('a bumped content_version refetches the app config (revalidating the stored one)', async () => {
    const { wx, client } = setup()
    wx.route('app', ok(appTabs, '"a7"'))
    await client.loadApp()
    const bumped = { ...appTabs, content_version: appTabs.content_version + 1 }
    wx.route('version', ok({ content_version: bumped.content_version }))
    wx.route('app', ok(bumped, '"a8"'))
    const listener = jest.fn()
    client.onAppChange(listener)
    const check = await client.checkVersion()
    expect(check).toEqual({ changed: true, content_version: bumped.content_version })
    expect(lastRequest(wx).url).toBe(`${BASE}/app`)
    expect(lastRequest(wx).header).toEqual({ 'If-None-Match': '"a7"' })
    expect(client.contentVersion()).toBe(bumped.content_version)
    expect(listener).toHaveBeenCalledWith(bumped)
  })

  test('checks closer together than the interval are skipped', async () => {
    const { wx, client, tick } = setup({ versionCheckMs: 10000 })
    wx.route('version', ok({ content_version: 1 }))
    wx.route('app', ok({ ...appTabs, content_version: 1 }, '"x"'))
    await client.checkVersion({ force: true })
    const count = wx.__requests.length
    expect(await client.checkVersion()).toEqual({ changed: false, skipped: true })
    expect(wx.__requests).toHaveLength(count)
    tick(10001)
    await client.checkVersion()
    expect(wx.__requests.length).toBeGreaterThan(count)
  })

  test('a failed check changes nothing', async () => {
    const { wx, client } = setup()
    wx.setOffline(true)
    expect(await client.checkVersion()).toEqual({ changed: false, offline: true })
  })
})

describe('states', () => {
  test('the suspended payload is the suspended state, for the app config and for pages', async () => {
    const { wx, client } = setup()
    wx.route('app', ok(suspended, '"s"'))
    wx.route('pages/home', ok(suspended, '"s"'))
    expect(await client.loadApp()).toEqual({ type: 'suspended', body: suspended, source: 'network' })
    expect(await client.loadPage('home')).toEqual({ type: 'suspended', body: suspended, source: 'network' })
    expect(client.cachedApp()).toBeNull()
  })

  test('404 is not found and forgets the stored copy', async () => {
    const { wx, client } = setup()
    wx.route('pages/gone', ok(home, '"g"'))
    await client.loadPage('gone')
    wx.route('pages/gone', { statusCode: 404, data: { code: 'not_found', message: '资源不存在。' } })
    expect(await client.loadPage('gone')).toEqual({ type: 'not_found' })
    expect(client.readStored('pages/gone')).toBeNull()
  })

  test('network failure without a stored copy: the retry state', async () => {
    const { wx, client } = setup()
    wx.setOffline(true)
    expect(await client.loadPage('home')).toEqual({ type: 'offline', reason: 'network' })
    expect(await client.loadApp()).toEqual({ type: 'offline', reason: 'network' })
  })

  test('network failure with a stored copy: the stored page and a quiet notice', async () => {
    const { wx, client } = setup()
    wx.route('pages/home', ok(home, '"h"'))
    await client.loadPage('home')
    wx.setOffline(true)
    const onCached = jest.fn()
    const result = await client.loadPage('home', { onCached })
    expect(onCached).toHaveBeenCalledWith({ type: 'content', body: home, source: 'cache' })
    expect(result).toEqual({ type: 'content', body: home, source: 'cache', offline: 'network', notice: 'offline' })
  })

  test('429 is transient like a network failure', async () => {
    const { wx, client } = setup()
    const throttled = { statusCode: 429, data: { code: 'too_many_attempts', message: '' }, header: { 'Retry-After': '1' } }
    wx.route('pages/home', throttled)
    expect(await client.loadPage('home')).toEqual({ type: 'offline', reason: 'throttled' })
    wx.route('pages/home', ok(home, '"h"'))
    await client.loadPage('home')
    wx.route('pages/home', throttled)
    expect(await client.loadPage('home')).toMatchObject({ type: 'content', body: home, offline: 'throttled', notice: 'offline' })
    expect(client.readStored('pages/home')).toMatchObject({ body: home })
  })

  test('a server error or a broken body is transient too', async () => {
    const { wx, client } = setup()
    wx.route('pages/a', { statusCode: 502, data: '<html>bad gateway</html>' })
    expect(await client.loadPage('a')).toEqual({ type: 'offline', reason: 'server' })
    wx.route('pages/b', { statusCode: 200, data: '<html>portal</html>' })
    expect(await client.loadPage('b')).toEqual({ type: 'offline', reason: 'server' })
    expect(client.readStored('pages/b')).toBeNull()
  })
})

describe('draft preview', () => {
  const draft = { ...home, title: '草稿', version: 99 }

  test('a preview token fetches the draft from /preview/{slug}?token=, never stored', async () => {
    const { wx, client } = setup()
    wx.route('preview/home?token=tok%2Fen%2B1', ok(draft))
    const result = await client.loadPage('home', { preview: 'tok/en+1' })
    expect(lastRequest(wx).url).toBe(`${BASE}/preview/home?token=tok%2Fen%2B1`)
    expect(lastRequest(wx).header).toEqual({})
    expect(result).toEqual({ type: 'content', body: draft, source: 'network', preview: true, notice: 'preview' })
    expect(client.readStored('pages/home')).toBeNull()
    expect(wx.setStorageSync).not.toHaveBeenCalled()
  })

  test('an expired token loads the published page with a notice', async () => {
    const { wx, client } = setup()
    wx.route('preview/home?token=old', { statusCode: 403, data: { code: 'preview_token_expired', message: '' } })
    wx.route('pages/home', ok(home, '"h"'))
    const result = await client.loadPage('home', { preview: 'old' })
    expect(wx.__requests.map((r) => r.url)).toEqual([`${BASE}/preview/home?token=old`, `${BASE}/pages/home`])
    expect(result).toEqual({ type: 'content', body: home, source: 'network', notice: 'preview_expired' })
  })

  test('an invalid token loads the published page with its own notice', async () => {
    const { wx, client } = setup()
    wx.route('preview/home?token=forged', { statusCode: 403, data: { code: 'preview_token_invalid', message: '' } })
    wx.route('pages/home', ok(home, '"h"'))
    expect(await client.loadPage('home', { preview: 'forged' })).toMatchObject({ type: 'content', body: home, notice: 'preview_invalid' })
  })

  test('a preview of a suspended tenant is the suspended state', async () => {
    const { wx, client } = setup()
    wx.route('preview/home?token=t', ok(suspended))
    expect(await client.loadPage('home', { preview: 't' })).toEqual({ type: 'suspended', body: suspended, source: 'network' })
  })
})
