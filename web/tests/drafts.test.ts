import { beforeEach, describe, expect, it } from 'vitest'
import { forgetLocal, loadLocal, saveLocal } from '@/drafts'
import { emptyDraft } from '@/rules'

describe('drafts kept in this browser', () => {
  beforeEach(() => localStorage.clear())

  it('keeps each person’s text apart and forgets it once the server has it', () => {
    saveLocal('u1', null, { ...emptyDraft(), title: '张的标题' })
    saveLocal('u2', null, { ...emptyDraft(), title: '李的标题' })
    saveLocal('u1', 'r9', { ...emptyDraft(), title: '修改中' })
    expect(loadLocal('u1', null)?.draft.title).toBe('张的标题')
    expect(loadLocal('u2', null)?.draft.title).toBe('李的标题')
    expect(loadLocal('u1', 'r9')?.draft.title).toBe('修改中')
    forgetLocal('u1', null)
    expect(loadLocal('u1', null)).toBeNull()
    expect(loadLocal('u1', 'r9')).not.toBeNull()
  })
})
