// Confirmation before destructive actions, in the chosen language.
import { ElMessageBox } from 'element-plus'
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
