// @ts-check
/**
 * What a page shows in each state: loading, the rendered components (with a quiet notice
 * when it is a stored copy or a draft preview), the suspended screen (message and a call
 * button), not found (a way home) and the offline retry screen. Buttons raise `retry` and
 * `home` for the page; the call button dials the contact itself.
 */
Component({
  properties: {
    status: { type: String, value: 'loading' },
    title: { type: String, value: '' },
    blocks: { type: Array, value: [] },
    notice: { type: String, value: '' },
    noticeText: { type: String, value: '' },
    suspended: { type: Object, value: /** @type {any} */ (null) },
    background: { type: String, value: '' },
    tabbed: { type: Boolean, value: false },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
    onHome() {
      this.triggerEvent('home')
    },
    onCall() {
      const s = /** @type {any} */ (this.data.suspended)
      if (s && s.phone) wx.makePhoneCall({ phoneNumber: s.phone })
    },
  },
})
