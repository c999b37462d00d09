//! `casebook demo`: an empty embedded store filled for training and trying the console. One Lai
//! Châu commune (03388 Phường Đoàn Kết) with its people, and a few dozen synthetic cases at every
//! stage of the procedure, their names marked "(Demo)". Every case goes through the real
//! commands: the API's request bodies, parsed as the API parses them, decided by the aggregate
//! and committed by the command executor, with business times in the past few weeks. Passwords
//! are random and printed once.

use crate::auth;
use crate::commands::{CaseCommands, MetadataBase};
use crate::config::Settings;
use crate::http::dto::{
    DetailedAssessmentDto, InitialAssessmentDto, NeedsMeetingDto, PlanDecisionDto, PlanDto,
    ReportDto, ReviewDto, ServiceDto, UrgentMeasuresDto,
};
use crate::startup;
use crate::store::users::{self, NewUser};
use crate::store::{case_numbers, events};
use crate::units::UnitDirectory;
use aggregates::case::{CaseAction, CaseCommand};
use aggregates::codes::{CaseStatus, Role};
use aggregates::deadlines::calendar::{local_date, vietnam_offset};
use aggregates::policy::{Actor, Grant};
use aggregates::units::UnitCode;
use chrono::{DateTime, Datelike, Duration, DurationRound, Utc};
use projections::projector::Projections;
use projections::Db;
use rand::Rng;
use serde_json::{json, Value};
use uuid::Uuid;

pub const COMMUNE: &str = "03388";
pub const PROVINCE: &str = "12";

/// A demo account: username, display name, role and unit.
const PEOPLE: &[(&str, &str, Role, &str)] = &[
    (
        "tongdai111",
        "Tổng đài 111 (Demo)",
        Role::HotlineOperator,
        "VN",
    ),
    ("mai", "Nguyễn Thị Mai (Demo)", Role::SocialWorker, COMMUNE),
    ("duc", "Lò Văn Đức (Demo)", Role::SocialWorker, COMMUNE),
    ("hung", "Trần Văn Hùng (Demo)", Role::Approver, COMMUNE),
    ("lan", "Phạm Thị Lan (Demo)", Role::Supervisor, PROVINCE),
    ("admin", "Quản trị (Demo)", Role::Admin, "VN"),
];

/// Where a demo case is left in the procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Reported,
    Assigned,
    Emergency,
    Assessment,
    DetailedAssessment,
    NeedsMeeting,
    AwaitingApproval,
    PlanReturned,
    InProgress,
    ServicesDone,
    ClosureProposed,
    Closed,
    NoConcern,
    ClosedUnfounded,
}

/// The demo's reports: stage, days since the report, children, emergency.
const REPORTS: &[(Stage, f64, u8, bool)] = &[
    (Stage::Reported, 0.2, 2, false),
    (Stage::Reported, 1.5, 1, true),
    (Stage::Assigned, 0.3, 1, false),
    (Stage::Assigned, 0.8, 1, false),
    (Stage::Emergency, 0.4, 1, true),
    (Stage::Emergency, 1.0, 1, true),
    (Stage::Assessment, 1.2, 1, true),
    (Stage::Assessment, 2.5, 2, false),
    (Stage::DetailedAssessment, 3.1, 1, false),
    (Stage::DetailedAssessment, 3.4, 1, true),
    (Stage::NeedsMeeting, 4.2, 1, false),
    (Stage::NeedsMeeting, 4.6, 1, false),
    (Stage::AwaitingApproval, 5.2, 1, false),
    (Stage::AwaitingApproval, 6.5, 2, true),
    (Stage::PlanReturned, 7.0, 1, false),
    (Stage::InProgress, 8.0, 1, true),
    (Stage::InProgress, 9.5, 1, false),
    (Stage::InProgress, 11.0, 2, false),
    (Stage::ServicesDone, 14.0, 1, false),
    (Stage::ServicesDone, 15.5, 1, true),
    (Stage::ClosureProposed, 18.0, 1, false),
    (Stage::ClosureProposed, 19.0, 1, true),
    (Stage::Closed, 20.0, 1, false),
    (Stage::Closed, 23.0, 1, true),
    (Stage::Closed, 27.0, 1, false),
    (Stage::NoConcern, 2.0, 1, false),
    (Stage::ClosedUnfounded, 6.0, 1, false),
    (Stage::ClosedUnfounded, 10.0, 1, false),
];

