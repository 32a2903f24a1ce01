import { redshiftRoleName } from './crate-function';
import type { StageConfig } from './stage-config';

/**
 * redshift-count reaches Redshift Serverless with its role's temporary credentials, as the database
 * user `IAMR:<role name>` (Redshift Management Guide, "Authorizing access to the Amazon Redshift Data
 * API"), which has no privileges of its own. The SQL an administrator runs once per stage to let it
 * count the allowed tables.
 */
export function redshiftDatabaseUser(stage: string): string {
  return `IAMR:${redshiftRoleName(stage)}`;
}

/** `CREATE USER` (skip it if the function has already connected once) and the grants, one statement per line. */
export function redshiftGrantSql(config: StageConfig): string[] {
  const user = quote(redshiftDatabaseUser(config.stage));
  // An entry "table" may be in any schema (api-core's ALLOWED_TABLES); it is granted in public.
  const tables = config.redshift.allowedTables.map((entry) => {
    const [schema, table] = entry.includes('.') ? entry.split('.') : ['public', entry];
    return { schema, table };
  });
  const schemas = tables.length > 0 ? [...new Set(tables.map((t) => t.schema))] : ['public'];
  return [
    `CREATE USER ${user} PASSWORD DISABLE;`,
    ...schemas.map((schema) => `GRANT USAGE ON SCHEMA ${quote(schema)} TO ${user};`),
    ...(tables.length > 0
      ? tables.map(({ schema, table }) => `GRANT SELECT ON TABLE ${quote(schema)}.${quote(table)} TO ${user};`)
      : [`GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO ${user};`]),
  ];
}

/** A delimited identifier; the stage schema allows no double quote in these names. */
function quote(identifier: string): string {
  return `"${identifier}"`;
}
