/**
 * Rich text as the mini-program's `rich-text` nodes, converted to and from an editable
 * DOM. Only the server's allowlist (src/domain/rich_text.rs) survives: unknown tags are
 * unwrapped (their text kept), attributes other than a link's href and an image's
 * src/alt are dropped — the browser's editing commands add styles the phone need not get.
 */
export type RichNode = { type: 'text'; text: string } | { name: string; attrs?: Record<string, string>; children?: RichNode[] };

export const RICH_TAGS = new Set(
  'a abbr b blockquote br code del div em h1 h2 h3 h4 h5 h6 hr i img ins li ol p pre q s small span strong sub sup table tbody td th thead tr u ul'.split(' '),
);
const KEPT_ATTRS: Record<string, string[]> = { a: ['href'], img: ['src', 'alt'] };
const VOID = new Set(['br', 'hr', 'img']);

/** Builds DOM nodes for rich-text nodes (createElement and text nodes: no HTML parsing). */
export function nodesToDom(nodes: unknown, doc: Document, depth = 0): Node[] {
  if (!Array.isArray(nodes) || depth > 16) return [];
  const out: Node[] = [];
  for (const node of nodes as Record<string, unknown>[]) {
    if (!node || typeof node !== 'object') continue;
    if (node.type === 'text') {
      out.push(doc.createTextNode(typeof node.text === 'string' ? node.text : ''));
      continue;
    }
    const name = typeof node.name === 'string' ? node.name.toLowerCase() : '';
    if (!RICH_TAGS.has(name)) continue;
    const el = doc.createElement(name);
    const attrs = node.attrs && typeof node.attrs === 'object' ? (node.attrs as Record<string, unknown>) : {};
    for (const key of KEPT_ATTRS[name] ?? []) {
      const v = attrs[key];
      if (typeof v === 'string') el.setAttribute(key, v);
    }
    for (const child of nodesToDom(node.children, doc, depth + 1)) el.appendChild(child);
    out.push(el);
  }
  return out;
}

/** Reads rich-text nodes back from an edited element's children. */
export function domToNodes(parent: Node, depth = 0): RichNode[] {
  const out: RichNode[] = [];
  for (const child of Array.from(parent.childNodes)) {
    if (child.nodeType === 3) {
      const text = child.nodeValue ?? '';
      if (text !== '') out.push({ type: 'text', text });
      continue;
    }
    if (child.nodeType !== 1) continue;
    const el = child as Element;
    const name = el.tagName.toLowerCase();
    if (!RICH_TAGS.has(name) || depth >= 15) {
      out.push(...domToNodes(el, depth));
      continue;
    }
    const node: { name: string; attrs?: Record<string, string>; children?: RichNode[] } = { name };
    const attrs: Record<string, string> = {};
    for (const key of KEPT_ATTRS[name] ?? []) {
      const v = el.getAttribute(key);
      if (v !== null) attrs[key] = v;
    }
    if (Object.keys(attrs).length) node.attrs = attrs;
    if (!VOID.has(name)) node.children = domToNodes(el, depth + 1);
    out.push(node);
  }
  return out;
}
