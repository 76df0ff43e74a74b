// The device list as CSV in the columns the bulk import reads (name, product, label,
// description, tags, groups, attr:<key>), so an export can be edited and imported again.
// Credentials are not exported.
import { api, type Page } from './api'
import { toCsv } from './files'
import type { Device, DeviceGroup, Product } from './types'

type Query = Record<string, string | number | boolean | undefined | null>

/** Every device matching `filters`, read a page of 500 at a time. */
async function allDevices(filters: Query): Promise<Device[]> {
  const out: Device[] = []
  for (let page = 1; ; page++) {
    const r = await api.get<Page<Device>>('/devices', { ...filters, page, page_size: 500 })
    out.push(...r.items)
    if (out.length >= r.total || r.items.length === 0) return out
  }
}

export async function devicesCsv(filters: Query, products: Product[]): Promise<string> {
  const [devices, groups] = await Promise.all([
    allDevices(filters),
    api.get<Page<DeviceGroup>>('/device-groups', { page_size: 500 }).then((r) => r.items),
  ])
  const keys = [...new Set(devices.flatMap((d) => Object.keys(d.attributes)))].sort()
  const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v))
  const header = ['name', 'product', 'label', 'description', 'tags', 'groups', ...keys.map((k) => `attr:${k}`)]
  const rows = devices.map((d) => [
    d.name,
    products.find((p) => p.id === d.product_id)?.product_key ?? d.product_id,
    d.label ?? '',
    d.description ?? '',
    d.tags.join(';'),
    d.groups.map((g) => groups.find((x) => x.id === g)?.name ?? g).join(';'),
    ...keys.map((k) => text(d.attributes[k])),
  ])
  return toCsv([header, ...rows])
}
