// One ECharts instance per component: created on mount in the chosen language, drawn
// again whenever `draw` reads something that changed or the language changes, resized
// with its container, and disposed on unmount.
import { onBeforeUnmount, onMounted, watch, type Ref, type WatchSource } from 'vue'
import * as echarts from 'echarts/core'
import { locale } from '../i18n'

export function useEChart(el: Ref<HTMLDivElement | undefined>, draw: (chart: echarts.ECharts) => void, sources: WatchSource[]) {
  let chart: echarts.ECharts | undefined
  let observer: ResizeObserver | undefined
  const render = () => {
    if (chart) draw(chart)
  }
  onMounted(() => {
    if (!el.value) return
    chart = echarts.init(el.value, undefined, { locale: locale.value === 'zh-CN' ? 'ZH' : 'EN' })
    render()
    observer = new ResizeObserver(() => chart?.resize())
    observer.observe(el.value)
  })
  onBeforeUnmount(() => {
    observer?.disconnect()
    chart?.dispose()
  })
  watch([...sources, locale], render, { deep: true })
}
