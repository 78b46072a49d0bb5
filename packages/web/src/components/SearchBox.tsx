import { SearchOutlined } from '@ant-design/icons';
import { Button, Input, Space } from 'antd';
import { useState } from 'react';

/**
 * A search field with its button. Ant Design's Input.Search puts extra attributes on its wrapper,
 * so a data-testid there does not reach the text box the browser tests type into; here the test id
 * is on the input and `${testId}-button` on the button.
 */
export function SearchBox({
  defaultValue = '',
  placeholder,
  buttonText = '查询',
  size,
  testId,
  onSearch,
  style,
}: {
  defaultValue?: string;
  placeholder?: string;
  buttonText?: string;
  size?: 'large' | 'middle' | 'small';
  testId?: string;
  onSearch: (value: string) => void;
  style?: React.CSSProperties;
}) {
  const [value, setValue] = useState(defaultValue);
  return (
    <Space.Compact style={{ width: '100%', ...style }}>
      <Input
        value={value}
        size={size}
        allowClear
        placeholder={placeholder}
        enterKeyHint="search"
        onChange={(e) => {
          setValue(e.target.value);
          // Clearing the box with its × shows everything again, as a search for nothing.
          if (e.type === 'click' && e.target.value === '') onSearch('');
        }}
        onPressEnter={() => onSearch(value.trim())}
        data-testid={testId}
      />
      <Button
        type="primary"
        size={size}
        icon={<SearchOutlined />}
        onClick={() => onSearch(value.trim())}
        data-testid={testId ? `${testId}-button` : undefined}
      >
        {buttonText}
      </Button>
    </Space.Compact>
  );
}
