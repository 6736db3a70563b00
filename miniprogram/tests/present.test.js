/** What pages derive from the documents: home slug, tab slugs, bar colours, suspended screen. */
const { homeSlug, tabSlug, navigationColors, navigationTitle, contactPhone, suspendedView } = require('../lib/present')

test('home is "home" when the merchant has it, else the first page, else none', () => {
  expect(homeSlug({ pages: [{ slug: 'a' }, { slug: 'home' }] })).toBe('home')
  expect(homeSlug({ pages: [{ slug: 'a' }, { slug: 'b' }] })).toBe('a')
  expect(homeSlug({ pages: [] })).toBeNull()
  expect(homeSlug(null)).toBeNull()
})

test('a tab slug is the route after pages/, by index', () => {
  const app = { tab_bar: { items: [{ route: 'pages/home' }, { route: 'pages/menu' }] } }
  expect(tabSlug(app, 1)).toBe('menu')
  expect(tabSlug(app, 2)).toBeNull()
  expect(tabSlug({ tab_bar: null }, 0)).toBeNull()
})

test("the bar: the page's colours over the theme's", () => {
  const app = { theme: { navigation_bar: { background_color: '#FFFFFF', text_style: 'black' } } }
  expect(navigationColors(app, {})).toEqual({ frontColor: '#000000', backgroundColor: '#FFFFFF' })
  expect(navigationColors(app, { navigation_bar: { background_color: '#112233', text_style: 'white' } })).toEqual({
    frontColor: '#ffffff',
    backgroundColor: '#112233',
  })
  expect(navigationColors(app, { navigation_bar: { background_color: 'red;x' } })).toEqual({ frontColor: '#000000', backgroundColor: '#FFFFFF' })
  expect(navigationColors(null, null)).toBeNull()
  expect(navigationTitle({ title: 'T', navigation_bar: { title: 'Bar' } })).toBe('Bar')
  expect(navigationTitle({ title: 'T', navigation_bar: {} })).toBe('T')
})

test.each([
  ['客服电话 400-800-1234', '400-800-1234'],
  ['+86 (21) 1234-5678', '+86 21 1234-5678'],
  ['support@example.com', null],
  ['', null],
  [{ phone: '13800000000', name: 'x' }, '13800000000'],
  [null, null],
])('the phone in %p', (contact, phone) => {
  const got = contactPhone(contact)
  if (phone === null) expect(got).toBeNull()
  else expect(got.replace(/\D/g, '')).toBe(phone.replace(/\D/g, ''))
})

test('the suspended screen: zh-CN message, else English, else a default', () => {
  const base = { suspended: true, reason: 'frozen', name: '店', contact: '400-800-1234' }
  expect(suspendedView({ ...base, message: { 'zh-CN': '暂停', en: 'paused' } })).toEqual({
    name: '店',
    message: '暂停',
    contact: '400-800-1234',
    phone: '400-800-1234',
    reason: 'frozen',
  })
  expect(suspendedView({ ...base, message: { en: 'paused' } }).message).toBe('paused')
  expect(suspendedView({ ...base, message: null }).message).toBe('该小程序暂停服务，请稍后再来。')
})
