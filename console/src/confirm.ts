// Confirmation before actions that change things, and the messages after them, in the
// chosen language.
import { ElMessage, ElMessageBox } from 'element-plus'
import { api } from './api'
import { t } from './i18n'

/** Asks `message` with a button `action`; true when confirmed. */
export async function confirmAction(message: string, action: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, t('common.confirmTitle'), {
      type: 'warning',
      confirmButtonText: action,
      cancelButtonText: t('common.cancel'),
    })
    return true
  } catch {
    return false
  }
}

/** Asks "Delete {what}? This cannot be undone."; true when confirmed. */
export function confirmDelete(what: string, action = t('common.delete')): Promise<boolean> {
  return confirmAction(t('common.confirmDelete', { what }), action)
}

/**
 * Runs `f`, then says `done` (when given), or shows the server's error. True when `f`
 * succeeded; never throws.
 */
export async function attempt(f: () => Promise<unknown>, done?: string): Promise<boolean> {
  try {
    await f()
    if (done) ElMessage.success(done)
    return true
  } catch (e) {
    ElMessage.error((e as Error).message)
    return false
  }
}

/**
 * Confirms, then sends DELETE to `path` and says it is done (or shows the server's
 * error). True when deleted.
 */
export async function confirmAndDelete(
  what: string,
  path: string,
  action = t('common.delete'),
  done = t('common.deleted'),
): Promise<boolean> {
  return (await confirmDelete(what, action)) && attempt(() => api.del(path), done)
}
