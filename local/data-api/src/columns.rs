//! What both Data APIs report about a result column beyond its name and type: the table it comes
//! from, whether it can be NULL, its precision, scale and length. PostgreSQL's row description names
//! the source table and column; the catalog gives the rest.

use tokio_postgres::types::Type;
use tokio_postgres::{Column, GenericClient};

/// JDBC's `columnNoNulls`, `columnNullable` and `columnNullableUnknown`, which both APIs report.
pub const NO_NULLS: i32 = 0;
pub const NULLABLE: i32 = 1;
pub const NULLABLE_UNKNOWN: i32 = 2;

#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    pub ty: Type,
    pub schema: String,
    pub table: String,
    pub nullable: i32,
    pub precision: i32,
    pub scale: i32,
    pub length: i32,
}

/// Describes `columns`; columns that are expressions (no source table) keep the type's defaults and
/// nullable "unknown". A failing catalog lookup leaves every column at those defaults.
pub async fn describe(client: &impl GenericClient, columns: &[Column]) -> Vec<ColumnInfo> {
    let mut described: Vec<ColumnInfo> = columns
        .iter()
        .map(|c| {
            let (precision, scale, length) = type_sizes(c.type_(), -1);
            ColumnInfo {
                name: c.name().to_string(),
                ty: c.type_().clone(),
                schema: String::new(),
                table: String::new(),
                nullable: NULLABLE_UNKNOWN,
                precision,
                scale,
                length,
            }
        })
        .collect();
    let tables: Vec<u32> = columns.iter().filter_map(Column::table_oid).collect();
    if tables.is_empty() {
        return described;
    }
    let catalog = client
        .query(
            "SELECT a.attrelid, a.attnum, n.nspname::text, c.relname::text, a.attnotnull, a.atttypmod \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0",
            &[&tables],
        )
        .await;
    let Ok(rows) = catalog else {
        return described;
    };
    for (info, column) in described.iter_mut().zip(columns) {
        let (Some(table), Some(number)) = (column.table_oid(), column.column_id()) else {
            continue;
        };
        let Some(row) = rows
            .iter()
            .find(|r| r.get::<_, u32>(0) == table && r.get::<_, i16>(1) == number)
        else {
            continue;
        };
        info.schema = row.get(2);
        info.table = row.get(3);
        info.nullable = if row.get::<_, bool>(4) {
            NO_NULLS
        } else {
            NULLABLE
        };
        (info.precision, info.scale, info.length) = type_sizes(&info.ty, row.get(5));
    }
    described
}

/// Precision, scale and length from the type and its modifier (`-1` = none): numeric(p, s) and
/// varchar(n) / char(n) from the modifier, the fixed-size types as PostgreSQL's JDBC driver reports
/// them (**inferred**: the services run on JDBC, and its values are not documented by AWS).
fn type_sizes(ty: &Type, typmod: i32) -> (i32, i32, i32) {
    match *ty {
        Type::NUMERIC if typmod >= 4 => {
            let packed = typmod - 4;
            ((packed >> 16) & 0xffff, packed & 0xffff, 0)
        }
        Type::VARCHAR | Type::BPCHAR if typmod >= 4 => (typmod - 4, 0, typmod - 4),
        Type::INT2 => (5, 0, 0),
        Type::INT4 | Type::OID => (10, 0, 0),
        Type::INT8 => (19, 0, 0),
        Type::FLOAT4 => (8, 8, 0),
        Type::FLOAT8 => (17, 17, 0),
        Type::BOOL => (1, 0, 0),
        Type::DATE => (13, 0, 0),
        _ => (0, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_varchar_sizes_come_from_the_type_modifier() {
        // numeric(10, 2) is stored as ((10 << 16) | 2) + 4; varchar(100) as 104.
        assert_eq!(type_sizes(&Type::NUMERIC, ((10 << 16) | 2) + 4), (10, 2, 0));
        assert_eq!(type_sizes(&Type::VARCHAR, 104), (100, 0, 100));
        assert_eq!(type_sizes(&Type::NUMERIC, -1), (0, 0, 0));
        assert_eq!(type_sizes(&Type::INT4, -1), (10, 0, 0));
    }
}
