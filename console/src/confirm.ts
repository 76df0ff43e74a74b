// Confirmation before destructive actions, in the chosen language.
import { ElMessage, ElMessageBox } from 'element-plus'
import { api } from './api'
import { t } from './i18n'

/** Asks "Delete {what}? This cannot be undone."; true when confirmed. */
export async function confirmDelete(what: string, action = t('common.delete')): Promise<boolean> {
  try {
    await ElMessageBox.confirm(t('common.confirmDelete', { what }), t('common.confirmTitle'), {
      type: 'warning',
      confirmButtonText: action,
      cancelButtonText: t('common.cancel'),
    })
    return true
  } catch {
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
  if (!(await confirmDelete(what, action))) return false
  try {
    await api.del(path)
    ElMessage.success(done)
    return true
  } catch (e) {
    ElMessage.error((e as Error).message)
    return false
  }
}
