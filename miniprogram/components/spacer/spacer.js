// @ts-check
const { clampInt } = require('../../lib/style')

Component({
  properties: { block: { type: Object, value: {} } },
  data: { height: 0 },
  observers: {
    /** @param {any} b */
    block(b) {
      this.setData({ height: clampInt(b.height_rpx, 0, 0, 1000) })
    },
  },
})
