// @ts-check
/** Fixed tab page 0: shows the slug of the merchant's tab 0 (custom-tab-bar draws the bar). */
const { pageBehavior } = require('../../lib/page-behavior')

Component({
  behaviors: [pageBehavior],
  data: { tabIndex: 0 },
})
