// The alarm sound: a short beep (Web Audio, no file), higher and repeated for severe
// alarms; on or off per browser, remembered.
import { ref, watch } from 'vue'

const KEY = 'ironloom.alarmSound'
export const soundOn = ref(localStorage.getItem(KEY) === 'on')
watch(soundOn, (v) => localStorage.setItem(KEY, v ? 'on' : 'off'))

let ctx: AudioContext | undefined

export function beep(severity: string) {
  try {
    ctx ??= new AudioContext()
    const severe = severity === 'critical' || severity === 'major'
    const times = severe ? 3 : 1
    for (let i = 0; i < times; i++) {
      const osc = ctx.createOscillator()
      const gain = ctx.createGain()
      osc.frequency.value = severe ? 880 : 660
      gain.gain.value = 0.1
      osc.connect(gain).connect(ctx.destination)
      const at = ctx.currentTime + i * 0.25
      osc.start(at)
      osc.stop(at + 0.15)
    }
  } catch {
    // No audio here (or not allowed yet): the list and the badge still show it.
  }
}
