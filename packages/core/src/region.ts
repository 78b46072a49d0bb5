/**
 * Region codes: 6-digit county-level codes (GB/T 2260), 9-digit township and 12-digit village
 * statistical codes. A code's level follows from its shape; its county from its first six digits.
 */
export type RegionCodeLevel = 'province' | 'city' | 'county' | 'township' | 'village';

export function regionCodeLevel(code: string): RegionCodeLevel | null {
  if (/^\d{12}$/.test(code)) return 'village';
  if (/^\d{9}$/.test(code)) return 'township';
  if (!/^\d{6}$/.test(code) || code.startsWith('00')) return null;
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'city';
  return 'county';
}

/** The county (pooling region) a township or village code belongs to. */
export function countyOfRegion(code: string): string | null {
  const level = regionCodeLevel(code);
  return level === 'county' || level === 'township' || level === 'village' ? code.slice(0, 6) : null;
}

/** The code of the level above, from the shape alone (village → township → county → city → province). */
export function parentRegionCode(code: string): string | null {
  switch (regionCodeLevel(code)) {
    case 'village':
      return code.slice(0, 9);
    case 'township':
      return code.slice(0, 6);
    case 'county':
      return `${code.slice(0, 4)}00`;
    case 'city':
      return `${code.slice(0, 2)}0000`;
    default:
      return null;
  }
}
