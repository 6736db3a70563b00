// @ts-check
const { colour, css } = require('../../lib/style')
const { linkBehavior } = require('../../lib/link-behavior')

Component({
  behaviors: [linkBehavior],
  properties: { block: { type: Object, value: {} } },
  data: { text: '', link: /** @type {string | null} */ (null), scrollable: false, style: '' },
  observers: {
    /** @param {any} b */
    block(b) {
      this.setData({
        text: typeof b.text === 'string' ? b.text : '',
        link: typeof b.link === 'string' && b.link ? b.link : null,
        scrollable: b.scrollable === true,
        style: css([
          ['color', colour(b.color) || '#ED6A0C'],
          ['background-color', colour(b.background_color) || '#FFFBE8'],
        ]),
      })
    },
  },
})
