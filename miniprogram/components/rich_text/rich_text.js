// @ts-check
const IMG_STYLE = 'max-width:100%;height:auto;display:block;'

/**
 * The nodes as <rich-text> takes them, images made to fit the width. Text nodes and
 * element nodes pass through; anything else is dropped.
 * @param {unknown} nodes
 * @param {number} [depth]
 * @returns {any[]}
 */
function fitNodes(nodes, depth = 0) {
  if (!Array.isArray(nodes) || depth > 32) return []
  /** @type {any[]} */
  const out = []
  for (const node of nodes) {
    if (!node || typeof node !== 'object') continue
    if (node.type === 'text') {
      out.push({ type: 'text', text: typeof node.text === 'string' ? node.text : '' })
      continue
    }
    if (typeof node.name !== 'string') continue
    const attrs = node.attrs && typeof node.attrs === 'object' ? { ...node.attrs } : {}
    if (node.name === 'img') attrs.style = IMG_STYLE + (typeof attrs.style === 'string' ? attrs.style : '')
    /** @type {any} */
    const copy = { name: node.name, attrs }
    if (Array.isArray(node.children)) copy.children = fitNodes(node.children, depth + 1)
    out.push(copy)
  }
  return out
}

Component({
  properties: { block: { type: Object, value: {} } },
  data: { nodes: /** @type {any[]} */ ([]) },
  observers: {
    /** @param {any} b */
    block(b) {
      this.setData({ nodes: fitNodes(b.nodes) })
    },
  },
})

module.exports = { fitNodes }