const FAMILY: &[&str] = &["Lò", "Tòng", "Giàng", "Lý", "Vàng", "Hoàng", "Đèo", "Lường"];
const GIVEN: &[(&str, &str)] = &[
    ("Thị Mai", "female"),
    ("Văn Páo", "male"),
    ("Thị Dung", "female"),
    ("A Sáng", "male"),
    ("Thị Hoa", "female"),
    ("Văn Minh", "male"),
    ("Thị Xuân", "female"),
    ("Seo Chứ", "male"),
    ("Thị Lan", "female"),
    ("Văn Tú", "male"),
];

/// What the demo made.
#[derive(Debug)]
pub struct DemoSummary {
    /// Username, display name, role, unit, password.
    pub accounts: Vec<(String, String, Role, String, String)>,
    pub cases: usize,
}

/// Fills an empty embedded store; refuses a store that already holds cases.
pub async fn run(settings: &Settings) -> Result<DemoSummary, String> {
    if !settings.database_url.starts_with("sqlite:") {
        return Err(format!(
            "casebook demo fills an embedded store only (sqlite://…), not {}",
            settings
                .database_url
                .split('@')
                .next_back()
                .unwrap_or("this store")
        ));
    }
    let services = startup::case_services(settings).map_err(|e| e.to_string())?;
    let db = startup::open_store(settings)
        .await
        .map_err(|e| e.to_string())?;
    if holds_cases(&db).await? {
        return Err(format!(
            "{} already holds cases: the demo fills an empty store only (use another \
             --database-url, e.g. sqlite://data/demo.db)",
            settings.database_url
        ));
    }
    let directory = UnitDirectory::load(&db).await.map_err(|e| e.to_string())?;
    let now = Utc::now();
    let mut accounts = Vec::new();
    let mut actors = Vec::new();
    for (username, display, role, unit) in PEOPLE {
        let password = random_password();
        let grant = Grant {
            role: *role,
            unit: UnitCode::parse(unit).map_err(|e| e.to_string())?,
        };
        let hash = auth::hash_password(&password).map_err(|e| e.to_string())?;
        let id = Uuid::now_v7();
        users::create(
            &db,
            &NewUser {
                id,
                username,
                display_name: display,
                password_hash: &hash,
                grants: std::slice::from_ref(&grant),
                now,
            },
        )
        .await
        .map_err(|e| match e {
            users::UserStoreError::UsernameTaken => {
                format!("the username `{username}` is taken: the demo needs an empty store")
            }
            users::UserStoreError::Db(e) => e.to_string(),
        })?;
        accounts.push((
            username.to_string(),
            display.to_string(),
            *role,
            unit.to_string(),
            password,
        ));
        actors.push(Actor::new(id, vec![grant]));
    }
    let cast = Cast {
        hotline: actors[0].clone(),
        workers: [actors[1].clone(), actors[2].clone()],
        chair: actors[3].clone(),
    };
    let projections = Projections::new(db.clone());
    let repo = events::EventRepository::new(&db);
    let demo = Demo {
        commands: CaseCommands::new(
            events::case_event_store(repo.clone()),
            repo,
            services,
            projections.wakeup(),
            crate::case_cache::CaseCache::new(0),
        ),
        db: db.clone(),
        units: directory,
        now,
    };
    let mut cases = 0;
    for (i, (stage, days, children, emergency)) in REPORTS.iter().enumerate() {
        // Business times in whole minutes, as people type them.
        let received = (now - Duration::minutes((days * 24.0 * 60.0) as i64))
            .duration_trunc(Duration::minutes(1))
            .map_err(|e| e.to_string())?;
        let ids = demo
            .report(&cast, i, received, *children, *emergency)
            .await?;
        for (k, id) in ids.iter().enumerate() {
            demo.walk(&cast, *id, (i + k) % 2, *stage, received, *emergency)
                .await
                .map_err(|e| format!("demo case {} ({stage:?}): {e}", i + 1))?;
            cases += 1;
        }
    }
    db.close().await;
    Ok(DemoSummary { accounts, cases })
}

async fn holds_cases(db: &Db) -> Result<bool, String> {
    let n: i64 = match db {
        Db::Sqlite(pools) => sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(&pools.reader)
            .await
            .map_err(|e| e.to_string())?,
        Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(pool)
            .await
            .map_err(|e| e.to_string())?,
    };
    Ok(n > 0)
}

/// 20 random letters and digits (about 119 bits), never a default.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

struct Cast {
    hotline: Actor,
    workers: [Actor; 2],
    chair: Actor,
}

