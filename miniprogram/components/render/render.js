// @ts-check
/**
 * The renderer: a list of rendered components (page JSON `components`, a container's
 * `children`), each drawn by the component of its `type` through a wx:if chain — a
 * mini-program has no dynamic components. A type this package does not know renders
 * nothing, so an older template never breaks on a newer page. Containers render their
 * children through this component again.
 */
Component({
  options: { virtualHost: true },
  properties: {
    blocks: { type: Array, value: [] },
    /** Inside a row container: the items share the row. */
    row: { type: Boolean, value: false },
  },
})
