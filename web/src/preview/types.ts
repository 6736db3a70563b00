/** A rendered page as the client API serves it (fixtures/rendered/page-*.json). */
export interface RenderedPage {
  slug?: string;
  title: string;
  route?: string;
  version?: number;
  navigation_bar?: Record<string, unknown>;
  components: RenderedBlock[];
}

/** One rendered component: its id and type, its props flattened beside them. */
export interface RenderedBlock {
  id: string;
  type: string;
  children?: RenderedBlock[];
  [prop: string]: unknown;
}
