import { Form, Modal } from 'antd';
import type { ReactNode } from 'react';
import { useAction } from './useLoad.ts';

/**
 * A form in a dialog: OK submits it, the OK button spins while the server works, a refusal is
 * shown as its message and keeps the dialog open, and a success clears the form for next time.
 */
export function FormModal<T extends object>({
  title,
  okText = '保存',
  open,
  onClose,
  onSubmit,
  initialValues,
  testId,
  children,
}: {
  title: ReactNode;
  okText?: string;
  open: boolean;
  onClose: () => void;
  onSubmit: (values: T) => Promise<void>;
  initialValues?: Partial<T>;
  testId?: string;
  children: ReactNode;
}) {
  const [form] = Form.useForm<T>();
  const [busy, run] = useAction();
  return (
    <Modal
      title={title}
      open={open}
      onCancel={onClose}
      okText={okText}
      confirmLoading={busy}
      destroyOnHidden
      onOk={() => form.submit()}
    >
      <Form<T>
        form={form}
        layout="vertical"
        data-testid={testId}
        initialValues={initialValues}
        onFinish={(values) =>
          run(async () => {
            await onSubmit(values);
            form.resetFields();
          })
        }
      >
        {children}
      </Form>
    </Modal>
  );
}
