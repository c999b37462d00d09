//! The bulk path: cases made by the real aggregate (`Case::decide` on real commands, with the
//! shipped rules and calendar), stored through the real event repository in large
//! transactions. The events are exactly those the command path would write; only the HTTP
//! round trip and the per-command transaction are skipped.

use aggregates::case::commands::*;
use aggregates::case::{Case, CaseServices, Child};
use aggregates::codes::*;
use aggregates::policy::{Actor, Grant};
use aggregates::text::{LongText, ShortText};
use aggregates::units::{UnitCode, UnitPath};
use casebook::store::events::EventRepository;
use casebook::store::users::{self, NewUser};
use chrono::{DateTime, Duration, Utc};
use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use cqrs_es::EventEnvelope;
use projections::record::EventMetadata;
use projections::Db;
use std::time::Instant;
use uuid::Uuid;

pub const PASSWORD: &str = "benchmark passphrase";
pub const PROVINCE: &str = "12";

/// The people of the benchmark: per commune a worker and an approver; a hotline operator; a
/// province supervisor.
pub struct People {
    pub communes: Vec<String>,
    pub workers: Vec<(String, Uuid)>,
    pub approvers: Vec<(String, Uuid)>,
    pub hotline: (String, Uuid),
}

pub async fn create_people(db: &Db, communes: &[String]) -> People {
    let hash = casebook::auth::hash_password(PASSWORD).expect("hash");
    let make = |name: String, role: Role, unit: &str| {
        let id = Uuid::now_v7();
        let grant = Grant {
            role,
            unit: UnitCode::parse(unit).expect("unit"),
        };
        (name, id, grant)
    };
    let mut all = Vec::new();
    let mut workers = Vec::new();
    let mut approvers = Vec::new();
    for commune in communes {
        let w = make(format!("worker.{commune}"), Role::SocialWorker, commune);
        let a = make(format!("chair.{commune}"), Role::Approver, commune);
        workers.push((w.0.clone(), w.1));
        approvers.push((a.0.clone(), a.1));
        all.push(w);
        all.push(a);
    }
    let h = make("hotline".into(), Role::HotlineOperator, "VN");
    let s = make("supervisor".into(), Role::Supervisor, PROVINCE);
    let hotline = (h.0.clone(), h.1);
    all.push(h);
    all.push(s);
    for (name, id, grant) in all {
        users::create(
            db,
            &NewUser {
                id,
                username: &name,
                display_name: &name,
                password_hash: &hash,
                grants: &[grant],
                now: Utc::now(),
            },
        )
        .await
        .expect("user");
    }
    People {
        communes: communes.to_vec(),
        workers,
        approvers,
        hotline,
    }
}

fn text(s: &str) -> LongText {
    LongText::parse(s).expect("text")
}

fn short(s: &str) -> ShortText {
    ShortText::parse(s).expect("text")
}

/// How far a preloaded case goes along the procedure.
#[derive(Clone, Copy)]
pub enum Stage {
    Reported,
    Assessed,
    PlanApproved,
}

/// One case built through `decide`, with the metadata each command would carry.
pub struct Built {
    pub case_id: Uuid,
    pub envelopes: Vec<EventEnvelope<Case>>,
}

struct Builder<'a> {
    services: &'a CaseServices,
    case: Case,
    case_id: Uuid,
    envelopes: Vec<EventEnvelope<Case>>,
}

impl Builder<'_> {
    fn run(
        &mut self,
        actor: &Actor,
        role: Role,
        unit: &str,
        now: DateTime<Utc>,
        action: CaseAction,
    ) {
        let command = CaseCommand {
            actor: actor.clone(),
            now,
            expected_version: None,
            action,
        };
        let events = self
            .case
            .decide(command, self.services)
            .unwrap_or_else(|e| panic!("a preload command was refused: {e:?}"));
        let metadata = EventMetadata {
            actor_id: actor.user_id,
            role,
            unit: UnitCode::parse(unit).expect("unit"),
            request_id: "preload".into(),
            recorded_at: now,
            idempotency_key: None,
        }
        .to_map();
        for event in events {
            cqrs_es::Aggregate::apply(&mut self.case, event.clone());
            self.envelopes.push(EventEnvelope {
                aggregate_id: self.case_id.to_string(),
                sequence: self.case.version as usize,
                payload: event,
                metadata: metadata.clone(),
            });
        }
    }
}

