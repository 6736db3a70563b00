/**
 * The outline (fixtures/README.md) read from what the preview RENDERED — the DOM — never
 * from the page JSON; the same rules as the mini-program's extractor
 * (miniprogram/tests/helpers/outline.js). A block is an element with `data-block-type`;
 * its text, images and link come from its own subtree up to nested blocks, which become
 * its children. Console chrome (`data-outline-skip`) is not page content.
 */
import { linkKind, type LinkKind } from './links';

export interface OutlineImage {
  src: string;
  mode: string;
}

export interface OutlineBlock {
  type: string;
  text: string[];
  images: OutlineImage[];
  link: LinkKind | null;
  style: Record<string, unknown>;
  children: OutlineBlock[];
}

export interface Outline {
  title: string | null;
  blocks: OutlineBlock[];
}

function isBlock(el: Element): boolean {
  return el.hasAttribute('data-block-type');
}

function skipped(el: Element): boolean {
  return el.hasAttribute('data-outline-skip');
}

/** The element's own subtree up to nested blocks: text nodes and elements, in order. */
function own(root: Element): { texts: string[]; elements: Element[] } {
  const texts: string[] = [];
  const elements: Element[] = [];
  const visit = (node: Node, top: boolean): void => {
    if (node.nodeType === 3) {
      texts.push(node.nodeValue ?? '');
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node as Element;
    if (skipped(el) || (!top && isBlock(el))) return;
    elements.push(el);
    for (const child of Array.from(el.childNodes)) visit(child, false);
  };
  visit(root, true);
  return { texts, elements };
}

/** '160px' in the 375 px frame → 320 rpx. */
function rpxOf(css: string): number {
  const m = /^(-?\d+(?:\.\d+)?)px$/.exec(css.trim());
  if (!m) throw new Error(`expected a px size, got ${JSON.stringify(css)}`);
  return Number(m[1]) * 2;
}

/** A CSS colour as #RRGGBB (browsers hand inline colours back as rgb()); '' → null. */
function colourOf(css: string): string | null {
  const value = css.trim();
  if (!value) return null;
  const m = /^rgba?\(\s*(\d+),\s*(\d+),\s*(\d+)/.exec(value);
  if (m) return `#${[m[1], m[2], m[3]].map((n) => Number(n).toString(16).padStart(2, '0')).join('').toUpperCase()}`;
  return value.toUpperCase();
}

function styleOf(el: Element): CSSStyleDeclaration {
  return (el as HTMLElement).style;
}

function first(elements: Element[], selector: string): Element | null {
  return elements.find((e) => e.matches(selector)) ?? null;
}

const STYLE: Record<string, (el: Element, elements: Element[]) => Record<string, unknown>> = {
  text: (el) => {
    const s = styleOf(el);
    return { size: el.getAttribute('data-size'), align: s.textAlign, color: colourOf(s.color), bold: s.fontWeight === 'bold' };
  },
  button: (_el, elements) => {
    const btn = first(elements, 'button')!;
    return { style: btn.getAttribute('data-style'), block: btn.getAttribute('data-block') === 'true' };
  },
  carousel: (_el, elements) => {
    const swiper = first(elements, '[data-autoplay]')!;
    return {
      height_rpx: rpxOf(styleOf(swiper).height),
      autoplay: swiper.getAttribute('data-autoplay') === 'true',
      interval_ms: Number(swiper.getAttribute('data-interval')),
    };
  },
  image_grid: (el) => {
    const m = /repeat\(\s*(\d+)\s*,/.exec(styleOf(el).gridTemplateColumns || '');
    return { columns: m ? Number(m[1]) : Number(el.getAttribute('data-columns')) };
  },
  notice_bar: (el) => {
    const s = styleOf(el);
    return { color: colourOf(s.color), background_color: colourOf(s.backgroundColor), scrollable: el.getAttribute('data-scrollable') === 'true' };
  },
  contact_card: (_el, elements) => {
    const map = first(elements, '[data-latitude]');
    return { map: map ? { latitude: Number(map.getAttribute('data-latitude')), longitude: Number(map.getAttribute('data-longitude')) } : null };
  },
  divider: (el) => {
    const s = styleOf(el);
    return { style: s.borderTopStyle, color: colourOf(s.borderTopColor), margin_rpx: rpxOf(s.marginTop) };
  },
  spacer: (el) => ({ height_rpx: rpxOf(styleOf(el).height) }),
  video: (_el, elements) => {
    const v = first(elements, 'video') as HTMLVideoElement | null;
    if (!v) return { src: null, autoplay: false, loop: false, muted: false };
    return { src: v.getAttribute('src'), autoplay: v.getAttribute('data-autoplay') === 'true', loop: v.loop, muted: v.muted };
  },
  container: (el) => {
    const s = styleOf(el);
    return {
      direction: s.flexDirection,
      padding_rpx: rpxOf(s.padding),
      gap_rpx: rpxOf(s.gap),
      background_color: colourOf(s.backgroundColor),
    };
  },
};

/** Blocks nested in an element's subtree (outside skipped chrome), outermost first. */
function blocksWithin(el: Element): OutlineBlock[] {
  const out: OutlineBlock[] = [];
  for (const child of Array.from(el.children)) {
    if (skipped(child)) continue;
    if (isBlock(child)) out.push(block(child));
    else out.push(...blocksWithin(child));
  }
  return out;
}

function block(el: Element): OutlineBlock {
  const type = el.getAttribute('data-block-type') ?? '';
  const o = own(el);
  let text = o.texts.filter((t) => t !== '');
  let images: OutlineImage[] = o.elements
    .filter((e) => e.tagName === 'IMG')
    .map((e) => ({ src: e.getAttribute('src') ?? '', mode: e.getAttribute('data-mode') ?? '' }));
  if (type === 'video') {
    const v = first(o.elements, 'video');
    const poster = v?.getAttribute('poster');
    images = poster ? [{ src: poster, mode: 'poster' }] : [];
  }
  if (type === 'rich_text') text = o.texts.filter((t) => t !== '');
  const linked = o.elements.find((e) => e.hasAttribute('data-link'));
  const reader = STYLE[type];
  return {
    type,
    text,
    images,
    link: linked ? linkKind(linked.getAttribute('data-link')) : null,
    style: reader ? reader(el, o.elements) : {},
    children: blocksWithin(el),
  };
}

/** A page's outline from a rendered phone frame (or any element holding blocks). */
export function pageOutline(root: Element): Outline {
  const framed = root.matches('[data-title]') ? root : root.querySelector('[data-title]');
  return { title: framed?.getAttribute('data-title') ?? null, blocks: blocksWithin(root) };
}
