// The API's objects, as far as the console reads them.
export interface DeviceStatus {
  online: boolean
  last_seen_at: string | null
  last_connected_at: string | null
  last_disconnected_at: string | null
}

export interface Device {
  id: string
  tenant_id: string
  product_id: string
  name: string
  label: string | null
  description: string | null
  tags: string[]
  groups: string[]
  attributes: Record<string, unknown>
  status: DeviceStatus
  created_at: string
  updated_at: string
  version: number
}

export interface Product {
  id: string
  tenant_id: string
  name: string
  product_key: string
  description: string | null
  industry: string | null
  category: string
  kind: string | null
  protocol: string
  thing_model: ThingModel
  created_at: string
  updated_at: string
  version: number
}

export interface ThingModel {
  properties?: Array<Record<string, unknown> & { identifier: string; name: string }>
  events?: Array<Record<string, unknown> & { identifier: string; name: string }>
  services?: Array<Record<string, unknown> & { identifier: string; name: string }>
}

export interface Alarm {
  id: string
  tenant_id: string
  device_id: string
  alarm_type: string
  severity: string
  active: boolean
  acknowledged: boolean
  start_ts: string
  last_ts: string
  end_ts: string | null
  count: number
  details: Record<string, unknown>
  rule_id?: string | null
  ack_ts?: string | null
  ack_by?: string | null
  ack_comment?: string | null
  clear_by?: string | null
  clear_comment?: string | null
}

export interface AlarmCounts {
  critical: number
  major: number
  minor: number
  warning: number
  indeterminate: number
  unacknowledged: number
}

export interface DeviceGroup {
  id: string
  tenant_id: string
  name: string
  description: string | null
  device_count: number
  created_at: string
  updated_at: string
}
