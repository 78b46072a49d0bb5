import { FileTextOutlined } from '@ant-design/icons';
import { Card, Col, Row, Skeleton, Typography } from 'antd';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { useLoad } from '../components/useLoad.ts';

interface ReportInfo {
  name: string;
  label: string;
  description: string;
}

export default function Reports() {
  const { data, loading } = useLoad((signal) => api.get<ReportInfo[]>('/api/reports', { signal }), []);
  return (
    <>
      <Typography.Title level={4}>报表与排查名单</Typography.Title>
      {loading && <Skeleton active />}
      <Row gutter={[12, 12]}>
        {(data ?? []).map((r) => (
          <Col key={r.name} xs={24} md={12} xl={8}>
            <Link to={`/reports/${r.name}`} data-testid={`report-link-${r.name}`}>
              <Card size="small" hoverable style={{ height: '100%' }}>
                <Card.Meta
                  avatar={<FileTextOutlined style={{ fontSize: 24 }} />}
                  title={r.label}
                  description={r.description}
                />
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </>
  );
}
