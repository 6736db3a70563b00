/**
 * The renderer against the golden fixtures: every page fixture rendered through the real
 * components gives the expected outline (read from the rendered tree); every catalogue type
 * renders its fixture; an unknown type renders nothing.
 */
const fs = require('fs')
const path = require('path')
const { mount, ROOT } = require('./helpers/sim')
const { installWx } = require('./helpers/wx')
const fixtures = require('./helpers/fixtures')
const { blocks, pageOutline, elements, texts } = require('./helpers/outline')
const { resetClient } = require('../api/index')

const CATALOGUE = fs.readdirSync(path.join(fixtures.REPO, 'page-templates/components')).sort()

beforeEach(() => {
  installWx()
  resetClient()
})

/**
 * Renders a component list through the renderer, hosted by the page shell (the renderer is a
 * virtual host, which the simulator's toJSON cannot take as its root).
 */
function renderBlocks(list) {
  return mount('ui/page-shell/page-shell', { status: 'content', blocks: list })
}

/**
 * Pairs each rendered component (of a known type) with its expected outline block, down
 * through container children. Unknown types have no block.
 */
function pairs(components, outlineBlocks, out = []) {
  const known = components.filter((c) => CATALOGUE.includes(c.type))
  expect(outlineBlocks).toHaveLength(known.length)
  known.forEach((c, i) => {
    out.push([c, outlineBlocks[i]])
    if (c.type === 'container') pairs(c.children || [], outlineBlocks[i].children, out)
  })
  return out
}

const pages = fixtures.pageNames()

test('there are page fixtures with outlines', () => {
  expect(pages.length).toBeGreaterThan(0)
  for (const name of pages) expect(fixtures.hasOutline(name)).toBe(true)
})

describe.each(pages)('%s', (name) => {
  const page = fixtures.rendered(name)
  const expected = fixtures.outline(name)

  test('its outline, read from the rendered tree, equals the golden outline', () => {
    const tree = renderBlocks(page.components).toJSON()
    expect(blocks(tree)).toEqual(expected.blocks)
  })

  test('rendered as a page (shell, title, components) it has the golden outline', async () => {
    const wx = installWx()
    const app = fixtures.rendered(fixtures.appNames()[0])
    wx.route('app', { statusCode: 200, data: app, header: { ETag: '"app"' } })
    wx.route(`pages/${page.slug}`, { statusCode: 200, data: page, header: { ETag: '"p"' } })
    const comp = mount('pages/page/page')
    await comp.instance.onLoad({ slug: page.slug })
    expect(comp.data.status).toBe('content')
    expect(pageOutline(comp.toJSON())).toEqual(expected)
  })
})

describe('every catalogue type', () => {
  const all = pages.flatMap((name) => pairs(fixtures.rendered(name).components, fixtures.outline(name).blocks))

  test.each(CATALOGUE)('%s has a fixture and renders it alone as its outline block', (type) => {
    const cases = all.filter(([c]) => c.type === type)
    expect(cases.length).toBeGreaterThan(0)
    for (const [component, expectedBlock] of cases) {
      const tree = renderBlocks([component]).toJSON()
      expect(blocks(tree)).toEqual([expectedBlock])
    }
  })
})

describe('an unknown type', () => {
  test('renders nothing, alone', () => {
    const comp = renderBlocks([{ id: 'x', type: 'hologram', beam: true, children: [{ id: 'y', type: 'text', text: 'hidden' }] }])
    const tree = comp.toJSON()
    expect(blocks(tree)).toEqual([])
    expect(texts(tree)).toEqual([])
    expect(comp.dom.textContent).toBe('')
    // Exactly what an empty page renders: not an element more.
    expect(tree).toEqual(renderBlocks([]).toJSON())
    expect(elements(tree).length).toBe(elements(renderBlocks([]).toJSON()).length)
  })

  test('renders nothing between known ones, inside a container too', () => {
    const tree = renderBlocks([
      { id: 'a', type: 'text', text: 'before', size: 'medium', align: 'left', color: null, bold: false },
      { id: 'b', type: 'future_widget' },
      {
        id: 'c',
        type: 'container',
        direction: 'column',
        padding_rpx: 0,
        gap_rpx: 0,
        background_color: null,
        children: [{ id: 'd', type: 'marquee3d' }, { id: 'e', type: 'spacer', height_rpx: 10 }],
      },
    ]).toJSON()
    const found = blocks(tree)
    expect(found.map((b) => b.type)).toEqual(['text', 'container'])
    expect(found[1].children.map((b) => b.type)).toEqual(['spacer'])
    expect(texts(tree)).toEqual(['before'])
  })

  test('a block without a type renders nothing', () => {
    expect(blocks(renderBlocks([{ id: 'n' }, null].filter(Boolean)).toJSON())).toEqual([])
  })
})

test('the renderer names a component for every catalogue type, and nothing else', () => {
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'components/render/render.json'), 'utf8'))
  const wxml = fs.readFileSync(path.join(ROOT, 'components/render/render.wxml'), 'utf8')
  const targets = Object.values(json.usingComponents).map((p) => path.basename(p)).sort()
  expect(targets).toEqual(CATALOGUE)
  const chained = [...wxml.matchAll(/item\.type === '([a-z_]+)'/g)].map((m) => m[1]).sort()
  expect(chained).toEqual(CATALOGUE)
})