struct Demo {
    commands: CaseCommands,
    db: Db,
    units: UnitDirectory,
    now: DateTime<Utc>,
}

fn vn(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam_offset()).to_rfc3339()
}

fn day(at: DateTime<Utc>) -> String {
    local_date(at).format("%Y-%m-%d").to_string()
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("demo body: {e}"))
}

impl Demo {
    fn base(&self, actor: &Actor) -> MetadataBase {
        MetadataBase {
            actor_id: actor.user_id,
            request_id: format!("demo-{}", Uuid::now_v7().simple()),
            client_request_id: None,
            recorded_at: self.now,
            idempotency_key: None,
            session: None,
        }
    }

    /// A report taken by the hotline (or, every third, by a worker): one case per child, numbered
    /// as the API numbers them.
    async fn report(
        &self,
        cast: &Cast,
        i: usize,
        received: DateTime<Utc>,
        children: u8,
        emergency: bool,
    ) -> Result<Vec<Uuid>, String> {
        let by = if i % 3 == 2 {
            &cast.workers[i % 2]
        } else {
            &cast.hotline
        };
        let kids: Vec<Value> = (0..children as usize)
            .map(|k| {
                let (given, sex) = GIVEN[(i * 3 + k) % GIVEN.len()];
                json!({
                    "full_name": format!("(Demo) {} {given}", FAMILY[(i + k) % FAMILY.len()]),
                    "estimated_age": 6 + (i + 2 * k) % 9,
                    "sex": sex,
                    "residence_unit": COMMUNE,
                })
            })
            .collect();
        let intake_point = if by.user_id == cast.hotline.user_id {
            "hotline_111"
        } else {
            "commune_committee"
        };
        let dto: ReportDto = body(json!({
            "received_at": vn(received),
            "intake_point": intake_point,
            "channel": "phone",
            "target_group": if emergency { "abused" } else { "at_risk" },
            "incident_unit": COMMUNE,
            "description": "(Demo) Hồ sơ tập huấn, không phải người thật",
            "abuse_types": [if emergency { "violence" } else { "neglect" }],
            "abuse_environment": "family",
            "perpetrator_relationship": if emergency { "relative" } else { "unknown" },
            "immediate_danger": emergency,
            "reporter": {"name": "(Demo) Người báo tin", "phone": "0900000000", "consent": true},
            "children": kids,
        }))?;
        let parsed = dto.parse(&self.units).map_err(|e| e.to_string())?;
        let report_id = Uuid::now_v7();
        let year = local_date(received).year();
        let mut commands = Vec::new();
        for parsed_child in parsed.children {
            let mut report = parsed.template.clone();
            report.case_id = Uuid::now_v7();
            report.report_id = report_id;
            report.child = parsed_child.child;
            report.child_id = Uuid::now_v7();
            commands.push(report);
        }
        let first = case_numbers::allocate(&self.db, PROVINCE, year, commands.len() as i64)
            .await
            .map_err(|e| e.to_string())?;
        let mut ids = Vec::new();
        let mut opened = Vec::new();
        for (n, mut report) in commands.into_iter().enumerate() {
            report.case_number = case_numbers::format(PROVINCE, year, first + n as i64);
            ids.push(report.case_id);
            opened.push((
                report.case_id,
                CaseCommand {
                    actor: by.clone(),
                    now: self.now,
                    expected_version: None,
                    action: CaseAction::Report(Box::new(report)),
                },
            ));
        }
        self.commands
            .receive(Vec::new(), opened, &self.base(by))
            .await
            .map_err(|e| e.to_string())?;
        Ok(ids)
    }

