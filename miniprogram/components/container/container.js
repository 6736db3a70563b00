// @ts-check
const { colour, clampInt, oneOf, css } = require('../../lib/style')

const DIRECTIONS = /** @type {const} */ (['column', 'row'])

Component({
  properties: { block: { type: Object, value: {} } },
  data: { children: /** @type {any[]} */ ([]), row: false, style: '' },
  observers: {
    /** @param {any} b */
    block(b) {
      const direction = oneOf(b.direction, DIRECTIONS)
      this.setData({
        children: Array.isArray(b.children) ? b.children : [],
        row: direction === 'row',
        style: css([
          ['flex-direction', direction],
          ['padding', `${clampInt(b.padding_rpx, 0, 0, 100)}rpx`],
          ['gap', `${clampInt(b.gap_rpx, 0, 0, 100)}rpx`],
          ['background-color', colour(b.background_color)],
        ]),
      })
    },
  },
})
