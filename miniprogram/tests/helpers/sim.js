/**
 * miniprogram-simulate with the official WXML compiler, rooted at the package: one compiler
 * per test file (jest gives each file its own module registry, so its own compile cache).
 */
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')
const simulateUtils = require('miniprogram-simulate/src/utils')

const ROOT = path.resolve(__dirname, '../..')

/*
 * The simulator runs a component's JS with require() and then deletes it from require.cache
 * so that the next load registers it again; jest's require.cache is not its registry, so a
 * component used by two loaded trees (page-shell under a page and alone) would register
 * once only. Run the file's source afresh instead, its own requires going through jest's
 * registry as before (lib/ and api/ modules stay shared with the test).
 */
simulateUtils.runJs = (filePath) => {
  const file = filePath.endsWith('.js') ? filePath : `${filePath}.js`
  const dir = path.dirname(file)
  const source = fs.readFileSync(file, 'utf8')
  const mod = { exports: {} }
  const localRequire = (p) => require(p.startsWith('.') ? path.resolve(dir, p) : p)
  // eslint-disable-next-line no-new-func
  new Function('require', 'module', 'exports', '__filename', '__dirname', source)(localRequire, mod, mod.exports, file, dir)
  return mod.exports
}

const loaded = new Map()

/** Loads a component or page by its path in the package ('components/render/render'). */
function load(rel) {
  if (!loaded.has(rel)) loaded.set(rel, simulate.load(path.join(ROOT, rel), { rootPath: ROOT, compiler: 'official' }))
  return loaded.get(rel)
}

/** Renders and attaches it (lifetimes run). */
function mount(rel, props) {
  const comp = simulate.render(load(rel), props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

module.exports = { simulate, ROOT, load, mount }

const exparser = require('miniprogram-exparser')

/**
 * Elements anywhere in a mounted tree, through every component's shadow tree, by a CSS
 * selector on the simulator's DOM (classes there carry their component's prefix, so select
 * with data-* attributes or [class*="…"]).
 */
function $$(comp, selector) {
  return Array.from(comp.dom.querySelectorAll(selector))
}

/** Taps a DOM element as the simulator's dispatchEvent does, and lets the handlers run. */
async function tap(el) {
  if (!el) throw new Error('nothing to tap')
  const event = new CustomEvent('tap', {})
  el.dispatchEvent(event)
  if (el.__wxElement) {
    exparser.Event.dispatchEvent(
      el.__wxElement,
      exparser.Event.create('tap', {}, {
        originalEvent: event,
        bubbles: true,
        capturePhase: true,
        composed: true,
        extraFields: { touches: {}, changedTouches: {} },
      })
    )
  }
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
}

module.exports.$$ = $$
module.exports.tap = tap
