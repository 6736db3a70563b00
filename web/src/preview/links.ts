/** What a link is, as the fixtures' outline spells it (miniprogram/lib/links.js `linkKind`). */
export interface LinkKind {
  kind: 'page' | 'url' | 'phone' | 'map' | 'miniprogram';
  target: string;
}

export function linkKind(link: unknown): LinkKind | null {
  if (typeof link !== 'string' || link === '') return null;
  if (link.startsWith('pages/') && link.length > 'pages/'.length) return { kind: 'page', target: link.slice('pages/'.length) };
  if (/^https:\/\/[^\s]+$/i.test(link)) return { kind: 'url', target: link };
  if (/^tel:./i.test(link)) return { kind: 'phone', target: link.slice(4) };
  if (/^geo:./i.test(link)) return { kind: 'map', target: link.slice(4) };
  if (/^miniprogram:./i.test(link)) return { kind: 'miniprogram', target: link.slice('miniprogram:'.length) };
  return null;
}