    async fn step(&self, case: Uuid, actor: &Actor, action: CaseAction) -> Result<(), String> {
        let command = CaseCommand {
            actor: actor.clone(),
            now: self.now,
            expected_version: None,
            action,
        };
        self.commands
            .execute(case, command, &self.base(actor), None)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Takes a case through the procedure up to `stage`, each step at its business time.
    async fn walk(
        &self,
        cast: &Cast,
        case: Uuid,
        worker: usize,
        stage: Stage,
        received: DateTime<Utc>,
        emergency: bool,
    ) -> Result<(), String> {
        let at = |hours: i64| vn(received + Duration::hours(hours));
        let worker_actor = &cast.workers[worker];
        let chair = &cast.chair;
        if stage == Stage::Reported {
            return Ok(());
        }
        self.step(
            case,
            chair,
            CaseAction::AssignWorker(aggregates::case::AssignWorker {
                worker_id: worker_actor.user_id,
                worker_units: vec![UnitCode::parse(COMMUNE).map_err(|e| e.to_string())?],
            }),
        )
        .await?;
        if stage == Stage::Assigned {
            return Ok(());
        }
        let w = worker_actor;
        if matches!(stage, Stage::NoConcern | Stage::ClosedUnfounded) {
            let dto: InitialAssessmentDto = body(json!({"assessed_at": at(3),
                "outcome": "no_concern", "findings": "(Demo) Không có cơ sở xâm hại"}))?;
            self.step(case, w, dto.parse().map_err(|e| e.to_string())?)
                .await?;
            if stage == Stage::ClosedUnfounded {
                self.closure(case, chair, at(30)).await?;
            }
            return Ok(());
        }
        let dto: InitialAssessmentDto = if emergency {
            body(json!({"assessed_at": at(2), "outcome": "emergency",
                "grounds": ["serious_harm_or_threat"], "findings": "(Demo) Vết bầm ở tay"}))?
        } else {
            body(json!({"assessed_at": at(3), "outcome": "support_needed",
                "findings": "(Demo) Trẻ thường xuyên ở nhà một mình"}))?
        };
        self.step(case, w, dto.parse().map_err(|e| e.to_string())?)
            .await?;
        if stage == Stage::Emergency {
            return Ok(());
        }
        if emergency {
            let dto: UrgentMeasuresDto = body(json!({"applied_at": at(5),
                "measures": ["stop_the_act", "first_aid"]}))?;
            self.step(case, w, dto.parse().map_err(|e| e.to_string())?)
                .await?;
        }
        if stage == Stage::Assessment {
            return Ok(());
        }
        let dto: DetailedAssessmentDto = body(json!({"assessed_at": at(48),
            "physical_psychological": "(Demo) Sức khỏe ổn định", "family": "(Demo) Bố mẹ đi làm xa",
            "risk_factors": "(Demo) Thiếu người chăm sóc", "schooling": "(Demo) Đi học đều",
            "community": "(Demo) Hàng xóm hỗ trợ", "needs": ["health", "psychological"]}))?;
        self.step(case, w, dto.parse().map_err(|e| e.to_string())?)
            .await?;
        if stage == Stage::DetailedAssessment {
            return Ok(());
        }
        let dto: NeedsMeetingDto = body(json!({"held_at": at(72),
            "chaired_by": "Chủ tịch UBND phường", "attendees": ["Mẹ", "Trưởng bản"],
            "decisions": "(Demo) Khám sức khỏe, tư vấn tâm lý"}))?;
        self.step(case, chair, dto.parse().map_err(|e| e.to_string())?)
            .await?;
        if stage == Stage::NeedsMeeting {
            return Ok(());
        }
        let plan = |submitted: i64| -> Result<PlanDto, String> {
            body(json!({"submitted_at": at(submitted), "items": [
                {"measure": "medical_care_and_therapy", "service_type": "health",
                 "responsible": "Trạm y tế phường", "starts_on": day(received + Duration::days(5)),
                 "ends_on": day(received + Duration::days(15))},
                {"measure": "risk_warning_and_counselling", "service_type": "psychological",
                 "responsible": "Cán bộ bảo vệ trẻ em", "starts_on": day(received + Duration::days(5)),
                 "ends_on": day(received + Duration::days(12))}]}))
        };
        self.step(case, w, plan(96)?.parse().map_err(|e| e.to_string())?)
            .await?;
        if stage == Stage::AwaitingApproval {
            return Ok(());
        }
        let decision = if stage == Stage::PlanReturned {
            "return"
        } else {
            "approve"
        };
        let dto: PlanDecisionDto = body(json!({"decided_at": at(110), "decision": decision,
            "plan_version": 1, "comment": "(Demo) Bổ sung người phụ trách"}))?;
        self.step(case, chair, dto.parse().map_err(|e| e.to_string())?)
            .await?;
        if stage == Stage::PlanReturned {
            return Ok(());
        }
        let items: Vec<Uuid> = {
            let events = self.commands.load(case).await.map_err(|e| e.to_string())?;
            let state = projections::record::fold(&events);
            state
                .plans
                .last()
                .map(|p| p.submission.fact.items.iter().map(|i| i.item_id).collect())
                .unwrap_or_default()
        };
        let done = stage != Stage::InProgress;
        for (n, item) in items.iter().enumerate() {
            if !done && n > 0 {
                break;
            }
            let dto: ServiceDto = body(json!({"item_id": item.to_string(),
                "delivered_at": at(170 + 24 * n as i64), "completed": done,
                "notes": "(Demo) Đã thực hiện"}))?;
            self.step(case, w, dto.parse().map_err(|e| e.to_string())?)
                .await?;
        }
        if matches!(stage, Stage::InProgress | Stage::ServicesDone) {
            return Ok(());
        }
        let dto: ReviewDto = body(json!({"reviewed_at": at(16 * 24), "outcome": "close",
            "ratings": {"harm_severity": "low", "abuser_access": "low",
                        "care_environment_obstacles": "low", "child_self_protection_recovery": "high"}}))?;
        self.step(case, w, dto.parse().map_err(|e| e.to_string())?)
            .await?;
        if stage == Stage::ClosureProposed {
            return Ok(());
        }
        self.closure(case, chair, at(16 * 24 + 20)).await
    }

    async fn closure(&self, case: Uuid, chair: &Actor, decided_at: String) -> Result<(), String> {
        let dto: crate::http::dto::ClosureDto =
            body(json!({"decided_at": decided_at, "decision": "approve"}))?;
        self.step(case, chair, dto.parse().map_err(|e| e.to_string())?)
            .await
    }
}

/// The demo's cases by status (for the summary and the tests).
pub async fn statuses(settings: &Settings) -> Result<Vec<(CaseStatus, usize)>, String> {
    let db = startup::open_store(settings)
        .await
        .map_err(|e| e.to_string())?;
    let ids: Vec<String> = match &db {
        Db::Sqlite(pools) => {
            sqlx::query_scalar("SELECT DISTINCT aggregate_id FROM events")
                .fetch_all(&pools.reader)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT DISTINCT aggregate_id FROM events")
                .fetch_all(pool)
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    let repo = events::EventRepository::new(&db);
    let store = events::case_event_store(repo);
    let mut counts: Vec<(CaseStatus, usize)> = Vec::new();
    for id in ids {
        use cqrs_es::EventStore;
        let envelopes = store.load_events(&id).await.map_err(|e| e.to_string())?;
        let recorded: Vec<projections::record::RecordedEvent> = envelopes
            .into_iter()
            .filter_map(|e| {
                Some(projections::record::RecordedEvent {
                    sequence: e.sequence as u64,
                    metadata: projections::record::EventMetadata::from_map(&e.metadata)?,
                    event: e.payload,
                })
            })
            .collect();
        let status = projections::record::fold(&recorded).status;
        match counts.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => counts.push((status, 1)),
        }
    }
    db.close().await;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_fills_an_empty_store_at_every_stage_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let settings = Settings::for_database(&url);
        let summary = run(&settings).await.expect("the demo runs");
        assert!(summary.cases >= 24, "a few dozen cases: {}", summary.cases);
        assert_eq!(summary.accounts.len(), PEOPLE.len());
        let passwords: std::collections::BTreeSet<&str> =
            summary.accounts.iter().map(|a| a.4.as_str()).collect();
        assert_eq!(passwords.len(), PEOPLE.len(), "a password of its own each");
        assert!(passwords.iter().all(|p| p.len() >= auth::MIN_PASSWORD_LEN));

        let statuses = statuses(&settings).await.unwrap();
        for status in [
            CaseStatus::Reported,
            CaseStatus::Emergency,
            CaseStatus::Assessment,
            CaseStatus::Planning,
            CaseStatus::AwaitingApproval,
            CaseStatus::InProgress,
            CaseStatus::ClosureProposed,
            CaseStatus::Closed,
        ] {
            assert!(
                statuses.iter().any(|(s, n)| *s == status && *n > 0),
                "a demo case is {status:?}: {statuses:?}"
            );
        }
        assert_eq!(
            statuses.iter().map(|(_, n)| n).sum::<usize>(),
            summary.cases
        );

        // The printed passwords log in (the accounts are real).
        let db = startup::open_store(&settings).await.unwrap();
        let (username, _, _, _, password) = &summary.accounts[1];
        let (_, hash) = users::credentials(&db, username).await.unwrap().unwrap();
        assert!(auth::verify_password(password, &hash));
        db.close().await;

        let again = run(&settings).await.expect_err("a second run is refused");
        assert!(again.contains("already holds cases"), "{again}");
    }

    #[tokio::test]
    async fn the_demo_refuses_a_server_store() {
        let settings = Settings::for_database("postgres://nobody@127.0.0.1:1/none");
        let refused = run(&settings).await.expect_err("refused");
        assert!(refused.contains("embedded store only"), "{refused}");
    }
}
