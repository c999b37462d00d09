//! Writing a message inside the caller's transaction: the message (unless its key exists), its
//! inbox rows for the recipients its audience resolves to, and one delivery per webhook
//! endpoint that takes its kind and commune.

use super::{Audience, Draft, Kind};
use crate::args;
use crate::sql::{Arg, Col, Conn, Rows};
use aggregates::codes::{Code, Role};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// A webhook endpoint's subscription: which kinds of message, about which units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The endpoint's name (deliveries name it; its URL and secret stay in the configuration).
    pub endpoint: String,
    /// `None`: every kind.
    pub kinds: Option<Vec<Kind>>,
    /// Messages about these units or any unit under them; `None`: every unit.
    pub units: Option<Vec<String>>,
}

impl Route {
    fn takes(&self, kind: Kind, unit_and_ancestors: &[String]) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
            && self
                .units
                .as_ref()
                .is_none_or(|u| u.iter().any(|u| unit_and_ancestors.contains(u)))
    }
}

/// The two clocks of a write: business "now" (the message's time) and the real time (the
/// delivery schedule, which must not follow a test's business clock).
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub now: DateTime<Utc>,
    pub real: DateTime<Utc>,
}

/// What a transaction looks up once: units (code → name, parent) and the holders of a role on
/// a unit (a batch's messages are mostly about a few communes).
#[derive(Debug, Default)]
pub(crate) struct Units {
    units: HashMap<String, Option<(String, Option<String>)>>,
    holders: HashMap<(&'static str, String), Vec<Uuid>>,
}

impl Units {
    async fn get<C: Conn>(
        &mut self,
        c: &mut C,
        code: &str,
    ) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
        if let Some(found) = self.units.get(code) {
            return Ok(found.clone());
        }
        let rows = c
            .fetch(
                "SELECT name, parent_code FROM units WHERE code = $1",
                args![code],
                &[Col::Text, Col::Text],
            )
            .await?;
        let found = rows
            .first()
            .and_then(|r| Some((r[0].text()?.to_owned(), r[1].text().map(str::to_owned))));
        self.units.insert(code.to_owned(), found.clone());
        Ok(found)
    }

    /// The unit and its ancestors up to the root.
    async fn chain<C: Conn>(&mut self, c: &mut C, code: &str) -> Result<Vec<String>, sqlx::Error> {
        let mut chain = vec![code.to_owned()];
        let mut current = code.to_owned();
        while chain.len() < 16 {
            match self.get(c, &current).await? {
                Some((_, Some(parent))) => {
                    chain.push(parent.clone());
                    current = parent;
                }
                _ => break,
            }
        }
        Ok(chain)
    }
}

/// Users holding `role` on exactly `unit`, enabled, and not admins (an admin acts as an admin
/// only, and admins see no case).
const HOLDERS: &str = "SELECT g.user_id FROM user_grants g JOIN users u ON u.id = g.user_id \
    WHERE g.role = $1 AND g.unit_code = $2 AND u.disabled = $3 \
    AND NOT EXISTS (SELECT 1 FROM user_grants a WHERE a.user_id = g.user_id AND a.role = 'admin')";

const ENABLED_USER: &str = "SELECT u.id FROM users u WHERE u.id = $1 AND u.disabled = $2 \
    AND NOT EXISTS (SELECT 1 FROM user_grants a WHERE a.user_id = u.id AND a.role = 'admin')";

impl Units {
    async fn holders<C: Conn>(
        &mut self,
        c: &mut C,
        role: Role,
        unit: &str,
        into: &mut BTreeSet<Uuid>,
    ) -> Result<(), sqlx::Error> {
        let key = (role.code(), unit.to_owned());
        if let Some(found) = self.holders.get(&key) {
            into.extend(found.iter().copied());
            return Ok(());
        }
        let rows = c
            .fetch(HOLDERS, args![role.code(), unit, false], &[Col::Uuid])
            .await?;
        let found: Vec<Uuid> = rows.iter().filter_map(|r| r[0].uuid()).collect();
        into.extend(found.iter().copied());
        self.holders.insert(key, found);
        Ok(())
    }
}

/// The inbox recipients of `audience`, without the actor.
pub(crate) async fn recipients<C: Conn>(
    c: &mut C,
    units: &mut Units,
    audience: &[Audience],
    actor: Option<Uuid>,
) -> Result<BTreeSet<Uuid>, sqlx::Error> {
    let mut out = BTreeSet::new();
    for a in audience {
        match a {
            Audience::Role(role, unit) => units.holders(c, *role, unit, &mut out).await?,
            Audience::ProvinceSupervisors(unit) => {
                if let Some((_, Some(province))) = units.get(c, unit).await? {
                    units
                        .holders(c, Role::Supervisor, &province, &mut out)
                        .await?;
                }
            }
            Audience::User(id) | Audience::AssignedOrWorkers(Some(id), _) => {
                let rows = c
                    .fetch(ENABLED_USER, args![*id, false], &[Col::Uuid])
                    .await?;
                out.extend(rows.iter().filter_map(|r| r[0].uuid()));
            }
            Audience::AssignedOrWorkers(None, unit) => {
                units.holders(c, Role::SocialWorker, unit, &mut out).await?
            }
        }
    }
    if let Some(actor) = actor {
        out.remove(&actor);
    }
    Ok(out)
}

