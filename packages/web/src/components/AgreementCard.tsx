/**
 * 银行代扣 on the person page: the agreement card (masked), its holder, earlier cards with why they
 * were closed, and the year's debit results with what to do about a failure; the clerk opens an
 * agreement or changes a closed or frozen card from here. Laid out for a phone at the door too.
 */
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Empty,
  Form,
  Grid,
  Input,
  Select,
  Space,
  Table,
  Tag,
} from 'antd';
import { useState } from 'react';
import { api } from '../api.ts';
import { yuan } from '../format.ts';
import { ID_NUMBER_RULE } from '../rules.ts';
import { useSession } from '../session.tsx';
import { FormModal } from './FormModal.tsx';
import { rowTestId } from './testid.ts';
import { useLoad } from './useLoad.ts';

interface AgreementView {
  id: number;
  bank: string;
  cardMasked: string;
  holderName: string;
  holderIdNumberMasked: string | null;
  validFrom: string;
  validTo: string | null;
  closeReason: string | null;
}

export interface PersonWithholding {
  benefitYear: number | null;
  current: AgreementView | null;
  closed: AgreementView[];
  sharedWith: { personId: number; name: string }[];
  enrollment: { id: number; status: string; withhold: boolean } | null;
  items: {
    batchNo: string;
    exportedOn: string;
    cardMasked: string;
    amountFen: number;
    result: 'pending' | 'succeeded' | 'failed' | 'conflict';
    resultLabel: string;
    failureReason: string | null;
    resultOn: string | null;
    cardChanged: boolean;
    advice: string | null;
  }[];
}

interface CardValues {
  bank: string;
  cardNumber: string;
  holderName: string;
  holderIdNumber?: string;
  reason?: string;
  alsoFor?: number[];
}

const RESULT_COLORS: Record<string, string> = {
  pending: 'processing',
  succeeded: 'success',
  failed: 'error',
  conflict: 'warning',
};

/** Reasons a clerk gives most when changing a card (she may type another). */
const CHANGE_REASONS = ['卡已注销', '卡被冻结', '卡片挂失', '更换持卡人', '更换开户银行'];

