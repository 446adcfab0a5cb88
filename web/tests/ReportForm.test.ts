import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import ReportFormView from '@/views/ReportFormView.vue'
import { useSession } from '@/stores/session'

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

async function mountForm() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const session = useSession()
  session.me = { id: 'me-1', username: 'zhang', display_name: '张三', roles: ['member'], unit_ids: [],
    must_change_password: false }
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/reports/new', component: ReportFormView },
    { path: '/reports/:id', component: { template: '<p>详情</p>' } },
    { path: '/reports/:id/edit', component: ReportFormView },
  ] })
  router.push('/reports/new')
  await router.isReady()
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
})
