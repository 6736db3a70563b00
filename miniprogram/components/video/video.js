// @ts-check
Component({
  properties: { block: { type: Object, value: {} } },
  data: { src: '', poster: /** @type {string | null} */ (null), autoplay: false, loop: false, muted: true },
  observers: {
    /** @param {any} b */
    block(b) {
      this.setData({
        src: typeof b.src === 'string' ? b.src : '',
        poster: typeof b.poster === 'string' && b.poster ? b.poster : null,
        autoplay: b.autoplay === true,
        loop: b.loop === true,
        muted: b.muted !== false,
      })
    },
  },
})
