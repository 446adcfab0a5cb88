import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ReportsView from '@/views/ReportsView.vue'
import { json, pageAt } from './pages'

afterEach(() => vi.unstubAllGlobals())

async function listed(answer: Record<string, unknown>) {
  const { pinia, router } = await pageAt('/reports?q=%E5%81%9C%E8%BD%A6', [
    { path: '/reports', component: ReportsView },
    { path: '/reports/:id', component: { template: '<p>详情</p>' } },
  ], { id: 'e-1', username: 'zhao', display_name: '赵编辑', roles: ['editor'], unit_ids: [],
    must_change_password: false })
  vi.stubGlobal('fetch', vi.fn(async () => json({ items: [], page: 1, page_size: 20, ...answer })))
  const wrapper = mount(ReportsView, { global: { plugins: [pinia, router] } })
  await flushPromises()
  return wrapper
}

describe('the report list', () => {
  it('says a search has more matches than it counted, and how to narrow it', async () => {
    const wrapper = await listed({ total: 1000, total_exact: false })
    expect(wrapper.text()).toContain('超过 1000 篇，可加上条件缩小范围')
    expect(wrapper.text()).not.toContain('共 1000 篇')
    wrapper.unmount()
  })

  it('gives the exact count when it has one', async () => {
    const wrapper = await listed({ total: 37, total_exact: true })
    expect(wrapper.text()).toContain('共 37 篇')
    wrapper.unmount()
  })
})
