// The form-level server message: shown as an error alert when there is one (with the
// attributes the form gives it), nothing otherwise.
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import FormError from '@/components/FormError.vue';

describe('FormError', () => {
  it('shows the message as an error alert, keeping the test id the form gives it', () => {
    const wrapper = mount(FormError, { props: { message: '服务暂不可用，请稍后再试。' }, attrs: { 'data-testid': 'form-error' } });
    expect(wrapper.find('[data-testid="form-error"]').exists()).toBe(true);
    const alert = wrapper.find('.el-alert');
    expect(alert.classes()).toContain('el-alert--error');
    expect(alert.text()).toContain('服务暂不可用，请稍后再试。');
  });

  it('renders nothing without a message', () => {
    for (const message of [null, undefined, '']) {
      const wrapper = mount(FormError, { props: { message } });
      expect(wrapper.find('.el-alert').exists()).toBe(false);
    }
  });
});
