// @ts-check
const { clampInt } = require('../../lib/style')
const { follow, preview } = require('../../lib/link-behavior')

Component({
  properties: { block: { type: Object, value: {} } },
  data: {
    slides: /** @type {Array<{src: string, link: string | null, caption: string}>} */ ([]),
    autoplay: true,
    interval: 4000,
    height: 400,
  },
  observers: {
    /** @param {any} b */
    block(b) {
      const slides = Array.isArray(b.slides) ? b.slides : []
      this.setData({
        slides: slides.map((/** @type {any} */ s) => ({
          src: typeof s.src === 'string' ? s.src : '',
          link: typeof s.link === 'string' && s.link ? s.link : null,
          caption: typeof s.caption === 'string' ? s.caption : '',
        })),
        autoplay: b.autoplay !== false,
        interval: clampInt(b.interval_ms, 4000, 1000, 10000),
        height: clampInt(b.height_rpx, 400, 100, 1500),
      })
    },
  },
  methods: {
    /**
     * A slide with a link follows it; without, the slides open as a gallery.
     * @param {WechatMiniprogram.BaseEvent} e
     */
    onSlideTap(e) {
      const slide = this.data.slides[Number(e.currentTarget.dataset.index)]
      if (!slide) return
      if (slide.link) follow(slide.link)
      else preview(this.data.slides.map((s) => s.src), slide.src)
    },
  },
})
