/** The config reader reads the `ext` of the ext.json the deploy commits. */
const fixtures = require('./helpers/fixtures')
const { readConfig, loadConfig, DEV_FALLBACK } = require('../config')
const { createClient } = require('../api/client')
const { createWx } = require('./helpers/wx')

const extJson = fixtures.rendered('ext.json')

test('ext.json is an ext build whose ext names the appid and the client API base', () => {
  expect(extJson.extEnable).toBe(true)
  expect(typeof extJson.ext.appid).toBe('string')
  expect(extJson.extAppid).toBe(extJson.ext.appid)
  expect(extJson.ext.api_base).toMatch(/^https:\/\/.+\/client\/v1$/)
})

test('ext.json carries no tabBar: tabs are data, drawn by the custom tab bar', () => {
  expect(extJson.tabBar).toBeUndefined()
})

test('the reader takes the appid and api_base of the rendered ext', () => {
  const config = readConfig(extJson.ext)
  expect(config).toEqual({ appid: extJson.ext.appid, apiBase: extJson.ext.api_base, webview: false, dev: false })
})

test('wx.getExtConfigSync feeds the reader; the client then asks {api_base}/{appid}/…', async () => {
  const wx = createWx({ ext: extJson.ext })
  const config = loadConfig(wx)
  expect(wx.getExtConfigSync).toHaveBeenCalled()
  const client = createClient({ wx, config })
  await client.loadApp()
  expect(wx.request.mock.calls[0][0].url).toBe(`${extJson.ext.api_base}/${extJson.ext.appid}/app`)
})

test('webview: true says business domains are configured', () => {
  expect(readConfig({ ...extJson.ext, webview: true }).webview).toBe(true)
  expect(readConfig({ ...extJson.ext, webview: 'yes' }).webview).toBe(false)
})

test('a trailing slash on api_base is dropped', () => {
  expect(readConfig({ appid: 'wx1', api_base: 'https://a.example/client/v1/' }).apiBase).toBe('https://a.example/client/v1')
})

test('outside an ext build (empty, missing or throwing) the dev fallback applies', () => {
  const fallback = { appid: DEV_FALLBACK.appid, apiBase: DEV_FALLBACK.api_base, webview: false, dev: true }
  expect(loadConfig({ getExtConfigSync: () => ({}) })).toEqual(fallback)
  expect(loadConfig({})).toEqual(fallback)
  expect(
    loadConfig({
      getExtConfigSync: () => {
        throw new Error('not an ext build')
      },
    })
  ).toEqual(fallback)
  expect(readConfig({ appid: 'wx1' })).toEqual(fallback)
})
