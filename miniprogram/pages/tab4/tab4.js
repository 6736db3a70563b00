// @ts-check
/** Fixed tab page 4: shows the slug of the merchant's tab 4 (custom-tab-bar draws the bar). */
const { pageBehavior } = require('../../lib/page-behavior')

Component({
  behaviors: [pageBehavior],
  data: { tabIndex: 4 },
})
