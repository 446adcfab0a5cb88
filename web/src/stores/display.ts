import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

// 大字模式 (docs/web.md, elder-friendly): remembered per person on this device.
export const useDisplay = defineStore('display', () => {
  const bigText = ref(false)
  let owner = ''

  function keyOf(userId: string) {
    return `minyi.big-text.${userId}`
  }
  function apply() {
    document.documentElement.classList.toggle('big-text', bigText.value)
  }
  function useFor(userId: string | null | undefined) {
    owner = userId ?? ''
    bigText.value = owner ? localStorage.getItem(keyOf(owner)) === '1' : false
    apply()
  }
  watch(bigText, (on) => {
    if (owner) localStorage.setItem(keyOf(owner), on ? '1' : '0')
    apply()
  })
  return { bigText, useFor }
})
