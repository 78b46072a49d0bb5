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
