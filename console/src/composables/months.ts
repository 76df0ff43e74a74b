// Figures over the last N months from the API (`?months=N`): the answer, loading and
// error state, loaded on mount and again when N changes.
import { onMounted, ref, watch, type Ref } from 'vue'
import { api } from '../api'

export function useMonths<T>(path: string, initial = 12) {
  const months = ref(initial)
  const data = ref(null) as Ref<T | null>
  const error = ref('')
  const loading = ref(false)

  async function load() {
    loading.value = true
    try {
      data.value = await api.get<T>(path, { months: months.value })
      error.value = ''
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      loading.value = false
    }
  }
  onMounted(load)
  watch(months, load)
  return { months, data, error, loading, load }
}
