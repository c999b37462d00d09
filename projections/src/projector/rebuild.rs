//! Rebuilding a projection from the whole log into new tables, swapped in under its lock.

use super::{begin_write, dialect, next_batch, Projections, ProjectorError, View};
use crate::db::FollowerLock;
use crate::log::{self, Position};
use crate::views::{Dialect, Names};
use chrono::Utc;

impl Projections {
    /// Rebuilds a projection from the whole log into new tables, then swaps them in under the
    /// projection's lock. `progress(done, total)` is called after each batch. Returns the number
    /// of events replayed.
    pub async fn rebuild(
        &self,
        view: View,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64, ProjectorError> {
        let d = dialect(&self.db);
        let generation = Utc::now().timestamp_micros().unsigned_abs();
        let next = Names::rebuild(generation);
        let total = log::count_after(&self.db, Position::START).await?.max(0) as u64;
        // Fresh tables. (SQLite transactions that write begin IMMEDIATE: a deferred one that
        // read first could not take the write lock while the live projector holds it.)
        crate::with_db!(&self.db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            for table in view.tables() {
                sqlx::query(&format!("DROP TABLE IF EXISTS {}", next.table(table)))
                    .execute(&mut *tx)
                    .await?;
            }
            for statement in view.ddl(d, &next) {
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        // Replay, a batch per transaction.
        let mut position = Position::START;
        let mut done = 0u64;
        loop {
            let (n, last) = self.replay_batch(view, &next, position).await?;
            if n == 0 {
                break;
            }
            position = last;
            done += n as u64;
            progress(done, total.max(done));
        }
        // Swap under the live projection's lock, after catching up with what came meanwhile.
        let swapped = crate::with_db!(&self.db, pool => {
            let mut tx = if d == Dialect::Sqlite {
                pool.begin_with("BEGIN IMMEDIATE").await?
            } else {
                pool.begin().await?
            };
            if d == Dialect::Postgres {
                // Wait for a running batch of the live projector, then hold it off.
                sqlx::query("INSERT INTO projection_checkpoints (name, version, tx, seq, updated_at) \
                    VALUES ($1, 0, 0, 0, $2) ON CONFLICT (name) DO NOTHING")
                    .bind(view.name()).bind(Utc::now()).execute(&mut *tx).await?;
                tx.lock_follower(view.name()).await?;
            }
            loop {
                let events = next_batch(&mut *tx, position, self.batch).await?;
                let Some(last) = events.last().map(|e| e.position) else { break };
                view.apply(&mut *tx, &next, &events).await?;
                done += events.len() as u64;
                position = last;
            }
            for table in view.tables() {
                sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(&mut *tx).await?;
                sqlx::query(&format!("ALTER TABLE {} RENAME TO {table}", next.table(table)))
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("INSERT INTO projection_checkpoints (name, version, tx, seq, updated_at) \
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET \
                version = excluded.version, tx = excluded.tx, seq = excluded.seq, updated_at = excluded.updated_at")
                .bind(view.name())
                .bind(view.version())
                .bind(position.tx)
                .bind(position.seq)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            // Fresh tables have no planner statistics; without them Postgres picks plans that
            // scan whole indexes (a 50× slower deadline board was measured). In the swap's
            // transaction, which on SQLite already holds the write lock ANALYZE needs.
            for table in view.tables() {
                sqlx::query(&format!("ANALYZE {table}")).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, ProjectorError>(position)
        })?;
        self.record(view, |s| {
            s.position = swapped;
            s.last_error = None;
        });
        progress(done, total.max(done));
        self.progress.send_modify(|n| *n = n.wrapping_add(1));
        Ok(done)
    }

    async fn replay_batch(
        &self,
        view: View,
        names: &Names,
        after: Position,
    ) -> Result<(usize, Position), ProjectorError> {
        let d = dialect(&self.db);
        crate::with_db!(&self.db, pool => {
            let mut tx = pool.begin_with(begin_write(d)).await?;
            let events = next_batch(&mut *tx, after, self.batch * 4).await?;
            let last = events.last().map_or(after, |e| e.position);
            view.apply(&mut *tx, names, &events).await?;
            tx.commit().await?;
            Ok((events.len(), last))
        })
    }
}
