/** npm run package: the zip holds the mini-program source only, byte-stable, under 2 MB. */
const fs = require('fs')
const path = require('path')
const JSZip = require('jszip')
const { collectFiles, packageSize, buildZip, LIMIT } = require('../scripts/package')

const ROOT = path.resolve(__dirname, '..')
const files = collectFiles()

test('it holds the app, every page and component file, and the manifest', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
  for (const f of ['app.js', 'app.json', 'app.wxss', 'project.config.json', 'sitemap.json', 'supported-types.json', 'config.js']) {
    expect(files).toContain(f)
  }
  for (const page of app.pages) for (const ext of ['js', 'json', 'wxml']) expect(files).toContain(`${page}.${ext}`)
  for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(files).toContain(`custom-tab-bar/index.${ext}`)
  for (const type of JSON.parse(fs.readFileSync(path.join(ROOT, 'supported-types.json'), 'utf8'))) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(files).toContain(`components/${type}/${type}.${ext}`)
  }
})

test('it holds no tests, tooling or dependencies', () => {
  for (const f of files) {
    expect(f).not.toMatch(/^(tests|scripts|node_modules)\//)
    expect(f).not.toMatch(/^(package(-lock)?\.json|jest\.config\.js|jsconfig\.json|README\.md)$/)
    expect(f).not.toMatch(/(^|\/)\./)
  }
})

test('the main package is under WeChat\'s 2 MB', () => {
  expect(LIMIT).toBe(2 * 1024 * 1024)
  expect(packageSize(files)).toBeLessThan(LIMIT)
})

test('the zip holds exactly those files and is byte-stable', async () => {
  const a = await buildZip(files)
  const b = await buildZip(files)
  expect(a.equals(b)).toBe(true)
  const zip = await JSZip.loadAsync(a)
  const names = Object.keys(zip.files).filter((n) => !zip.files[n].dir).sort()
  expect(names).toEqual(files)
  expect(await zip.file('app.json').async('string')).toBe(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
})