fn actor(id: Uuid, role: Role, unit: &str) -> Actor {
    Actor::new(
        id,
        vec![Grant {
            role,
            unit: UnitCode::parse(unit).expect("unit"),
        }],
    )
}

/// Builds one case of `commune`, received at `received_at`, taken to `stage`, with `notes`
/// extra notes.
pub fn build_case(
    services: &CaseServices,
    people: &People,
    commune_index: usize,
    number: usize,
    received_at: DateTime<Utc>,
    stage: Stage,
    notes: usize,
) -> Built {
    let commune = &people.communes[commune_index];
    let (_, worker_id) = people.workers[commune_index];
    let (_, chair_id) = people.approvers[commune_index];
    let hotline = actor(people.hotline.1, Role::HotlineOperator, "VN");
    let worker = actor(worker_id, Role::SocialWorker, commune);
    let chair = actor(chair_id, Role::Approver, commune);
    let case_id = Uuid::now_v7();
    let mut b = Builder {
        services,
        case: Case::default(),
        case_id,
        envelopes: Vec::new(),
    };
    let path = UnitPath::from_codes(&["VN", PROVINCE, commune]).expect("path");
    let sex = if number % 2 == 0 {
        Sex::Female
    } else {
        Sex::Male
    };
    b.run(
        &hotline,
        Role::HotlineOperator,
        "VN",
        received_at + Duration::minutes(20),
        CaseAction::Report(Box::new(ReportCase {
            case_id,
            case_number: format!("{PROVINCE}-2026-{number:06}"),
            report_id: Uuid::now_v7(),
            child_id: Uuid::now_v7(),
            received_at,
            intake_point: IntakePoint::Hotline111,
            channel: Channel::Phone,
            target_group: TargetGroup::Abused,
            incident_unit: path,
            description: Some(text("Hàng xóm báo trẻ bị đánh nhiều lần")),
            abuse_types: vec![AbuseType::Violence],
            sexual_abuse_subtypes: vec![],
            exploitation_subtypes: vec![],
            abuse_environment: Some(AbuseEnvironment::Family),
            perpetrator_relationship: Some(PerpetratorRelationship::Relative),
            immediate_danger: Some(false),
            special_circumstances: vec![],
            child: Child {
                full_name: Some(short(&child_name(number as u64, sex == Sex::Female))),
                estimated_age: Some(u8::try_from(number % 17).unwrap_or(9)),
                sex,
                ..Child::default()
            },
            reporter: None,
            previous_case_id: None,
            not_same_as: Vec::new(),
        })),
    );
    let t = |hours: i64| received_at + Duration::hours(hours);
    b.run(
        &chair,
        Role::Approver,
        commune,
        t(1),
        CaseAction::AssignWorker(AssignWorker {
            worker_id,
            worker_units: vec![UnitCode::parse(commune).expect("unit")],
        }),
    );
    if matches!(stage, Stage::Assessed | Stage::PlanApproved) {
        b.run(
            &worker,
            Role::SocialWorker,
            commune,
            t(6),
            CaseAction::RecordInitialAssessment(RecordInitialAssessment {
                assessed_at: t(5),
                outcome: InitialOutcome::SupportNeeded,
                grounds: vec![],
                ratings: Default::default(),
                findings: text("Trẻ cần được hỗ trợ tâm lý"),
            }),
        );
    }
    if matches!(stage, Stage::PlanApproved) {
        b.run(
            &worker,
            Role::SocialWorker,
            commune,
            t(30),
            CaseAction::RecordDetailedAssessment(RecordDetailedAssessment {
                assessed_at: t(29),
                physical_psychological: text("Lo âu"),
                family: text("Gia đình có mâu thuẫn"),
                risk_factors: text("Người thân uống rượu"),
                schooling: text("Đi học đều"),
                community: text("Hàng xóm hỗ trợ"),
                needs: vec![ServiceType::Psychological],
                child_view: None,
                parent_view: None,
                parent_view_by: None,
            }),
        );
        // The plan follows its cycle's needs meeting (ND56 art. 27(2), 28(2)(b)).
        b.run(
            &chair,
            Role::Approver,
            commune,
            t(40),
            CaseAction::RecordNeedsMeeting(RecordNeedsMeeting {
                held_at: t(39),
                chaired_by: short("Chủ tịch UBND xã"),
                attendees: vec![short("Cha mẹ trẻ")],
                decisions: text("Tư vấn tâm lý cho trẻ"),
            }),
        );
        let starts = aggregates::deadlines::calendar::local_date(t(50));
        b.run(
            &worker,
            Role::SocialWorker,
            commune,
            t(50),
            CaseAction::SubmitPlan(SubmitPlan {
                submitted_at: t(49),
                items: vec![PlanItemInput {
                    item_id: Uuid::now_v7(),
                    measure: PlanMeasure::RiskWarningAndCounselling,
                    service_type: ServiceType::Psychological,
                    responsible: short("Cán bộ xã"),
                    provider: None,
                    starts_on: starts,
                    ends_on: starts + chrono::Days::new(30),
                    cost_estimate_vnd: Some(500_000),
                }],
            }),
        );
        b.run(
            &chair,
            Role::Approver,
            commune,
            t(70),
            CaseAction::DecidePlan(DecidePlan {
                decided_at: t(69),
                decision: PlanDecision::Approve,
                plan_version: 1,
                comment: None,
            }),
        );
    }
    for n in 0..notes {
        b.run(
            &worker,
            Role::SocialWorker,
            commune,
            t(80) + Duration::seconds(n as i64),
            CaseAction::AddNote(AddNote {
                text: text("Đã gọi điện hỏi thăm gia đình"),
            }),
        );
    }
    Built {
        case_id,
        envelopes: b.envelopes,
    }
}

