import { describe, expect, it, vi } from 'vitest'
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'
import { useSubmit } from '@/composables/submit'

describe('a form sending', () => {
  it('answers what the server answered and is busy only while it goes', async () => {
    const { busy, errors, run } = useSubmit()
    let seenBusy = false
    const answer = await run(async () => { seenBusy = busy.value; return { id: 'x' } })
    expect(answer).toEqual({ id: 'x' })
    expect(seenBusy).toBe(true)
    expect(busy.value).toBe(false)
    expect(errors.value).toEqual({})
  })

  it('puts field errors at their fields and says anything else once', async () => {
    const say = vi.spyOn(ElMessage, 'error').mockImplementation(() => ({ close() {} }) as never)
    const { errors, run } = useSubmit()
    expect(await run(() => Promise.reject(new ApiError(422, '填写有误', '', { name: ['此项必填。'] })))).toBeUndefined()
    expect(errors.value).toEqual({ name: '此项必填。' })
    expect(say).not.toHaveBeenCalled()
    await run(() => Promise.reject(new ApiError(409, '操作冲突', '另一位编辑刚刚处理了这篇信息，请刷新后再试')))
    expect(errors.value).toEqual({})
    expect(say).toHaveBeenCalledWith('另一位编辑刚刚处理了这篇信息，请刷新后再试。')
    say.mockRestore()
  })
})
