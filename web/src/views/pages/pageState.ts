/**
 * A page's state as the merchant reads it: draft (never published), published, changed
 * since publish (the draft was edited after the latest version), taken down (by the
 * agency; never served).
 */
export type PageState = 'draft' | 'published' | 'changed' | 'unpublished' | 'taken_down';

export function pageState(
  page: { is_published: boolean; taken_down: boolean; published_version?: number | null; updated_at: string },
  latestPublishedAt: string | null,
): PageState {
  if (page.taken_down) return 'taken_down';
  if (!page.is_published) return page.published_version ? 'unpublished' : 'draft';
  // Publishing stamps the page's updated_at with the version's time; a later edit or
  // restore moves it on.
  if (latestPublishedAt && Date.parse(page.updated_at) > Date.parse(latestPublishedAt)) return 'changed';
  return 'published';
}
