/**
 * The two things a village clerk records at a household's door: a newborn to register, and the
 * household's decision for next year (enroll or not, bank withholding or not).
 */
import { App, Checkbox, Form, Input, Radio, Select, Switch } from 'antd';
import { api } from '../api.ts';
import { yuan } from '../format.ts';
import { ID_NUMBER_RULE } from '../rules.ts';
import { FormModal } from './FormModal.tsx';

interface NewbornValues {
  name: string;
  idNumber: string;
  sex?: string;
  relation?: string;
}

interface Props {
  householdId: number;
  open: boolean;
  onClose: () => void;
}

export function NewbornModal({
  householdId,
  open,
  onClose,
  onDone,
}: Props & { onDone: (personId: number) => void }) {
  const { message } = App.useApp();
  return (
    <FormModal<NewbornValues>
      title="新增新生儿"
      okText="登记"
      open={open}
      onClose={onClose}
      testId="newborn-form"
      initialValues={{ relation: '子女' }}
      onSubmit={async (values) => {
        const answer = await api.post<{ personId: number; enrollmentId: number; paysFen: number }>(
          `/api/households/${householdId}/newborns`,
          {
            name: values.name.trim(),
            idNumber: values.idNumber.trim().toUpperCase(),
            sex: values.sex,
            relation: values.relation,
          },
        );
        message.success(`已登记，个人应缴 ${yuan(answer.paysFen)}`);
        onDone(answer.personId);
      }}
    >
      <Form.Item name="name" label="姓名" rules={[{ required: true, message: '请输入姓名' }]}>
        <Input data-testid="newborn-name" />
      </Form.Item>
      <Form.Item
        name="idNumber"
        label="身份证号码"
        rules={[{ required: true, message: '请输入身份证号码' }, ID_NUMBER_RULE]}
      >
        <Input data-testid="newborn-id-number" maxLength={18} />
      </Form.Item>
      <Form.Item name="sex" label="性别（不填则按证件号码）">
        <Select
          allowClear
          options={[
            { value: '男', label: '男' },
            { value: '女', label: '女' },
          ]}
        />
      </Form.Item>
      <Form.Item name="relation" label="与户主关系">
        <Select options={['子女', '孙子女', '其他'].map((r) => ({ value: r, label: r }))} />
      </Form.Item>
    </FormModal>
  );
}

interface VerificationValues {
  decision: 'enroll' | 'decline';
  declineReason?: string;
  withhold: boolean;
  members: number[];
  note?: string;
}

/**
 * Why members do not renew, as the clerk meets them at the door: one tap instead of typing, and
 * the same words in every village's notes, so the township can count them.
 */
export const DECLINE_REASONS = [
  '已参加职工医保',
  '已迁出',
  '已死亡',
  '在外地参加居民医保',
  '本人不愿参保',
  '其他',
];

/** The note as stored: the reason first, then what the clerk typed. */
export function verificationNote(values: Pick<VerificationValues, 'decision' | 'declineReason' | 'note'>) {
  const note = values.note?.trim();
  if (values.decision !== 'decline' || !values.declineReason) return note || undefined;
  return `不参保原因：${values.declineReason}${note ? `；${note}` : ''}`;
}

export function VerificationModal({
  householdId,
  members,
  open,
  onClose,
  onDone,
}: Props & {
  /** The household's people; the decision covers the ticked ones (all by default). */
  members: { personId: number; name: string }[];
  onDone: () => void;
}) {
  const { message } = App.useApp();
  return (
    <FormModal<VerificationValues>
      title="入户核实"
      open={open}
      onClose={onClose}
      testId="verification-form"
      initialValues={{ decision: 'enroll', withhold: false, members: members.map((m) => m.personId) }}
      onSubmit={async (values) => {
        await api.post(`/api/households/${householdId}/verifications`, {
          decision: values.decision,
          withhold: values.withhold,
          members: values.members,
          note: verificationNote(values),
        });
        const names = members.filter((m) => values.members.includes(m.personId)).map((m) => m.name);
        message.success(
          `已记录：${names.join('、')} ${values.decision === 'enroll' ? '参保' : `不参保（${values.declineReason}）`}`,
        );
        onDone();
      }}
    >
      <Form.Item name="decision" label="本户意愿" rules={[{ required: true }]}>
        <Radio.Group
          options={[
            { value: 'enroll', label: '参保' },
            { value: 'decline', label: '不参保' },
          ]}
          optionType="button"
        />
      </Form.Item>
      <Form.Item noStyle dependencies={['decision']}>
        {({ getFieldValue }) =>
          getFieldValue('decision') === 'decline' && (
            <Form.Item
              name="declineReason"
              label="不参保原因"
              rules={[{ required: true, message: '请选择不参保原因' }]}
            >
              <Radio.Group
                data-testid="verification-reason"
                options={DECLINE_REASONS.map((r) => ({ value: r, label: r }))}
              />
            </Form.Item>
          )
        }
      </Form.Item>
      <Form.Item name="withhold" label="银行代扣" valuePropName="checked">
        <Switch checkedChildren="代扣" unCheckedChildren="不代扣" />
      </Form.Item>
      <Form.Item name="members" label="涉及成员" rules={[{ required: true, message: '请选择成员' }]}>
        <Checkbox.Group options={members.map((m) => ({ value: m.personId, label: m.name }))} />
      </Form.Item>
      <Form.Item name="note" label="备注（如外出务工地点、职工医保参保单位）">
        <Input.TextArea rows={2} maxLength={200} />
      </Form.Item>
    </FormModal>
  );
}
