// @ts-check
/**
 * The agency's code template. Every merchant's mini-program runs this code with its own
 * ext.json; what it shows is data from the client API (see api/).
 */
const { getClient } = require('./api/index')

App({
  onLaunch() {
    // Warm the app config (theme, tabs) while the first page starts.
    getClient().loadApp()
    this.watchForNewCode()
  },

  /** A released new version of this code: offer to restart into it. */
  watchForNewCode() {
    if (typeof wx.getUpdateManager !== 'function') return
    const manager = wx.getUpdateManager()
    manager.onUpdateReady(() => {
      wx.showModal({
        title: '更新提示',
        content: '新版本已经准备好，是否重启应用？',
        success(res) {
          if (res.confirm) manager.applyUpdate()
        },
      })
    })
  },
})
