import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from '@/stores/session'
import { useDisplay } from '@/stores/display'
import { MAY } from '@/api/words'

declare module 'vue-router' {
  interface RouteMeta {
    title: string
    public?: boolean
    roles?: readonly string[]
    /** Its label in the main navigation, which lists such routes in the order below. */
    nav?: string
    /** In the phone menu only (on a wide screen it is the name at the right). */
    menuOnly?: boolean
    /** Its label among the tabs of 管理 (the children of /admin). */
    tab?: string
  }
}

// Who may open a page: the server's own table (api/words.ts), as its routes check it.
const AUTHORS = MAY.write_reports
const ENTERERS = MAY.enter_on_behalf
const EDITORS = MAY.review

// Every page is its own chunk, loaded when first opened.
export const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('@/views/LoginView.vue'), meta: { title: '登录', public: true } },
  { path: '/', component: () => import('@/views/DeskView.vue'), meta: { title: '我的工作台', nav: '工作台' } },
  { path: '/reports', component: () => import('@/views/ReportsView.vue'), meta: { title: '社情民意信息', nav: '信息列表' } },
  { path: '/reports/new', component: () => import('@/views/ReportFormView.vue'), meta: { title: '撰写信息', roles: AUTHORS, nav: '撰写信息' } },
  { path: '/reports/enter', component: () => import('@/views/ReportFormView.vue'), meta: { title: '代录信息', roles: ENTERERS, nav: '代录' } },
  // The author, or whoever entered it for them (代录), revises a draft or a returned report.
  { path: '/reports/:id/edit', component: () => import('@/views/ReportFormView.vue'), meta: { title: '修改信息', roles: MAY.create_reports } },
  { path: '/reports/:id', component: () => import('@/views/ReportView.vue'), meta: { title: '信息详情' } },
  { path: '/review', component: () => import('@/views/ReviewQueueView.vue'), meta: { title: '审核', roles: EDITORS, nav: '审核' } },
  { path: '/review/:id', component: () => import('@/views/ReviewCaseView.vue'), meta: { title: '审核信息', roles: EDITORS } },
  { path: '/handoffs', component: () => import('@/views/HandoffsView.vue'), meta: { title: '转办事项', roles: MAY.see_handoffs, nav: '转办' } },
  { path: '/issues', component: () => import('@/views/IssuesView.vue'), meta: { title: '刊物', roles: EDITORS, nav: '刊物' } },
  { path: '/issues/:id', component: () => import('@/views/IssueView.vue'), meta: { title: '编排刊物', roles: EDITORS } },
  { path: '/notices', component: () => import('@/views/NoticesView.vue'), meta: { title: '通知公告', nav: '公告' } },
  { path: '/notices/:id', component: () => import('@/views/NoticeView.vue'), meta: { title: '通知公告' } },
  { path: '/topics', component: () => import('@/views/TopicsView.vue'), meta: { title: '年度选题', nav: '选题' } },
  { path: '/commissions', component: () => import('@/views/CommissionsView.vue'), meta: { title: '约稿', roles: EDITORS } },
  { path: '/inbox', component: () => import('@/views/InboxView.vue'), meta: { title: '通知', nav: '通知' } },
  { path: '/scores', component: () => import('@/views/ScoresView.vue'), meta: { title: '我的积分', nav: '积分' } },
  { path: '/bulletins', component: () => import('@/views/BulletinsView.vue'), meta: { title: '通报', nav: '通报' } },
  { path: '/awards', component: () => import('@/views/AwardsView.vue'), meta: { title: '表彰' } },
  { path: '/bulletins/:period', component: () => import('@/views/BulletinView.vue'), meta: { title: '通报' } },
  {
    path: '/admin',
    component: () => import('@/components/AdminLayout.vue'),
    redirect: '/admin/users',
    meta: { title: '管理', nav: '管理', roles: MAY.manage_directory },
    children: [
      { path: 'users', component: () => import('@/views/admin/UsersView.vue'), meta: { title: '用户管理', tab: '用户', roles: MAY.manage_directory } },
      { path: 'units', component: () => import('@/views/admin/UnitsView.vue'), meta: { title: '单位管理', tab: '单位', roles: MAY.manage_directory } },
      { path: 'import', component: () => import('@/views/admin/ImportView.vue'), meta: { title: '名册导入', tab: '名册导入', roles: MAY.manage_directory } },
      { path: 'backlog', component: () => import('@/views/admin/BacklogImportView.vue'), meta: { title: '往期信息导入', tab: '往期信息', roles: MAY.import_reports } },
      { path: 'rules', component: () => import('@/views/admin/RulesView.vue'), meta: { title: '积分规则', tab: '积分规则', roles: MAY.manage_scoring } },
      { path: 'quotas', component: () => import('@/views/admin/QuotasView.vue'), meta: { title: '报送任务', tab: '报送任务', roles: MAY.manage_scoring } },
      { path: 'links', component: () => import('@/views/admin/LinksView.vue'), meta: { title: '上下级联网', tab: '联网', roles: MAY.manage_federation } },
      { path: 'webhooks', component: () => import('@/views/admin/WebhooksView.vue'), meta: { title: '推送地址', tab: '推送地址', roles: MAY.manage_notifications } },
      { path: 'deliveries', component: () => import('@/views/admin/DeliveriesView.vue'), meta: { title: '发送记录', tab: '发送记录', roles: MAY.manage_notifications } },
      { path: 'appeals', component: () => import('@/views/admin/AppealsView.vue'), meta: { title: '积分申诉与调整', tab: '积分申诉', roles: MAY.review } },
      { path: 'audit', component: () => import('@/views/admin/AuditView.vue'), meta: { title: '审计日志', tab: '审计日志', roles: MAY.read_audit } },
    ],
  },
  { path: '/me', component: () => import('@/views/MeView.vue'), meta: { title: '个人设置', nav: '个人设置', menuOnly: true } },
  { path: '/password', component: () => import('@/views/PasswordView.vue'), meta: { title: '修改密码' } },
  { path: '/forbidden', component: () => import('@/views/MessageView.vue'), meta: { title: '没有权限' }, props: { kind: 'forbidden' } },
  { path: '/:rest(.*)*', component: () => import('@/views/MessageView.vue'), meta: { title: '页面不存在' }, props: { kind: 'missing' } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach(async (to) => {
  const session = useSession()
  if (!session.checked) {
    try {
      await session.load()
    } catch {
      // The server did not answer: the login page says so when it is tried.
    }
    useDisplay().useFor(session.me?.id)
  }
  if (to.meta.public) return session.me && to.path === '/login' ? '/' : true
  if (!session.me) return { path: '/login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  // After an admin's reset the person chooses a new password before anything else.
  if (session.me.must_change_password && to.path !== '/password') return '/password'

  if (to.meta.roles && !session.has(...to.meta.roles)) return { path: '/forbidden', query: { from: to.fullPath } }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title} · 民意`
})