function AgreementModal({
  personId,
  personName,
  current,
  sharedWith,
  open,
  onClose,
  onDone,
}: {
  personId: number;
  personName: string;
  current: AgreementView | null;
  sharedWith: PersonWithholding['sharedWith'];
  open: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const { message } = App.useApp();
  return (
    <FormModal<CardValues>
      title={current ? `更换银行卡（${personName}）` : `开通银行代扣（${personName}）`}
      okText={current ? '更换' : '开通'}
      open={open}
      onClose={onClose}
      testId="agreement-form"
      initialValues={{
        holderName: current?.holderName ?? personName,
        reason: current ? '卡已注销' : undefined,
        alsoFor: sharedWith.map((m) => m.personId),
      }}
      onSubmit={async (values) => {
        const answer = await api.post<{
          pendingBatches: string[];
          agreement: { cardMasked: string };
          alsoFor: { name: string }[];
        }>(`/api/people/${personId}/agreement`, {
          bank: values.bank.trim(),
          cardNumber: values.cardNumber.trim(),
          holderName: values.holderName.trim(),
          holderIdNumber: values.holderIdNumber?.trim().toUpperCase() || undefined,
          reason: values.reason?.trim() || undefined,
          alsoFor: current ? values.alsoFor : undefined,
        });
        const others = answer.alsoFor.length
          ? `（同时为 ${answer.alsoFor.map((m) => m.name).join('、')}）`
          : '';
        message.success(
          answer.pendingBatches.length > 0
            ? `已更换为 ${answer.agreement.cardMasked}${others}；批次 ${answer.pendingBatches.join('、')} 仍按原卡扣款，之后的批次从新卡扣款`
            : `代扣卡已设为 ${answer.agreement.cardMasked}${others}，下一批次从此卡扣款`,
        );
        onDone();
      }}
    >
      <Form.Item name="bank" label="开户银行" rules={[{ required: true, message: '请输入开户银行' }]}>
        <Input data-testid="agreement-bank" placeholder="如 中国农业银行宿州分行" />
      </Form.Item>
      <Form.Item
        name="cardNumber"
        label="银行卡号"
        rules={[
          { required: true, message: '请输入银行卡号' },
          { pattern: /^[\d\s-]{10,40}$/, message: '银行卡号应为 10–30 位数字' },
        ]}
      >
        <Input data-testid="agreement-card-number" inputMode="numeric" maxLength={40} />
      </Form.Item>
      <Form.Item
        name="holderName"
        label="持卡人姓名"
        rules={[{ required: true, message: '请输入持卡人姓名' }]}
      >
        <Input data-testid="agreement-holder" />
      </Form.Item>
      <Form.Item
        name="holderIdNumber"
        label="持卡人身份证号码（持卡人为他人时填写）"
        rules={[ID_NUMBER_RULE]}
      >
        <Input data-testid="agreement-holder-id" maxLength={18} />
      </Form.Item>
      {current && (
        <Form.Item
          name="reason"
          label={`更换原因（原卡 ${current.cardMasked} 将终止）`}
          rules={[{ required: true, message: '请填写更换原因' }]}
        >
          <Select
            data-testid="agreement-reason"
            showSearch
            options={CHANGE_REASONS.map((r) => ({ value: r, label: r }))}
          />
        </Form.Item>
      )}
      {current && sharedWith.length > 0 && (
        <Form.Item name="alsoFor" label="同一张卡还为以下家庭成员代扣，一并更换：">
          <Checkbox.Group
            data-testid="agreement-also-for"
            options={sharedWith.map((m) => ({ value: m.personId, label: m.name }))}
          />
        </Form.Item>
      )}
    </FormModal>
  );
}

export function AgreementCard({ personId, personName }: { personId: number; personName: string }) {
  const { can } = useSession();
  const phone = Grid.useBreakpoint().md === false;
  const [editing, setEditing] = useState(false);
  const { data, loading, reload } = useLoad(
    (signal) => api.get<PersonWithholding>(`/api/people/${personId}/agreement`, { signal }),
    [personId],
  );
  const current = data?.current ?? null;
  const latest = data?.items[0];
  const action = can('people.write') && data && (
    <Button
      size="small"
      type={latest?.result === 'failed' && !latest.cardChanged ? 'primary' : 'default'}
      onClick={() => setEditing(true)}
      data-testid="agreement-button"
    >
      {current ? '更换银行卡' : '开通代扣'}
    </Button>
  );
  return (
    <Card
      size="small"
      title="银行代扣"
      loading={loading && !data}
      extra={phone ? null : action}
      data-testid="agreement-card"
    >
      {phone && action && <div style={{ marginBottom: 8 }}>{action}</div>}
      <Space orientation="vertical" size="small" style={{ width: '100%' }}>
        {latest?.result === 'failed' && (
          <Alert
            type={latest.cardChanged ? 'info' : 'warning'}
            showIcon
            data-testid="agreement-failure"
            title={`${latest.resultOn ?? ''} 扣款失败：${latest.failureReason ?? '未说明原因'}`}
            description={latest.advice}
          />
        )}
        {current ? (
          <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
            <Descriptions.Item label="开户银行">{current.bank}</Descriptions.Item>
            <Descriptions.Item label="银行卡号">
              <span data-testid="agreement-current-card">{current.cardMasked}</span>
            </Descriptions.Item>
            <Descriptions.Item label="持卡人">
              {current.holderName}
              {current.holderIdNumberMasked ? `（${current.holderIdNumberMasked}）` : ''}
            </Descriptions.Item>
            <Descriptions.Item label="生效日期">{current.validFrom}</Descriptions.Item>
            <Descriptions.Item label={`${data?.benefitYear ?? ''} 年度代扣`}>
              {data?.enrollment ? (
                data.enrollment.withhold ? (
                  <Tag color="green">已申请代扣</Tag>
                ) : (
                  <Tag>未申请代扣（自行缴费）</Tag>
                )
              ) : (
                '无参保记录'
              )}
            </Descriptions.Item>
          </Descriptions>
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="未签订银行代扣协议" />
        )}
        {data && data.items.length > 0 && (
          <Table
            size="small"
            rowKey={(i) => `${i.batchNo}`}
            dataSource={data.items}
            pagination={false}
            scroll={{ x: 'max-content' }}
            data-testid="agreement-items"
            onRow={(i) => rowTestId(`agreement-item-${i.batchNo}`)}
            columns={[
              { title: '批次号', dataIndex: 'batchNo' },
              { title: '卡号', dataIndex: 'cardMasked' },
              { title: '应扣', dataIndex: 'amountFen', align: 'right', render: (v: number) => yuan(v) },
              {
                title: '结果',
                dataIndex: 'resultLabel',
                render: (label: string, i) => <Tag color={RESULT_COLORS[i.result]}>{label}</Tag>,
              },
              { title: '失败原因', dataIndex: 'failureReason', render: (v: string | null) => v ?? '—' },
              { title: '扣款日期', dataIndex: 'resultOn', render: (v: string | null) => v ?? '—' },
            ]}
          />
        )}
        {data && data.closed.length > 0 && (
          <Table
            size="small"
            rowKey="id"
            dataSource={data.closed}
            pagination={false}
            scroll={{ x: 'max-content' }}
            title={() => '历史代扣卡'}
            data-testid="agreement-history"
            columns={[
              { title: '开户银行', dataIndex: 'bank' },
              { title: '卡号', dataIndex: 'cardMasked' },
              { title: '持卡人', dataIndex: 'holderName' },
              {
                title: '使用期间',
                dataIndex: 'validFrom',
                render: (from: string, a) => `${from} 至 ${a.validTo ?? ''}`,
              },
              { title: '终止原因', dataIndex: 'closeReason', render: (v: string | null) => v ?? '—' },
            ]}
          />
        )}
      </Space>
      <AgreementModal
        personId={personId}
        personName={personName}
        current={current}
        sharedWith={data?.sharedWith ?? []}
        open={editing}
        onClose={() => setEditing(false)}
        onDone={() => {
          setEditing(false);
          reload();
        }}
      />
    </Card>
  );
}