/// Later intake numbers continue after the preloaded ones.
pub async fn set_last_number(db: &Db, last: usize) {
    projections::with_db!(db, pool => sqlx::query(
        "INSERT INTO case_numbers (province, year, last) VALUES ($1, 2026, $2) \
         ON CONFLICT (province, year) DO UPDATE SET last = excluded.last")
        .bind(PROVINCE)
        .bind(last as i64)
        .execute(pool)
        .await
        .map(|_| ())
        .expect("case numbers"));
}

pub struct PreloadStats {
    pub cases: usize,
    pub events: usize,
    pub seconds: f64,
}

/// Writes `built` cases in transactions of `batch` cases.
pub async fn store(repo: &EventRepository, built: Vec<Built>, batch: usize) -> usize {
    let mut events = 0;
    for chunk in built.chunks(batch) {
        let serialized: Vec<SerializedEvent> = chunk
            .iter()
            .flat_map(|b| b.envelopes.iter())
            .map(|e| SerializedEvent::try_from(e).expect("serialize"))
            .collect();
        events += serialized.len();
        repo.persist::<Case>(&serialized, None)
            .await
            .expect("persist");
    }
    events
}

/// Preloads `cases` cases, spread over the communes and the past 200 days: 40 % just reported,
/// 30 % assessed, 30 % with an approved plan; a note on every third case.
pub async fn preload(
    db: &Db,
    services: &CaseServices,
    people: &People,
    cases: usize,
    progress: impl Fn(usize, usize),
) -> PreloadStats {
    let repo = EventRepository::new(db);
    let started = Instant::now();
    let now = Utc::now();
    let mut events = 0;
    let chunk = 2_000;
    let mut done = 0;
    while done < cases {
        let n = chunk.min(cases - done);
        let built: Vec<Built> = (done..done + n)
            .map(|i| {
                let stage = match i % 10 {
                    0..=3 => Stage::Reported,
                    4..=6 => Stage::Assessed,
                    _ => Stage::PlanApproved,
                };
                // Oldest first, the most recent a few days ago.
                let age = Duration::minutes(
                    ((cases - i) as i64 * 200 * 24 * 60) / cases as i64 + 4 * 24 * 60,
                );
                build_case(
                    services,
                    people,
                    i % people.communes.len(),
                    i + 1,
                    now - age,
                    stage,
                    usize::from(i % 3 == 0),
                )
            })
            .collect();
        events += store(&repo, built, 250).await;
        done += n;
        progress(done, events);
    }
    set_last_number(db, cases).await;
    PreloadStats {
        cases,
        events,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// A child's name as the registers hold them: a family name, a middle name and a given name,
/// chosen from common ones by `n` (Kinh and the north-west's Thái, Mông, Dao, Giáy names), so
/// that the matcher meets what it meets in a real store — mostly different children, and some
/// children of the same name in one commune — rather than names told apart by a number (which
/// the name folding drops, as it drops the digits of VNI typing).
pub fn child_name(n: u64, female: bool) -> String {
    const FAMILY: &[&str] = &[
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
        "Lò", "Lường", "Quàng", "Cầm", "Tòng", "Điêu", "Vàng", "Giàng", "Thào", "Sùng", "Chảo",
        "Tẩn", "Lý", "Hà", "Mùa", "Lầu",
    ];
    const FEMALE_MIDDLE: &[&str] = &["Thị", "Ngọc", "Thu", "Minh", "Phương", "Mỹ"];
    const MALE_MIDDLE: &[&str] = &["Văn", "Đức", "Minh", "Quang", "A", "Thành"];
    const FEMALE: &[&str] = &[
        "Mai",
        "Lan",
        "Hoa",
        "Hương",
        "Huệ",
        "Hà",
        "Linh",
        "Trang",
        "Thảo",
        "Ngọc",
        "Yến",
        "Nhung",
        "Dung",
        "Hạnh",
        "Hằng",
        "Thủy",
        "Vân",
        "Nga",
        "Loan",
        "Phượng",
        "Quỳnh",
        "Diệp",
        "Chi",
        "Giang",
        "Hiền",
        "Hồng",
        "Khánh",
        "Liên",
        "Ly",
        "My",
        "Nhi",
        "Oanh",
        "Tâm",
        "Thanh",
        "Thơ",
        "Tiên",
        "Trâm",
        "Uyên",
        "Vy",
        "Xuân",
        "Ánh",
        "Bích",
        "Cúc",
        "Dịu",
        "Đào",
        "Gấm",
        "Hiên",
        "Kiều",
        "Lụa",
        "Mơ",
        "Na",
        "Páo",
        "Sua",
        "Súa",
        "Dợ",
        "Chá",
        "Mỷ",
        "Pằng",
        "Sinh",
        "Xuyến",
    ];
    const MALE: &[&str] = &[
        "Nam", "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Long", "Sơn", "Thắng", "Trung", "Phong",
        "Quân", "Bình", "Cường", "Đạt", "Đức", "Giang", "Hiếu", "Hòa", "Huy", "Khải", "Khoa",
        "Lâm", "Lộc", "Mạnh", "Nghĩa", "Phúc", "Quang", "Tài", "Thành", "Thịnh", "Toàn", "Trí",
        "Tú", "Việt", "Vinh", "Páo", "Dính", "Chứ", "Sử", "Lử", "Tủa", "Vảng", "Pó", "Sếnh",
        "Chinh", "Kiên", "Lợi", "Nhật", "Phát", "Sang", "Tâm", "Thái", "Thiện", "Tiến", "Tín",
        "Tùng", "Vĩnh", "Xuân", "Yên",
    ];
    // A multiplicative hash spreads consecutive numbers over the whole space.
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let pick = |list: &[&'static str], shift: u32| list[((h >> shift) as usize) % list.len()];
    let (middle, given) = if female {
        (pick(FEMALE_MIDDLE, 20), pick(FEMALE, 40))
    } else {
        (pick(MALE_MIDDLE, 20), pick(MALE, 40))
    };
    format!("{} {middle} {given}", pick(FAMILY, 8))
}
