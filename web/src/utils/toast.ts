/** Short notices after an action (Element Plus messages; their CSS is imported here). */
import { ElMessage } from 'element-plus';
import 'element-plus/es/components/message/style/css';

export const toast = {
  success(message: string): void {
    ElMessage({ type: 'success', message, showClose: true, duration: 3000 });
  },
  error(message: string): void {
    ElMessage({ type: 'error', message, showClose: true, duration: 6000 });
  },
  info(message: string): void {
    ElMessage({ type: 'info', message, showClose: true, duration: 4000 });
  },
};
