import { UploadOutlined } from '@ant-design/icons';
import { Button, Progress, Space, Upload } from 'antd';
import { useState } from 'react';
import { ApiError, upload } from '../api.ts';
import { useAction } from './useLoad.ts';

/**
 * Picks a file and sends it at once, with the given form fields before it (the server reads the
 * fields first), showing the upload's progress: the bank's result file or the tax office's
 * confirmation file, as they arrive.
 */
export function FileButton<T>({
  path,
  label,
  fields = {},
  accept = '.xlsx,.csv',
  testId,
  onDone,
  onError,
}: {
  path: string;
  label: string;
  fields?: Record<string, string>;
  accept?: string;
  testId?: string;
  onDone: (answer: T) => void;
  /** The server's refusal, for a page that shows it in place (a file's row errors run to many lines). */
  onError?: (error: ApiError) => void;
}) {
  const [busy, run] = useAction();
  const [percent, setPercent] = useState(0);
  return (
    <Space>
      <Upload
        accept={accept}
        showUploadList={false}
        data-testid={testId}
        beforeUpload={(file) => {
          const form = new FormData();
          for (const [key, value] of Object.entries(fields)) form.append(key, value);
          form.append('file', file, file.name);
          setPercent(0);
          run(async () => {
            try {
              onDone(await upload<T>(path, form, setPercent));
            } catch (error) {
              if (!onError || !(error instanceof ApiError) || error.status === 401) throw error;
              onError(error);
            }
          });
          // The upload is ours (with progress and the CSRF header), not the component's.
          return false;
        }}
      >
        <Button icon={<UploadOutlined />} loading={busy}>
          {label}
        </Button>
      </Upload>
      {busy && <Progress percent={percent} size="small" style={{ width: 120 }} />}
    </Space>
  );
}
