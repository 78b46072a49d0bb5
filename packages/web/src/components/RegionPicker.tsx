import { TreeSelect } from 'antd';
import { useMemo } from 'react';
import { api } from '../api.ts';
import { useLoad } from './useLoad.ts';

export interface Region {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
}

interface TreeNode {
  value: string;
  title: string;
  children: TreeNode[];
}

/** The regions in the user's scope as a tree (county → township → village). */
export function RegionPicker({
  value,
  onChange,
  testId,
  style,
  id,
  placeholder = '全部（本人管辖范围）',
}: {
  placeholder?: string;
  /** Given by a Form.Item, so its label points at the picker. */
  id?: string;
  value?: string;
  /** Optional so that a Form.Item can supply value and onChange itself. */
  onChange?: (code: string | undefined) => void;
  testId?: string;
  style?: React.CSSProperties;
}) {
  const { data } = useLoad((signal) => api.get<Region[]>('/api/regions', { signal }), []);
  const tree = useMemo(() => {
    const nodes = new Map<string, TreeNode>();
    for (const r of data ?? []) nodes.set(r.code, { value: r.code, title: r.name, children: [] });
    const roots: TreeNode[] = [];
    for (const r of data ?? []) {
      const node = nodes.get(r.code) as TreeNode;
      const parent = r.parentCode ? nodes.get(r.parentCode) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }, [data]);
  return (
    <TreeSelect
      id={id}
      style={{ minWidth: 220, ...style }}
      value={value}
      onChange={(code: string | undefined) => onChange?.(code)}
      treeData={tree}
      placeholder={placeholder}
      allowClear
      showSearch={{ treeNodeFilterProp: 'title' }}
      treeDefaultExpandedKeys={tree.map((n) => n.value)}
      data-testid={testId}
    />
  );
}
