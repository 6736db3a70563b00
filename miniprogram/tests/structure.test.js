/**
 * The package's shape: every page and component app.json and the usingComponents maps name
 * resolves to its files; the supported-types manifest is exactly the component folders and
 * exactly the catalogue (a catalogue type with no component fails here).
 */
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const REPO = path.resolve(ROOT, '..')
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'))
const exists = (p) => fs.existsSync(p) && fs.statSync(p).isFile()

const app = readJson(path.join(ROOT, 'app.json'))
const catalogue = fs
  .readdirSync(path.join(REPO, 'page-templates/components'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
const componentFolders = fs
  .readdirSync(path.join(ROOT, 'components'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'render')
  .map((d) => d.name)
  .sort()

/** Every page/component (path without extension) reachable from app.json. */
function reachable() {
  const seen = new Set()
  const queue = [...app.pages.map((p) => path.join(ROOT, p)), path.join(ROOT, 'custom-tab-bar/index')]
  for (const p of Object.values(app.usingComponents || {})) queue.push(path.join(ROOT, p))
  while (queue.length) {
    const base = queue.shift()
    if (seen.has(base)) continue
    seen.add(base)
    if (!exists(`${base}.json`)) continue
    const json = readJson(`${base}.json`)
    for (const target of Object.values(json.usingComponents || {})) {
      queue.push(target.startsWith('/') ? path.join(ROOT, target) : path.resolve(path.dirname(base), target))
    }
  }
  return [...seen]
}

describe('app.json', () => {
  test('declares the home, generic, five tab and web-view pages, home first', () => {
    expect(app.pages).toEqual([
      'pages/index/index',
      'pages/page/page',
      'pages/tab0/tab0',
      'pages/tab1/tab1',
      'pages/tab2/tab2',
      'pages/tab3/tab3',
      'pages/tab4/tab4',
      'pages/webview/webview',
    ])
  })

  test('has a custom tab bar over the five tab pages, all declared pages', () => {
    expect(app.tabBar.custom).toBe(true)
    expect(app.tabBar.list.map((i) => i.pagePath)).toEqual([0, 1, 2, 3, 4].map((i) => `pages/tab${i}/tab${i}`))
    for (const item of app.tabBar.list) {
      expect(app.pages).toContain(item.pagePath)
      expect(typeof item.text).toBe('string')
      expect(item.text.length).toBeGreaterThan(0)
    }
    for (const ext of ['js', 'json', 'wxml']) expect(exists(path.join(ROOT, `custom-tab-bar/index.${ext}`))).toBe(true)
    expect(readJson(path.join(ROOT, 'custom-tab-bar/index.json')).component).toBe(true)
  })

  test('its sitemap exists', () => {
    expect(exists(path.join(ROOT, app.sitemapLocation))).toBe(true)
  })
})

describe('every page and component path resolves to its files', () => {
  const all = reachable()

  test('the walk reached every page, the renderer and every catalogue component', () => {
    const rel = all.map((p) => path.relative(ROOT, p))
    for (const page of app.pages) expect(rel).toContain(page)
    expect(rel).toContain('components/render/render')
    for (const type of catalogue) expect(rel).toContain(`components/${type}/${type}`)
  })

  test.each(all.map((p) => [path.relative(ROOT, p)]))('%s has .js, .json and .wxml', (rel) => {
    for (const ext of ['js', 'json', 'wxml']) {
      expect(exists(path.join(ROOT, `${rel}.${ext}`))).toBe(true)
    }
  })

  test('components declare themselves components; pages do not', () => {
    for (const p of all) {
      const rel = path.relative(ROOT, p)
      const json = readJson(`${p}.json`)
      if (app.pages.includes(rel)) expect(json.component).toBeUndefined()
      else expect(json.component).toBe(true)
    }
  })
})

describe('the supported-types manifest', () => {
  const manifest = readJson(path.join(ROOT, 'supported-types.json'))

  test('is a sorted list of distinct type names', () => {
    expect(Array.isArray(manifest)).toBe(true)
    expect([...manifest].sort()).toEqual(manifest)
    expect(new Set(manifest).size).toBe(manifest.length)
  })

  test('equals the component folders', () => {
    expect(manifest).toEqual(componentFolders)
  })

  test('equals the catalogue (page-templates/components)', () => {
    expect(catalogue.length).toBeGreaterThan(0)
    expect(manifest).toEqual(catalogue)
  })

  test('every listed type has its component files', () => {
    for (const type of manifest) {
      for (const ext of ['js', 'json', 'wxml', 'wxss']) {
        expect(exists(path.join(ROOT, `components/${type}/${type}.${ext}`))).toBe(true)
      }
    }
  })
})

describe('the shipped JavaScript', () => {
  const SKIP = new Set(['node_modules', 'tests', 'scripts'])
  const files = []
  const walk = (dir) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(d.name) || d.name.startsWith('.')) continue
      const p = path.join(dir, d.name)
      if (d.isDirectory()) walk(p)
      else if (d.name.endsWith('.js') && !/^(jest\.config)\.js$/.test(d.name)) files.push(p)
    }
  }
  walk(ROOT)

  test.each(files.map((f) => [path.relative(ROOT, f)]))('%s is type-checked and requires only package files', (rel) => {
    const source = fs.readFileSync(path.join(ROOT, rel), 'utf8')
    expect(source.startsWith('// @ts-check')).toBe(true)
    for (const m of source.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const target = m[1]
      expect(target.startsWith('.')).toBe(true) // no npm at run time: there is no build step
      const resolved = path.resolve(path.dirname(path.join(ROOT, rel)), target)
      expect(resolved.startsWith(ROOT + path.sep)).toBe(true)
      expect(exists(resolved) || exists(`${resolved}.js`) || exists(`${resolved}.json`)).toBe(true)
    }
  })
})

describe("WeChat's compilers", () => {
  const compiler = require('miniprogram-compiler')

  test('every .wxss compiles with the official WXSS compiler', () => {
    const out = compiler.wxssToJs(ROOT)
    for (const type of catalogue) expect(out).toContain(`components/${type}/${type}.wxss`)
  })

  test('every .wxml compiles with the official WXML compiler', () => {
    expect(compiler.wxmlToJs(ROOT)).toContain('components/render/render.wxml')
  })
})
