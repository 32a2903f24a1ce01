/**
 * The Lambda crates this app deploys and the backend each one talks to. Routes are not listed here:
 * they come from schemas/openapi.yaml, whose integrations name these crates.
 */
export type Backend = 'redshift' | 'aurora';

export const CRATES: Readonly<Record<string, Backend>> = {
  'redshift-count': 'redshift',
  'staff-get': 'aurora',
  'staff-post': 'aurora',
  'staff-put': 'aurora',
};

/** `staff-get` -> `StaffGet`, for construct ids. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
