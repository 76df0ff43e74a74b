// A paged list from the API: its rows, total, loading and error state, and the page
// and page size, which `ListPager` binds to. `search()` goes back to the first page.
import { reactive, ref, type Ref } from 'vue'
import { api, type Page } from '../api'

type Query = Record<string, string | number | boolean | undefined | null>

export function usePaged<T>(path: string, filters: () => Query = () => ({})) {
  const rows = ref([]) as Ref<T[]>
  const total = ref(0)
  const loading = ref(false)
  const error = ref('')
  const paging = reactive({ page: 1, page_size: 20 })

  async function load() {
    loading.value = true
    error.value = ''
    try {
      const r = await api.get<Page<T>>(path, { ...filters(), ...paging })
      rows.value = r.items
      total.value = r.total
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      loading.value = false
    }
  }

  function search() {
    paging.page = 1
    return load()
  }

  return { rows, total, loading, error, paging, load, search }
}
