/**
 * The outline (fixtures/README.md) extracted from a RENDERED tree: the simulator's
 * toJSON() of a component — tag names, the attributes the WXML set (typed values: src,
 * mode, autoplay, style strings, data-*), text nodes. Never the page JSON.
 *
 * A block is an element carrying data-block-type; its text, images and link are read from
 * its own subtree up to nested blocks, which become its children.
 */
const { linkKind } = require('../../lib/links')

function attrsOf(node) {
  const out = {}
  for (const { name, value } of node.attrs || []) out[name] = value
  return out
}

/** `a:b;c:d` → {a: 'b', c: 'd'} */
function parseStyle(style) {
  const out = {}
  if (typeof style !== 'string') return out
  for (const decl of style.split(';')) {
    const i = decl.indexOf(':')
    if (i < 0) continue
    const key = decl.slice(0, i).trim().toLowerCase()
    const value = decl.slice(i + 1).trim()
    if (key && value) out[key] = value
  }
  return out
}

/** '400rpx' → 400 (the sizes the components set are rpx). */
function rpx(value) {
  const m = /^(-?\d+(?:\.\d+)?)rpx$/.exec(String(value || '').trim())
  if (!m) throw new Error(`expected an rpx size, got ${JSON.stringify(value)}`)
  return Number(m[1])
}

/** The node's own subtree up to nested blocks: its text nodes and elements, in order. */
function own(node) {
  const texts = []
  const elements = []
  const visit = (n, top) => {
    if (typeof n === 'string') {
      texts.push(n)
      return
    }
    if (!top && attrsOf(n)['data-block-type'] !== undefined) return
    elements.push(n)
    for (const c of n.children || []) visit(c, false)
  }
  visit(node, true)
  return { texts, elements }
}

function first(elements, tagName) {
  const el = elements.find((e) => e.tagName === tagName)
  return el ? attrsOf(el) : null
}

/** Rich-text nodes: text nodes' text depth first, img nodes' src. */
function richText(nodes) {
  const text = []
  const images = []
  const visit = (list) => {
    for (const n of list || []) {
      if (!n || typeof n !== 'object') continue
      if (n.type === 'text') {
        if (typeof n.text === 'string' && n.text !== '') text.push(n.text)
        continue
      }
      if (n.name === 'img' && n.attrs && typeof n.attrs.src === 'string') images.push({ src: n.attrs.src, mode: 'widthFix' })
      visit(n.children)
    }
  }
  visit(nodes)
  return { text, images }
}

const colourOrNull = (v) => (v === undefined || v === '' ? null : v)

/** Per type: the style facts, read from the rendered attributes and inline CSS. */
const STYLE = {
  text: (a) => {
    const css = parseStyle(a.style)
    return { size: a['data-size'], align: css['text-align'], color: colourOrNull(css.color), bold: css['font-weight'] === 'bold' }
  },
  button: (a, o) => {
    const btn = first(o.elements, 'wx-button')
    return { style: btn.plain ? 'plain' : btn.type === 'primary' ? 'primary' : 'default', block: btn.size !== 'mini' }
  },
  carousel: (a, o) => {
    const sw = first(o.elements, 'wx-swiper')
    return { height_rpx: rpx(parseStyle(sw.style).height), autoplay: sw.autoplay, interval_ms: sw.interval }
  },
  image_grid: (a) => {
    const m = /repeat\(\s*(\d+)\s*,/.exec(parseStyle(a.style)['grid-template-columns'] || '')
    return { columns: m ? Number(m[1]) : null }
  },
  notice_bar: (a) => {
    const css = parseStyle(a.style)
    return { color: colourOrNull(css.color), background_color: colourOrNull(css['background-color']), scrollable: a['data-scrollable'] }
  },
  contact_card: (a, o) => {
    const map = first(o.elements, 'wx-map')
    return { map: map ? { latitude: map.latitude, longitude: map.longitude } : null }
  },
  divider: (a) => {
    const css = parseStyle(a.style)
    return { style: css['border-top-style'], color: colourOrNull(css['border-top-color']), margin_rpx: rpx(css['margin-top']) }
  },
  spacer: (a) => ({ height_rpx: rpx(parseStyle(a.style).height) }),
  video: (a, o) => {
    const v = first(o.elements, 'wx-video') || {}
    return { src: v.src === undefined ? null : v.src, autoplay: v.autoplay === true, loop: v.loop === true, muted: v.muted === true }
  },
  container: (a) => {
    const css = parseStyle(a.style)
    return {
      direction: css['flex-direction'],
      padding_rpx: rpx(css.padding),
      gap_rpx: rpx(css.gap),
      background_color: colourOrNull(css['background-color']),
    }
  },
}

function block(node) {
  const a = attrsOf(node)
  const type = a['data-block-type']
  const o = own(node)
  let text = o.texts.filter((t) => t !== '')
  let images = o.elements
    .filter((e) => e.tagName === 'wx-image')
    .map((e) => {
      const ia = attrsOf(e)
      return { src: ia.src, mode: ia.mode }
    })
  if (type === 'rich_text') {
    const rich = richText(first(o.elements, 'wx-rich-text').nodes)
    text = rich.text
    images = rich.images
  }
  if (type === 'video') {
    const v = first(o.elements, 'wx-video')
    images = v && typeof v.poster === 'string' && v.poster ? [{ src: v.poster, mode: 'poster' }] : []
  }
  const linked = o.elements.map(attrsOf).find((ea) => ea['data-link'] !== undefined)
  const reader = STYLE[type]
  return {
    type,
    text,
    images,
    link: linked ? linkKind(linked['data-link']) : null,
    style: reader ? reader(a, o) : {},
    children: (node.children || []).flatMap(blocks),
  }
}

/** Every top-level block in a rendered tree (a toJSON() node). */
function blocks(node) {
  if (typeof node === 'string') return []
  if (attrsOf(node)['data-block-type'] !== undefined) return [block(node)]
  return (node.children || []).flatMap(blocks)
}

/** The first value of an attribute anywhere in the tree. */
function findAttr(node, name) {
  if (typeof node === 'string') return undefined
  const a = attrsOf(node)
  if (a[name] !== undefined) return a[name]
  for (const c of node.children || []) {
    const v = findAttr(c, name)
    if (v !== undefined) return v
  }
  return undefined
}

/** A page's outline from its rendered tree: the title the page shell carries, the blocks. */
function pageOutline(tree) {
  return { title: findAttr(tree, 'data-title'), blocks: blocks(tree) }
}

/** Every element of the tree, in document order. */
function elements(node, out = []) {
  if (typeof node === 'string') return out
  out.push(node)
  for (const c of node.children || []) elements(c, out)
  return out
}

/** Every text node of the tree, in document order. */
function texts(node, out = []) {
  if (typeof node === 'string') {
    out.push(node)
    return out
  }
  for (const c of node.children || []) texts(c, out)
  return out
}

module.exports = { blocks, pageOutline, parseStyle, attrsOf, elements, texts, findAttr }
