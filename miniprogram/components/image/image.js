// @ts-check
const { oneOf } = require('../../lib/style')
const { linkBehavior, follow, preview } = require('../../lib/link-behavior')

const MODES = /** @type {const} */ (['widthFix', 'aspectFill', 'aspectFit'])

Component({
  behaviors: [linkBehavior],
  properties: { block: { type: Object, value: {} } },
  data: { src: '', mode: 'widthFix', alt: '', link: /** @type {string | null} */ (null) },
  observers: {
    /** @param {any} b */
    block(b) {
      this.setData({
        src: typeof b.src === 'string' ? b.src : '',
        mode: oneOf(b.mode, MODES),
        alt: typeof b.alt === 'string' ? b.alt : '',
        link: typeof b.link === 'string' && b.link ? b.link : null,
      })
    },
  },
  methods: {
    /** A linked image follows its link; a plain one opens full screen. */
    onTap() {
      if (this.data.link) follow(this.data.link)
      else preview([this.data.src], this.data.src)
    },
  },
})
