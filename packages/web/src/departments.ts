/** The certifying departments, by the codes the server keeps on accounts and imports. */
export const DEPARTMENTS: Record<string, string> = {
  civil_affairs: '民政',
  rural_revitalisation: '乡村振兴',
  health: '卫健',
  veterans: '退役军人',
  disabled_federation: '残联',
  education: '教育',
  organisation: '组织部',
  human_resources: '人社',
};

export const DEPARTMENT_OPTIONS = Object.entries(DEPARTMENTS).map(([value, label]) => ({ value, label }));

/** Who pays a subsidy (先缴后补 batches are made per funder). */
export const FUNDER_OPTIONS = [
  { value: 'medical_assistance', label: '医疗救助资金' },
  { value: 'finance', label: '财政' },
  { value: 'civil_affairs', label: '民政部门' },
  { value: 'rural_revitalisation', label: '乡村振兴部门' },
  { value: 'health', label: '卫生健康部门' },
  { value: 'veterans', label: '退役军人事务部门' },
  { value: 'disabled_federation', label: '残联' },
];
