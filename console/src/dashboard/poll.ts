// A dashboard's data, fetched now and then again every `refresh_s` seconds while the
// page is open (one request at a time; a failed one keeps the last data and shows the
// error until the next succeeds).
import { onBeforeUnmount, ref, shallowRef } from 'vue'
import { DataIndex, type DashboardData } from './model'

export function useDashboardData(fetch: () => Promise<DashboardData>) {
  const index = shallowRef<DataIndex | null>(null)
  const error = ref('')
  const updated = ref<number | null>(null)
  let timer: ReturnType<typeof setInterval> | undefined
  let busy = false

  async function load() {
    if (busy) return
    busy = true
    try {
      index.value = new DataIndex(await fetch())
      updated.value = Date.now()
      error.value = ''
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      busy = false
    }
  }

  function every(seconds: number) {
    if (timer) clearInterval(timer)
    void load()
    timer = setInterval(() => void load(), Math.max(1, seconds) * 1000)
  }

  function stop() {
    if (timer) clearInterval(timer)
    timer = undefined
  }

  onBeforeUnmount(stop)
  return { index, error, updated, load, every, stop }
}
