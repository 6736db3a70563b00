import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick } from 'vue';
import { mount } from '@vue/test-utils';
import { ElForm, ElInput } from 'element-plus';
import { ApiProblem } from '@/api/problem';
import FieldItem from '@/components/FieldItem.vue';
import {
  createServerErrors,
  isWithin,
  messageAtField,
  normalizeFieldPath,
  provideServerErrors,
} from '@/composables/serverErrors';
import { stepOfField } from '@/views/agency/provision';

function validationFailed(field: string, message: string): ApiProblem {
  return new ApiProblem({ status: 422, code: 'validation_failed', message, details: { field, reason: 'x' } });
}

describe('field paths', () => {
  it('normalizes dot, bracket and pointer forms', () => {
    expect(normalizeFieldPath('contract.milestones')).toBe('contract.milestones');
    expect(normalizeFieldPath('contract.milestones[1].amount_fen')).toBe('contract.milestones.1.amount_fen');
    expect(normalizeFieldPath('/contract/milestones/1/amount_fen')).toBe('contract.milestones.1.amount_fen');
    expect(normalizeFieldPath("terms['client_rps']")).toBe('terms.client_rps');
    expect(normalizeFieldPath('terms.client_rps')).toBe('terms.client_rps');
    // The settings name their fields as pointers without the leading slash.
    expect(normalizeFieldPath('tab_bar/items/0/page_id')).toBe('tab_bar.items.0.page_id');
    expect(normalizeFieldPath('theme/navigation_bar/text_style')).toBe('theme.navigation_bar.text_style');
  });

  it('knows what lies within a field', () => {
    expect(isWithin('contract.milestones[0].due_date', 'contract.milestones')).toBe(true);
    expect(isWithin('contract.milestones', 'contract.milestones')).toBe(true);
    expect(isWithin('contract.milestones_total', 'contract.milestones')).toBe(false);
  });
});

describe('server errors of a form', () => {
  it('marks the field a 422 names, with the server message', () => {
    const errors = createServerErrors();
    const marked = errors.apply(validationFailed('contract.milestones', '各期金额之和须等于合同金额'), 'fallback');
    expect(marked).toBe('contract.milestones');
    expect(errors.errorFor('contract.milestones')).toBe('各期金额之和须等于合同金额');
    expect(errors.errorFor('contract.start_date')).toBeUndefined();
    expect(errors.formError.value).toBeNull();
  });

  it("shows the server's reason at the field without repeating the field's internal name", () => {
    const errors = createServerErrors();
    errors.apply(validationFailed('new_password', 'Field new_password is invalid: must be at least 10 characters long'), 'x');
    expect(errors.errorFor('new_password')).toBe('Must be at least 10 characters long');
    errors.apply(validationFailed('contract.milestones', '字段 contract.milestones 无效：各期金额之和 100 分须等于合同金额 200 分'), 'x');
    expect(errors.errorFor('contract.milestones')).toBe('各期金额之和 100 分须等于合同金额 200 分');
    // A message about another field, or without the lead-in, is shown as it is.
    expect(messageAtField('Field other is invalid: nope', 'new_password')).toBe('Field other is invalid: nope');
    expect(messageAtField('用户名已被占用', 'username')).toBe('用户名已被占用');
  });

  it('marks the field a 409 names (a taken username)', () => {
    const errors = createServerErrors();
    errors.apply(
      new ApiProblem({ status: 409, code: 'already_exists', message: '已存在', details: { field: 'merchant_admin_username' } }),
      'x',
    );
    expect(errors.errorFor('merchant_admin_username')).toBe('已存在');
  });

  it('finds row errors within a list field', () => {
    const errors = createServerErrors();
    errors.apply(validationFailed('contract.milestones[1].amount_fen', 'must be greater than 0'), 'fallback');
    expect(errors.errorWithin('contract.milestones.1')).toBe('must be greater than 0');
    expect(errors.errorWithin('contract.milestones.0')).toBeUndefined();
    expect(errors.errorFor('contract.milestones.1.amount_fen')).toBe('must be greater than 0');
  });

  it('puts errors without a field on the form, and replaces earlier ones', () => {
    const errors = createServerErrors();
    errors.apply(validationFailed('terms.client_rps', 'too high'), 'fallback');
    errors.apply(new ApiProblem({ status: 409, code: 'already_exists', message: 'taken' }), 'fallback');
    expect(errors.errorFor('terms.client_rps')).toBeUndefined();
    expect(errors.formError.value).toBe('taken');
    errors.apply(new TypeError('boom'), 'Something went wrong');
    expect(errors.formError.value).toBe('Something went wrong');
  });

  it('sends a wizard error to the step that holds the field', () => {
    expect(stepOfField('business_name')).toBe(0);
    expect(stepOfField('contact.phone')).toBe(0);
    expect(stepOfField('plan_id')).toBe(1);
    expect(stepOfField('account_manager_id')).toBe(1);
    expect(stepOfField('contract.milestones')).toBe(2);
    expect(stepOfField('contract.milestones[0].due_date')).toBe(2);
    expect(stepOfField('appid')).toBe(3);
    expect(stepOfField('something_else')).toBe(3);
  });

  it('shows the message at the FieldItem with that path, and only there', async () => {
    const errors = createServerErrors();
    const Form = defineComponent({
      setup() {
        provideServerErrors(errors);
        return () =>
          h(ElForm, null, () => [
            h(FieldItem, { label: 'Start', path: 'contract.start_date' }, () => h(ElInput, { modelValue: '' })),
            h(FieldItem, { label: 'Stages', path: 'contract.milestones' }, () => h(ElInput, { modelValue: '' })),
          ]);
      },
    });
    const wrapper = mount(Form);
    errors.apply(validationFailed('contract.milestones', 'the milestones sum to 1 fen but the contract amount is 2 fen'), 'x');
    // Element Plus shows a form item's message after a 100 ms debounce.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await nextTick();
    const stages = wrapper.get('[data-field="contract.milestones"]');
    const start = wrapper.get('[data-field="contract.start_date"]');
    expect(stages.text()).toContain('the milestones sum to 1 fen but the contract amount is 2 fen');
    expect(stages.classes()).toContain('is-error');
    expect(start.text()).not.toContain('milestones');
    expect(start.classes()).not.toContain('is-error');
  });
});
