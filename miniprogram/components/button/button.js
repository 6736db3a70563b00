// @ts-check
const { oneOf } = require('../../lib/style')
const { linkBehavior } = require('../../lib/link-behavior')

const STYLES = /** @type {const} */ (['primary', 'default', 'plain'])

Component({
  behaviors: [linkBehavior],
  properties: { block: { type: Object, value: {} } },
  data: { text: '', link: '', type: 'primary', plain: false, full: false },
  observers: {
    /** @param {any} b */
    block(b) {
      const style = oneOf(b.style, STYLES)
      this.setData({
        text: typeof b.text === 'string' ? b.text : '',
        link: typeof b.link === 'string' ? b.link : '',
        // WeChat's button: type primary|default, plain for an outlined one.
        type: style === 'default' ? 'default' : 'primary',
        plain: style === 'plain',
        full: b.block === true,
      })
    },
  },
})
