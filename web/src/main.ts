import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { whenUnauthorized } from './api/client'
import { useSession } from './stores/session'

const app = createApp(App)
app.use(createPinia())
// On a phone over a slow network each round trip in a row shows: the page's own code is
// fetched while the session is asked for (the router would ask for it after).
for (const record of router.resolve(location.pathname + location.search).matched) {
  const view = record.components?.default
  // A failure is the router's to report when it navigates.
  if (typeof view === 'function') (view as () => Promise<unknown>)().catch(() => {})
}
app.use(router)
whenUnauthorized(() => {
  const session = useSession()
  session.me = null
  const here = router.currentRoute.value
  if (!here.meta.public) router.replace({ path: '/login', query: { next: here.fullPath } })
})
app.mount('#app')
