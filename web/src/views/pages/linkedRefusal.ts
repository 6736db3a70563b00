/**
 * The pages a 409 `page_linked` names (`details.linked_from`): published pages whose links
 * would break if the pages went offline. Shown so the merchant knows which to change or
 * take offline together, instead of only the server's sentence.
 */
import { ApiProblem } from '@/api/problem';

export interface LinkingPage {
  pageId: string;
  slug: string;
  title: string;
}

/** The distinct linking pages of a `page_linked` refusal, or null for any other error. */
export function linkingPages(e: unknown): LinkingPage[] | null {
  if (!(e instanceof ApiProblem) || e.code !== 'page_linked') return null;
  const raw = (e.details as { linked_from?: unknown } | null | undefined)?.linked_from;
  const out = new Map<string, LinkingPage>();
  if (Array.isArray(raw)) {
    for (const l of raw as Array<Record<string, unknown>>) {
      if (l && typeof l.page_id === 'string' && !out.has(l.page_id)) {
        out.set(l.page_id, { pageId: l.page_id, slug: String(l.slug ?? ''), title: String(l.title ?? l.slug ?? '') });
      }
    }
  }
  return [...out.values()];
}
