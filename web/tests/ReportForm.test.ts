import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ReportFormView from '@/views/ReportFormView.vue'
import { pageAt } from './pages'

afterEach(() => vi.unstubAllGlobals())

function problem(status: number, errors: Record<string, string[]>) {
  return new Response(JSON.stringify({ type: 'about:blank', title: 'Invalid fields', status,
    detail: 'some fields are invalid', errors }), { status, headers: { 'Content-Type': 'application/problem+json' } })
}

/** The message each form item shows, by its label (the browser tests see them drawn). */
function fieldErrors(wrapper: ReturnType<typeof mount>): Record<string, string> {
  const found: Record<string, string> = {}
  for (const item of wrapper.findAllComponents({ name: 'ElFormItem' })) {
    const error = item.props('error') as string | undefined
    if (error) {
      expect(item.classes()).toContain('is-error')
      found[item.props('label') as string] = error
    }
  }
  return found
}

async function mountForm(address = '/reports/new') {
  const { pinia, router } = await pageAt(address, [
    { path: '/reports/new', component: ReportFormView },
    { path: '/reports/:id', component: { template: '<p>详情</p>' } },
    { path: '/reports/:id/edit', component: ReportFormView },
  ], { id: 'me-1', username: 'zhang', display_name: '张三', roles: ['member'], unit_ids: [],
    must_change_password: false })
  const wrapper = mount(ReportFormView, { global: { plugins: [pinia, router] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}

describe('the report form', () => {
  it('shows the server’s field errors at their fields and keeps the text', async () => {
    localStorage.clear()
    const fetch = vi.fn(async () => problem(422, { situation: ['最多 1500 字。'] }))
    vi.stubGlobal('fetch', fetch)
    const wrapper = await mountForm()
    fetch.mockClear()  // the year's topics and my commissions, asked for at the start
    await wrapper.find('#f-title').setValue('关于加强农村饮水安全保障的建议')
    await wrapper.find('#f-situation').setValue('山村饮水困难。')
    const save = wrapper.findAll('button').find((b) => b.text() === '保存草稿')!
    await save.trigger('click')
    await flushPromises()
    const request = (fetch.mock.calls[0] as unknown[])[0] as Request
    expect(request.method).toBe('POST')
    expect(request.headers.get('Idempotency-Key')).toBeTruthy()
    expect(fieldErrors(wrapper)).toEqual({ 情况: '最多 1500 字。' })
    expect(wrapper.text()).toContain('请按提示修改标注的内容')
    expect((wrapper.find('#f-title').element as HTMLInputElement).value).toBe('关于加强农村饮水安全保障的建议')
    wrapper.unmount()
  })

  it('counts the title against the rule of 60, and flags a longer one', async () => {
    localStorage.clear()
    vi.stubGlobal('fetch', vi.fn(async () => problem(500, {})))
    const wrapper = await mountForm()
    await wrapper.find('#f-title').setValue('关于加强农村饮水安全保障的建议')
    expect(wrapper.find('#f-title-hint .count').text()).toBe('15/60')
    expect(wrapper.find('#f-title-hint .count').classes()).not.toContain('over')
    await wrapper.find('#f-title').setValue('长'.repeat(65))
    expect(wrapper.find('#f-title-hint .count').text()).toBe('65/60')
    expect(wrapper.find('#f-title-hint .count').classes()).toContain('over')
    wrapper.unmount()
  })

  it('checks the content rules before sending anything', async () => {
    localStorage.clear()
    const fetch = vi.fn(async () => problem(500, {}))
    vi.stubGlobal('fetch', fetch)
    const wrapper = await mountForm()
    fetch.mockClear()
    await wrapper.find('#f-title').setValue('短')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(fetch).not.toHaveBeenCalled()
    const errors = fieldErrors(wrapper)
    expect(errors.标题).toBe('标题应为5至60个字，现为1个字')
    expect(errors.类别).toBe('请选择类别')
    expect(errors.情况).toBe('请填写情况')
    expect(wrapper.text()).toContain('还有内容不符合要求')
    wrapper.unmount()
  })

  it('answers the commission it was opened from, with the commission’s topic', async () => {
    localStorage.clear()
    const json = (body: unknown, status = 200) => new Response(JSON.stringify(body),
      { status, headers: { 'Content-Type': 'application/json' } })
    const fetch = vi.fn(async (request: Request) => {
      if (request.url.includes('/topics')) {
        return json({ items: [{ id: 't1', year: 2026, title: '县域养老服务', description: '', created_by: 'e',
          created_at: '2026-12-01T00:00:00Z', reports: 0 }] })
      }
      if (request.url.includes('/commissions')) {
        return json({ total: 1, items: [{ id: 'c1', person_id: 'me-1', person_name: '张三', unit_id: null,
          unit_name: null, title: '农村互助养老', note: '', due_on: '2026-12-20', topic_id: 't1',
          topic_title: '县域养老服务', created_by: 'e', created_at: '2026-12-01T00:00:00Z', state: 'open',
          answered_by: null, answered_at: null }] })
      }
      return problem(422, { title: ['标题应为5至60个字。'] })
    })
    vi.stubGlobal('fetch', fetch)
    const wrapper = await mountForm('/reports/new?commission=c1')
    // The choices' lists are drawn only when opened; what is chosen still reads as words.
    const shown = (id: string) => wrapper.find(id).element.closest('.el-select')?.textContent?.trim()
    expect(shown('#f-topic')).toBe('县域养老服务')
    expect(shown('#f-commission')).toContain('农村互助养老')
    expect(document.querySelector('.el-select-dropdown')).toBeNull()
    await wrapper.find('#f-title').setValue('关于发展农村互助养老的建议')
    await wrapper.findAll('button').find((b) => b.text() === '保存草稿')!.trigger('click')
    await flushPromises()
    const sent = fetch.mock.calls.map((call) => call[0] as Request).find((r) => r.method === 'POST')!
    const body = JSON.parse(await sent.text())
    expect(body.commission_id).toBe('c1')
    expect(body.topic_id).toBe('t1')
    wrapper.unmount()
  })
})
