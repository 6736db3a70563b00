// @ts-check
const { colour, clampInt, oneOf, css } = require('../../lib/style')

const STYLES = /** @type {const} */ (['solid', 'dashed', 'dotted'])

Component({
  properties: { block: { type: Object, value: {} } },
  data: { style: '' },
  observers: {
    /** @param {any} b */
    block(b) {
      const margin = clampInt(b.margin_rpx, 16, 0, 200)
      this.setData({
        style: css([
          ['border-top-width', '1px'],
          ['border-top-style', oneOf(b.style, STYLES)],
          ['border-top-color', colour(b.color)],
          ['margin-top', `${margin}rpx`],
          ['margin-bottom', `${margin}rpx`],
        ]),
      })
    },
  },
})
