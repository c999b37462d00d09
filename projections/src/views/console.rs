//! Small reads the staff console needs beside the API's queries.

use crate::{with_read_db, Db};
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;

/// The child's name on each of `cases` (as the case list shows it), for a page that already
/// lists those cases (my work, the deadline board): the caller has audited them.
pub async fn child_names(db: &Db, cases: &[Uuid]) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in cases.chunks(100) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT case_id, child_name FROM case_summaries WHERE case_id IN ({})",
            placeholders.join(", ")
        );
        with_read_db!(db, pool => {
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(pool).await? {
                let id: Uuid = row.try_get("case_id")?;
                let name: Option<String> = row.try_get("child_name")?;
                if let Some(name) = name {
                    out.insert(id, name);
                }
            }
        });
    }
    Ok(out)
}
