/**
 * This year's rules as loaded from the notice, each with the clauses it comes from (expand a rule
 * to read the clause text), so "why does this person pay 40 yuan?" is answered with the source.
 */
import { Card, Collapse, Empty, Skeleton, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api.ts';
import { SearchBox } from '../components/SearchBox.tsx';
import { useLoad } from '../components/useLoad.ts';

interface PolicyEntry {
  key: string;
  section?: string;
  /** The rule in words (older answers call it title). */
  text: string;
  title?: string;
  cite?: string;
  clause?: string;
  clauses?: { key: string; ref: string; text: string }[];
}

interface PolicyAnswer {
  id: string;
  title: string;
  /** The policy's region: a name, or { code, name }. */
  region: string | { code: string; name: string };
  benefitYear: number;
  entries: PolicyEntry[];
}

function matches(e: PolicyEntry, filter: string): boolean {
  if (!filter) return true;
  const haystack = [
    e.section,
    e.text,
    e.title,
    e.cite,
    e.clause,
    ...(e.clauses ?? []).map((c) => `${c.ref}${c.text}`),
  ];
  return haystack.some((t) => t?.includes(filter));
}

export default function Policy() {
  const { data, loading } = useLoad((signal) => api.get<PolicyAnswer>('/api/policy', { signal }), []);
  const [filter, setFilter] = useState('');
  if (loading && !data) return <Skeleton active />;
  if (!data) return <Empty description="没有本年度政策" />;
  const entries = data.entries.filter((e) => matches(e, filter));
  const sections = [...new Set(entries.map((e) => e.section ?? '规则'))];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {data.title}
      </Typography.Title>
      <Typography.Text type="secondary">
        {typeof data.region === 'string' ? data.region : data.region.name} · {data.benefitYear} 年度 · 共{' '}
        {data.entries.length} 条规则
      </Typography.Text>
      <SearchBox
        placeholder="查找规则（如 低保、新生儿、缴费期）"
        buttonText="查找"
        onSearch={setFilter}
        style={{ maxWidth: 420 }}
        testId="policy-search"
      />
      {sections.map((section) => (
        <Card key={section} size="small" title={section}>
          <Collapse
            data-testid="policy-rules"
            items={entries
              .filter((e) => (e.section ?? '规则') === section)
              .map((e) => ({
                key: e.key,
                label: (
                  <span>
                    {e.title ?? e.text} {(e.cite ?? e.clause) && <Tag color="blue">{e.cite ?? e.clause}</Tag>}
                  </span>
                ),
                children: (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    {e.title && <Typography.Paragraph style={{ margin: 0 }}>{e.text}</Typography.Paragraph>}
                    {(e.clauses ?? []).map((c) => (
                      <Typography.Paragraph key={c.key} style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
                        <Tag>{c.ref}</Tag>
                        {c.text}
                      </Typography.Paragraph>
                    ))}
                    {(e.clauses ?? []).length === 0 && !e.title && (
                      <Typography.Text type="secondary">没有条款原文</Typography.Text>
                    )}
                  </Space>
                ),
              }))}
          />
        </Card>
      ))}
    </Space>
  );
}
