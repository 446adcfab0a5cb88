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
app.use(router)
whenUnauthorized(() => {
  const session = useSession()
  session.me = null
  const here = router.currentRoute.value
  if (!here.meta.public) router.replace({ path: '/login', query: { next: here.fullPath } })
})
app.mount('#app')