/// What a write did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub messages: u64,
    pub recipients: u64,
    pub deliveries: u64,
}

impl std::ops::AddAssign for Written {
    fn add_assign(&mut self, o: Self) {
        self.messages += o.messages;
        self.recipients += o.recipients;
        self.deliveries += o.deliveries;
    }
}

/// A draft with what its writing needs, looked up before anything is written: a follower's
/// transaction takes a transaction id at its first write and holds back every projector's
/// view of the log until it commits, so the lookups come first and the writes last, together.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    draft: Draft,
    unit_name: String,
    recipients: BTreeSet<Uuid>,
    endpoints: Vec<String>,
}

/// Looks up what writing `draft` needs (reads only).
pub(crate) async fn resolve<C: Conn>(
    c: &mut C,
    units: &mut Units,
    routes: &[Route],
    draft: &Draft,
) -> Result<Resolved, sqlx::Error> {
    let unit_name = units
        .get(c, &draft.unit)
        .await?
        .map_or_else(|| draft.unit.clone(), |(name, _)| name);
    let recipients = recipients(c, units, &draft.audience, draft.actor).await?;
    let chain = units.chain(c, &draft.unit).await?;
    let endpoints = routes
        .iter()
        .filter(|r| r.takes(draft.kind, &chain))
        .map(|r| r.endpoint.clone())
        .collect();
    Ok(Resolved {
        draft: draft.clone(),
        unit_name,
        recipients,
        endpoints,
    })
}

/// Writes the drafts whose keys no message has yet (the others: nothing at all), with their
/// inbox rows and webhook deliveries, in three multi-row statements.
pub(crate) async fn write_all<C: Conn>(
    c: &mut C,
    resolved: &[Resolved],
    at: Stamp,
) -> Result<Written, sqlx::Error> {
    let mut written = Written::default();
    // One message per key even when a batch drafts it twice.
    let mut seen = std::collections::HashSet::new();
    let resolved: Vec<&Resolved> = resolved
        .iter()
        .filter(|r| seen.insert(r.draft.dedupe_key.clone()))
        .collect();
    for chunk in resolved.chunks(1_000) {
        let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let mut sql = String::from(
            "INSERT INTO notifications (id, dedupe_key, kind, case_id, case_number, unit_code, \
             unit_name, rule_id, due_at, at, created_at) VALUES ",
        );
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 11);
        for (i, (r, id)) in chunk.iter().zip(&ids).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = args.len();
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7,
                n + 8,
                n + 9,
                n + 10,
                n + 11
            ));
            let d = &r.draft;
            args.extend(args![
                *id,
                d.dedupe_key.clone(),
                d.kind.code(),
                d.case_id,
                d.case_number.clone(),
                d.unit.clone(),
                r.unit_name.clone(),
                d.rule_id.clone(),
                d.due_at,
                d.at,
                at.now
            ]);
        }
        sql.push_str(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id");
        let inserted: BTreeSet<Uuid> = c
            .fetch(&sql, args, &[Col::Uuid])
            .await?
            .iter()
            .filter_map(|row| row[0].uuid())
            .collect();
        let mut inbox = Rows::new(
            "notification_recipients",
            &["user_id", "notification_id", "read_at"],
            "ON CONFLICT DO NOTHING",
        );
        let mut deliveries = Rows::new(
            "webhook_deliveries",
            &[
                "id",
                "notification_id",
                "endpoint",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
                "updated_at",
            ],
            "ON CONFLICT DO NOTHING",
        );
        for (r, id) in chunk.iter().zip(&ids) {
            if !inserted.contains(id) {
                continue;
            }
            written.messages += 1;
            for user in &r.recipients {
                inbox.push(vec![Arg::from(*user), Arg::from(*id), Arg::Time(None)]);
            }
            written.recipients += r.recipients.len() as u64;
            for endpoint in &r.endpoints {
                deliveries.push(args![
                    Uuid::now_v7(),
                    *id,
                    endpoint.clone(),
                    "pending",
                    0i64,
                    at.real,
                    at.real,
                    at.real
                ]);
                written.deliveries += 1;
            }
        }
        inbox.flush(c).await?;
        deliveries.flush(c).await?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_takes_its_kinds_about_its_units_and_below() {
        let chain = vec!["03388".to_owned(), "12".to_owned(), "VN".to_owned()];
        let all = Route {
            endpoint: "all".into(),
            kinds: None,
            units: None,
        };
        assert!(all.takes(Kind::PlanReturned, &chain));
        let province = Route {
            endpoint: "p".into(),
            kinds: Some(vec![Kind::RapidReport]),
            units: Some(vec!["12".into()]),
        };
        assert!(province.takes(Kind::RapidReport, &chain));
        assert!(!province.takes(Kind::PlanReturned, &chain));
        let other = Route {
            endpoint: "o".into(),
            kinds: None,
            units: Some(vec!["01".into()]),
        };
        assert!(!other.takes(Kind::RapidReport, &chain));
    }
}
