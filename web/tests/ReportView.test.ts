import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ReportView from '@/views/ReportView.vue'
import { json, pageAt } from './pages'

afterEach(() => vi.unstubAllGlobals())

const REPORT = {
  id: 'r-1', title: '关于加强农村饮水安全保障的建议', situation: '情况', analysis: '分析', suggestions: '建议',
  category: 'rural', status: 'adopted', author_id: 'me-1', co_author_ids: [], unit_id: null,
  history: [], outcomes: [{ id: 'o-1', kind: 'instructed', level: 'county', date: '2026-12-01', leader: '县长' }],
}

describe('the report page', () => {
  it('asks for its own report’s files even when the person has moved on meanwhile', async () => {
    // The member opens a report and goes to 通知 before its answers are in: the requests
    // still on their way once carried /reports/undefined/... (a 404 in the console).
    const { pinia, router } = await pageAt('/reports/r-1', [
      { path: '/reports/:id', component: ReportView },
      { path: '/inbox', component: { template: '<p>通知</p>' } },
    ], { id: 'me-1', username: 'zhang', display_name: '张三', roles: ['member'], unit_ids: [],
      must_change_password: false })
    let answerReport: () => void = () => {}
    const asked: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (request: Request) => {
      asked.push(new URL(request.url).pathname)
      if (request.url.endsWith('/reports/r-1')) {
        await new Promise<void>((resolve) => { answerReport = resolve })
        return json(REPORT)
      }
      return json({ items: [], total: 0, page: 1, page_size: 50 })
    }))
    const wrapper = mount(ReportView, { global: { plugins: [pinia, router] } })
    await flushPromises()
    await router.push('/inbox')
    answerReport()
    await flushPromises()
    expect(asked).toContain('/api/v1/reports/r-1/outcome-attachments')
    expect(asked.filter((path) => path.includes('undefined'))).toEqual([])
    wrapper.unmount()
  })
})
