//! The countable facts of each case, folded from the event log up to a position. Folding the log
//! (rather than reading the views, which hold only the current state) is what lets a report be
//! counted "as the log stood" at a position, and a measure be put in the commune that acted on
//! the case when it was taken, whatever transfers came later.

use crate::db::Db;
use crate::log::{self, LogError, LoggedEvent, Position};
use crate::views::cases::{age_from, age_group};
use crate::views::unit_path_key;
use aggregates::case::CaseEvent;
use aggregates::codes::{Code, UrgentMeasure};
use aggregates::units::UnitPath;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

use super::Source;

/// Dimension values by dimension: a dimension may hold several (a case's abuse types). A short
/// list rather than a map: a fact has one to three dimensions and a case about eight, and a
/// report holds every case's facts at once (a `BTreeMap` node is about 500 bytes however few
/// entries it holds — most of a report's memory at 100,000 cases).
#[derive(Debug, Clone, Default)]
pub struct Dims(Vec<(&'static str, Vec<String>)>);

impl Dims {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn get(&self, dim: &str) -> Option<&Vec<String>> {
        self.0.iter().find(|(d, _)| *d == dim).map(|(_, v)| v)
    }

    pub fn insert(&mut self, dim: &'static str, values: Vec<String>) {
        match self.0.iter_mut().find(|(d, _)| *d == dim) {
            Some(entry) => entry.1 = values,
            None => self.0.push((dim, values)),
        }
    }
}

impl FromIterator<(&'static str, Vec<String>)> for Dims {
    fn from_iter<I: IntoIterator<Item = (&'static str, Vec<String>)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut dims = Self(Vec::with_capacity(iter.size_hint().0));
        for (dim, values) in iter {
            dims.insert(dim, values);
        }
        dims
    }
}

/// One countable fact of a case.
#[derive(Debug, Clone)]
pub struct Fact {
    pub source: Source,
    /// The date that puts it in a period (receipt, business time, due time).
    pub at: DateTime<Utc>,
    /// For [`Source::Open`]: when the case closed.
    pub until: Option<DateTime<Utc>>,
    pub dims: Dims,
    /// For deadlines: when met, and whether late (the state is taken at the counting instant).
    pub met: Option<(DateTime<Utc>, bool)>,
    pub cancelled: bool,
    /// For deadlines: when the clock started (the median time to meet it).
    pub started_at: Option<DateTime<Utc>>,
}

/// A unit as the engine matches it: its path key (`/VN/12/03388/`) and its own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub key: String,
    pub code: String,
}

impl Place {
    fn of(path: &UnitPath) -> Self {
        Self {
            key: unit_path_key(path),
            code: path.unit().to_string(),
        }
    }
}

/// A case's facts as known at the counted position.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub case_id: Uuid,
    pub report_id: Uuid,
    /// The child's identity as linked at the counted position (issue 12: a link makes two
    /// cases one child; an unlink restores the identity before it).
    pub child_id: Uuid,
    /// The identities before each standing link, oldest first.
    pub child_ids_before: Vec<Uuid>,
    pub incident: Place,
    /// Acting unit from each business time on (receipt, then each transfer).
    pub acting: Vec<(DateTime<Utc>, Place)>,
    /// The case's own dimensions (intake facts as corrected, closure reason).
    pub dims: Dims,
    pub facts: Vec<Fact>,
    received_at: DateTime<Utc>,
    born: (Option<chrono::NaiveDate>, Option<u8>),
    /// Plan items by id: (version, measure, service type).
    items: HashMap<Uuid, (u32, &'static str, &'static str)>,
    deadlines: HashMap<String, usize>,
}

impl CaseFacts {
    /// The unit acting on the case at `at` (the receiving unit before any transfer).
    pub fn acting_at(&self, at: DateTime<Utc>) -> &Place {
        self.acting
            .iter()
            .rev()
            .find(|(from, _)| *from <= at)
            .or(self.acting.first())
            .map(|(_, p)| p)
            .unwrap_or(&self.incident)
    }

    fn fact(&mut self, source: Source, at: DateTime<Utc>, dims: Dims) -> &mut Fact {
        self.facts.push(Fact {
            source,
            at,
            until: None,
            dims,
            met: None,
            cancelled: false,
            started_at: None,
        });
        self.facts.last_mut().expect("just pushed")
    }

    fn set(&mut self, dim: &'static str, values: Vec<String>) {
        self.dims.insert(dim, values);
    }
}

fn one(v: impl Into<String>) -> Vec<String> {
    vec![v.into()]
}

