// @ts-check
const { clampInt } = require('../../lib/style')
const { follow, preview } = require('../../lib/link-behavior')

Component({
  properties: { block: { type: Object, value: {} } },
  data: {
    tiles: /** @type {Array<{src: string, link: string | null, label: string}>} */ ([]),
    columns: 2,
    tileSize: 343,
  },
  observers: {
    /** @param {any} b */
    block(b) {
      const tiles = Array.isArray(b.tiles) ? b.tiles : []
      const columns = clampInt(b.columns, 2, 1, 6)
      this.setData({
        tiles: tiles.map((/** @type {any} */ t) => ({
          src: typeof t.src === 'string' ? t.src : '',
          link: typeof t.link === 'string' && t.link ? t.link : null,
          label: typeof t.label === 'string' ? t.label : '',
        })),
        columns,
        // 750rpx less the grid's 24rpx sides and 16rpx gaps, shared by the columns.
        tileSize: Math.floor((750 - 48 - 16 * (columns - 1)) / columns),
      })
    },
  },
  methods: {
    /**
     * A tile with a link follows it; without, the tiles open as a gallery.
     * @param {WechatMiniprogram.BaseEvent} e
     */
    onTileTap(e) {
      const tile = this.data.tiles[Number(e.currentTarget.dataset.index)]
      if (!tile) return
      if (tile.link) follow(tile.link)
      else preview(this.data.tiles.map((t) => t.src), tile.src)
    },
  },
})
