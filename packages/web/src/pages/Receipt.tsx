/**
 * The printable receipt for a cash payment: an A5 sheet (print stylesheet in styles.css hides the
 * menu and header), with the amount in words as on a paper receipt book.
 */
import { PrinterOutlined } from '@ant-design/icons';
import { Button, Result, Skeleton, Space } from 'antd';
import { Link, useParams } from 'react-router';
import { api } from '../api.ts';
import { useLoad } from '../components/useLoad.ts';
import { yuan } from '../format.ts';

interface ReceiptAnswer {
  orderId: number | string;
  receiptNo: string;
  collector: string;
  /** The collector's name as the payer knows her (older servers send only the sign-in name). */
  collectorName?: string;
  paidOn: string;
  countyName: string;
  villageName: string | null;
  householdNumber: string | null;
  amountFen: number;
  amountInWords: string;
  lines: {
    name: string;
    idNumberMasked: string;
    amountFen: number;
    benefitStart: string | null;
    benefitEnd: string | null;
  }[];
  policyTitle: string;
}

export default function Receipt() {
  const { orderId = '' } = useParams();
  const { data, loading, error } = useLoad(
    (signal) => api.get<ReceiptAnswer>(`/api/receipts/${encodeURIComponent(orderId)}`, { signal }),
    [orderId],
  );
  if (loading && !data) return <Skeleton active />;
  if (!data) return <Result status="404" title="找不到收据" subTitle={error?.message} />;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space className="no-print" wrap>
        <Button
          type="primary"
          icon={<PrinterOutlined />}
          onClick={() => window.print()}
          data-testid="print-button"
        >
          打印
        </Button>
        <Link to="/collect">
          <Button>继续收缴</Button>
        </Link>
      </Space>
      <div className="receipt" data-testid="receipt">
        <h1>城乡居民基本医疗保险费收款收据</h1>
        <div className="sub">{data.countyName}</div>
        <div className="meta">
          <span>
            收据号：<strong data-testid="receipt-no">{data.receiptNo}</strong>
          </span>
          <span>收款日期：{data.paidOn}</span>
        </div>
        <div className="meta">
          <span>村（社区）：{data.villageName ?? '—'}</span>
          <span>户号：{data.householdNumber ?? '—'}</span>
        </div>
        <table>
          <thead>
            <tr>
              <th>姓名</th>
              <th>证件号码</th>
              <th className="num">金额（元）</th>
              <th>待遇期</th>
            </tr>
          </thead>
          <tbody>
            {data.lines.map((line) => (
              <tr key={`${line.name}-${line.idNumberMasked}`}>
                <td>{line.name}</td>
                <td>{line.idNumberMasked}</td>
                <td className="num">{yuan(line.amountFen, false)}</td>
                <td className="period">
                  {line.benefitStart ? (
                    // Two unbreakable halves: on a phone the period wraps between them, never inside a date.
                    <>
                      <span>{line.benefitStart}</span> <span>至 {line.benefitEnd ?? ''}</span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
            <tr>
              <td colSpan={2}>
                合计（大写）：<strong>{data.amountInWords}</strong>
              </td>
              <td className="num">
                <strong data-testid="receipt-total">{yuan(data.amountFen, false)}</strong>
              </td>
              <td />
            </tr>
          </tbody>
        </table>
        <div>依据：{data.policyTitle}</div>
        <div className="sign">
          <span data-testid="receipt-collector">收款人：{data.collectorName ?? data.collector}</span>
          <span>缴费人签字：＿＿＿＿＿＿</span>
        </div>
      </div>
    </Space>
  );
}