fn dims(pairs: &[(&'static str, Vec<String>)]) -> Dims {
    pairs.iter().cloned().collect()
}

/// Every case's facts, folded from the log up to the newest committed event. Returns them
/// with the position of the last event folded (the report's "as of").
pub async fn fold_log(
    db: &Db,
    upto: Option<Position>,
) -> Result<(Vec<CaseFacts>, Position), LogError> {
    let mut cases: Vec<CaseFacts> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    let mut at = Position::START;
    // Postgres shows a committed event to the log reader only once every older transaction
    // has ended (`pg_snapshot_xmin`): a command just answered may be hidden for a moment by a
    // projector's open batch. Read on until the head seen now, for a bounded time.
    let target = match upto {
        Some(u) => u,
        None => log::head(db).await?,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let batch: Vec<LoggedEvent> = crate::with_read_db!(db, pool => {
            let mut conn = pool.acquire().await.map_err(LogError::Db)?;
            read_batch(&mut conn, at).await?
        });
        let Some(last) = batch.last().map(|e| e.position) else {
            if at < target && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                continue;
            }
            if at < target {
                tracing::warn!(%at, %target, "indicators counted before the log head became readable");
            }
            break;
        };
        for e in &batch {
            if upto.is_some_and(|u| e.position > u) {
                return Ok((cases, at));
            }
            apply(&mut cases, &mut index, e);
            at = e.position;
        }
        at = at.max(last);
    }
    Ok((cases, at))
}

trait Reader {
    async fn batch(&mut self, after: Position) -> Result<Vec<LoggedEvent>, LogError>;
}

impl Reader for sqlx::pool::PoolConnection<sqlx::Postgres> {
    async fn batch(&mut self, after: Position) -> Result<Vec<LoggedEvent>, LogError> {
        log::next_batch_pg(self, after, 2000).await
    }
}

impl Reader for sqlx::pool::PoolConnection<sqlx::Sqlite> {
    async fn batch(&mut self, after: Position) -> Result<Vec<LoggedEvent>, LogError> {
        log::next_batch_sqlite(self, after, 2000).await
    }
}

async fn read_batch<R: Reader>(r: &mut R, after: Position) -> Result<Vec<LoggedEvent>, LogError> {
    r.batch(after).await
}

/// Folds one event into the case it belongs to.
pub fn apply(cases: &mut Vec<CaseFacts>, index: &mut HashMap<Uuid, usize>, e: &LoggedEvent) {
    if let CaseEvent::CaseReported(r) = &e.event.event {
        let place = Place::of(&r.incident_unit);
        let mut c = CaseFacts {
            case_id: e.case_id,
            report_id: r.report_id,
            child_id: r.child_id,
            child_ids_before: Vec::new(),
            incident: place.clone(),
            acting: vec![(r.received_at, place)],
            dims: Dims::new(),
            facts: Vec::new(),
            received_at: r.received_at,
            born: (r.child.date_of_birth, r.child.estimated_age),
            items: HashMap::new(),
            deadlines: HashMap::new(),
        };
        c.set("sex", one(r.child.sex.code()));
        c.set("target_group", one(r.target_group.code()));
        c.set("intake_point", one(r.intake_point.code()));
        c.set("channel", one(r.channel.code()));
        c.set(
            "abuse_type",
            r.abuse_types.iter().map(|t| t.code().to_owned()).collect(),
        );
        c.set(
            "environment",
            r.abuse_environment
                .map(|x| x.code().to_owned())
                .into_iter()
                .collect(),
        );
        c.set(
            "perpetrator_relationship",
            r.perpetrator_relationship
                .map(|x| x.code().to_owned())
                .into_iter()
                .collect(),
        );
        c.set(
            "age_group",
            one(age_group(age_from(c.born.0, c.born.1, r.received_at))),
        );
        c.fact(Source::Intake, r.received_at, Dims::new());
        c.fact(Source::Open, r.received_at, Dims::new());
        index.insert(e.case_id, cases.len());
        cases.push(c);
        return;
    }
    let Some(&i) = index.get(&e.case_id) else {
        return;
    };
    let c = &mut cases[i];
    match &e.event.event {
        CaseEvent::CaseTransferred(t) => c.acting.push((t.transferred_at, Place::of(&t.to_unit))),
        CaseEvent::ChildLinked(l) => {
            c.child_ids_before.push(c.child_id);
            c.child_id = l.child_id;
        }
        CaseEvent::ChildUnlinked(_) => {
            if let Some(before) = c.child_ids_before.pop() {
                c.child_id = before;
            }
        }
        CaseEvent::CaseClosed(x) => {
            c.set("closure_reason", one(x.reason.code()));
            if let Some(open) = c.facts.iter_mut().find(|f| f.source == Source::Open) {
                open.until = Some(x.decided_at);
            }
            c.fact(
                Source::Closure,
                x.decided_at,
                dims(&[("reason", one(x.reason.code()))]),
            );
        }
        CaseEvent::InitialAssessmentRecorded(a) => {
            c.fact(
                Source::Assessment,
                a.assessed_at,
                dims(&[("outcome", one(a.outcome.code()))]),
            );
        }
        CaseEvent::UrgentMeasuresApplied(u) => {
            let measures = u.measures.iter().map(|m| m.code().to_owned()).collect();
            c.fact(
                Source::Measure,
                u.applied_at,
                dims(&[("kind", one("urgent")), ("measure", measures)]),
            );
        }
        CaseEvent::SeparationDecided(s) => {
            c.fact(Source::Separation, s.decided_at, Dims::new());
            let m = one(UrgentMeasure::TemporarySeparation.code());
            c.fact(
                Source::Measure,
                s.decided_at,
                dims(&[("kind", one("urgent")), ("measure", m)]),
            );
        }
        CaseEvent::PlanSubmitted(p) => {
            for item in &p.items {
                let v = (p.version, item.measure.code(), item.service_type.code());
                c.items.insert(item.item_id, v);
            }
        }
        CaseEvent::PlanApproved(a) => {
            let (mut measures, mut services): (Vec<String>, Vec<String>) = c
                .items
                .values()
                .filter(|(v, _, _)| *v == a.version)
                .map(|(_, m, s)| ((*m).to_owned(), (*s).to_owned()))
                .unzip();
            measures.sort();
            measures.dedup();
            services.sort();
            services.dedup();
            c.fact(Source::PlanApproved, a.decided_at, Dims::new());
            c.fact(
                Source::Measure,
                a.decided_at,
                dims(&[
                    ("kind", one("plan")),
                    ("measure", measures),
                    ("service_type", services),
                ]),
            );
        }
        CaseEvent::ServiceDelivered(s) => {
            if let Some((_, m, t)) = c.items.get(&s.item_id).cloned() {
                c.fact(
                    Source::Measure,
                    s.delivered_at,
                    dims(&[
                        ("kind", one("service")),
                        ("measure", one(m)),
                        ("service_type", one(t)),
                    ]),
                );
            }
        }
        CaseEvent::ReferralMade(r) => {
            let kind = r.to_kind.map_or("unknown", |k| k.code());
            c.fact(
                Source::Referral,
                r.referred_at,
                dims(&[("to_kind", one(kind))]),
            );
        }
        CaseEvent::CourtPetitionFiled(p) => {
            c.fact(
                Source::CourtPetition,
                p.filed_at,
                dims(&[("ground", one(p.ground.code()))]),
            );
        }
        CaseEvent::DeadlineStarted(d) => {
            let n = c.facts.len();
            let f = c.fact(
                Source::Deadline,
                d.due_at,
                dims(&[("rule", one(d.rule_id.clone()))]),
            );
            f.started_at = Some(d.started_at);
            c.deadlines.insert(d.deadline_id.clone(), n);
        }
        CaseEvent::DeadlineMet(m) => {
            if let Some(&n) = c.deadlines.get(&m.deadline_id) {
                c.facts[n].met = Some((m.met_at, m.late));
            }
        }
        CaseEvent::DeadlineCancelled(x) => {
            if let Some(&n) = c.deadlines.get(&x.deadline_id) {
                c.facts[n].cancelled = true;
            }
        }
        // The intake facts are the first event: a correction naming sequence 1 changes them.
        CaseEvent::FactCorrected(f) if f.corrects_sequence == 1 => correct(c, f),
        _ => {}
    }
}

fn correct(c: &mut CaseFacts, f: &aggregates::case::FactCorrected) {
    use aggregates::case::corrections::Fact as F;
    match F::of("CaseReported", f) {
        Some(F::ChildSex(sex)) => c.set("sex", one(sex.code())),
        Some(F::TargetGroup(t)) => c.set("target_group", one(t.code())),
        Some(F::AbuseEnvironment(e)) => {
            c.set(
                "environment",
                e.map(|e| e.code().to_owned()).into_iter().collect(),
            );
        }
        Some(F::PerpetratorRelationship(p)) => {
            let v = p.map(|p| p.code().to_owned()).into_iter().collect();
            c.set("perpetrator_relationship", v);
        }
        Some(F::AbuseTypes(types)) => {
            c.set(
                "abuse_type",
                types.iter().map(|t| t.code().to_owned()).collect(),
            );
        }
        // Date of birth and estimated age exclude each other (the aggregate checks it).
        Some(F::ChildDateOfBirth(born)) => {
            c.born = (born, None);
            c.set(
                "age_group",
                one(age_group(age_from(born, None, c.received_at))),
            );
        }
        Some(F::ChildEstimatedAge(age)) => {
            c.born = (None, age);
            c.set(
                "age_group",
                one(age_group(age_from(None, age, c.received_at))),
            );
        }
        _ => {}
    }
}
