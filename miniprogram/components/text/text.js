// @ts-check
const { colour, oneOf, css } = require('../../lib/style')

const SIZES = /** @type {const} */ (['medium', 'small', 'large'])
const ALIGNS = /** @type {const} */ (['left', 'center', 'right'])

Component({
  properties: { block: { type: Object, value: {} } },
  data: { text: '', size: 'medium', style: '' },
  observers: {
    /** @param {any} b */
    block(b) {
      this.setData({
        text: typeof b.text === 'string' ? b.text : '',
        size: oneOf(b.size, SIZES),
        style: css([
          ['text-align', oneOf(b.align, ALIGNS)],
          ['font-weight', b.bold === true ? 'bold' : 'normal'],
          ['color', colour(b.color)],
        ]),
      })
    },
  },
})
