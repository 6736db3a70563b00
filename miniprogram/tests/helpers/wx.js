/**
 * A wx double: storage in a Map, wx.request answered by a route table (asynchronously, as
 * WeChat does), every other API a jest.fn.
 */

/**
 * @param {object} [opts]
 * @param {Record<string, any>} [opts.ext] what wx.getExtConfigSync returns
 */
function createWx(opts = {}) {
  const storage = new Map()
  /** path after {api_base}/{appid}/ (query included) → handler(request) → answer */
  const routes = new Map()
  const requests = []
  let offline = false

  const wx = {
    __storage: storage,
    __requests: requests,
    /** Sets the answer for a path: {statusCode, data, header} | 'fail' | (req) => either. */
    route(p, answer) {
      routes.set(p, answer)
    },
    setOffline(v) {
      offline = v
    },
    getExtConfigSync: jest.fn(() => opts.ext || {}),
    getStorageSync: jest.fn((key) => (storage.has(key) ? JSON.parse(storage.get(key)) : '')),
    setStorageSync: jest.fn((key, value) => {
      storage.set(key, JSON.stringify(value))
    }),
    removeStorageSync: jest.fn((key) => {
      storage.delete(key)
    }),
    request: jest.fn((req) => {
      requests.push(req)
      const m = /^https?:\/\/[^/]+\/client\/v1\/[^/]+\/(.*)$/.exec(req.url)
      const p = m ? m[1] : req.url
      setTimeout(() => {
        let answer = offline ? 'fail' : routes.get(p)
        if (typeof answer === 'function') answer = answer(req)
        if (answer === undefined) answer = { statusCode: 404, data: { code: 'not_found', message: 'nope' } }
        if (answer === 'fail') {
          req.fail && req.fail({ errMsg: 'request:fail timeout' })
        } else {
          req.success && req.success({ header: {}, ...answer })
        }
        req.complete && req.complete({})
      }, 0)
      return { abort() {} }
    }),
    setNavigationBarTitle: jest.fn(),
    setNavigationBarColor: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    makePhoneCall: jest.fn(),
    openLocation: jest.fn(),
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    switchTab: jest.fn(),
    reLaunch: jest.fn(),
    navigateToMiniProgram: jest.fn(),
    showModal: jest.fn(),
    previewImage: jest.fn(),
    setClipboardData: jest.fn(),
  }
  return wx
}

/** A 200 answer with an ETag. */
function ok(data, etag) {
  return { statusCode: 200, data, header: etag ? { ETag: etag } : {} }
}

/** Lets queued request answers (setTimeout 0) and the promises after them run. */
async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0))
}

/** Installs a fresh double as the global wx (keeping what the simulator put there). */
function installWx(opts) {
  const wx = createWx(opts)
  global.wx = Object.assign(global.wx || {}, wx)
  global.getCurrentPages = () => []
  return global.wx
}

module.exports = { createWx, installWx, ok, settle }
