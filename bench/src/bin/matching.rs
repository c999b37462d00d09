//! The child matcher, measured (issue 12): precision and recall on the shipped and the
//! held-out fixtures, and the time a search takes over N identities in the identities view
//! (SQLite, the default store; `--postgres` adds a throwaway PostgreSQL). Prints a Markdown
//! section for BENCHMARKS.md. `cargo run --release -p casebook-bench --bin matching`.
//!
//! The identities are generated with the frequency of Vietnamese family names (Nguyễn about
//! 38 %), the usual middle names and given names, ages 0–17 and 60 communes; queries are
//! variants of stored children (marks dropped, Telex typed, a middle name left out) and names
//! nobody has. Timed is what grows with the number of identities: the candidate query of the
//! view and the scoring (`casebook::app::children::scored_candidates`), not the HTTP round
//! trip or the reads of the ≤ 10 cases shown.

use aggregates::codes::Sex;
use aggregates::identity::evaluate::{evaluate, parse_fixture};
use aggregates::identity::{Keys, MatchRules, Person};
use aggregates::units::UnitPath;
use casebook::app::children::scored_candidates;
use chrono::NaiveDate;
use projections::views::identities::{insert, NewIdentity};
use projections::Db;
use std::time::{Duration, Instant};
use uuid::Uuid;

const FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Huỳnh", 40),
    ("Phan", 40),
    ("Vũ", 30),
    ("Võ", 20),
    ("Đặng", 20),
    ("Bùi", 20),
    ("Đỗ", 15),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Lò", 5),
    ("Quàng", 3),
    ("Vàng", 3),
    ("Sùng", 3),
];
const MIDDLE_F: &[&str] = &[
    "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Bảo", "Hồng", "Kim",
];
const MIDDLE_M: &[&str] = &[
    "Văn", "Văn", "Văn", "Minh", "Quốc", "Đức", "Hữu", "Thanh", "Xuân", "Anh",
];
const GIVEN_F: &[&str] = &[
    "Mai", "Lan", "Hoa", "Hà", "Linh", "Trang", "Hương", "Thảo", "Ngọc", "Anh", "Yến", "Nhung",
    "Huyền", "Vy", "Chi", "My", "Thủy", "Hằng", "Phương", "Quỳnh", "Trâm", "Nhi", "Hạnh", "Giang",
];
const GIVEN_M: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đức", "Hùng", "Huy", "Khoa", "Long", "Minh", "Nam", "Phúc",
    "Quân", "Sơn", "Tuấn", "Tùng", "Việt", "Khang", "Bảo", "Hiếu", "Kiên", "Lâm", "Phong", "Thắng",
];

/// xorshift64*: deterministic, so that every run measures the same identities.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn family(&mut self) -> &'static str {
        let total: u32 = FAMILY.iter().map(|(_, w)| w).sum();
        let mut at = (self.next() % u64::from(total)) as u32;
        for (name, w) in FAMILY {
            if at < *w {
                return name;
            }
            at -= w;
        }
        FAMILY[0].0
    }
}

fn commune(i: usize) -> String {
    format!("{:05}", 3388 + i)
}

fn person(rng: &mut Rng) -> Person {
    let female = rng.below(2) == 0;
    let (middle, given) = if female {
        (MIDDLE_F, GIVEN_F)
    } else {
        (MIDDLE_M, GIVEN_M)
    };
    let name = format!("{} {} {}", rng.family(), rng.pick(middle), rng.pick(given));
    let as_of =
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(rng.below(300) as u64);
    let age = rng.below(18) as u64;
    let dob = as_of - chrono::Days::new(age * 365 + rng.below(365) as u64);
    let known_dob = rng.below(3) == 0;
    Person {
        full_name: Some(name),
        date_of_birth: known_dob.then_some(dob),
        estimated_age: (!known_dob).then_some(age as u8),
        age_as_of: Some(as_of),
        sex: if female { Sex::Female } else { Sex::Male },
        residence_unit: Some(commune(rng.below(60))),
        ..Person::default()
    }
}

/// The stored child as another report would give it.
fn variant(p: &Person, rng: &mut Rng) -> Person {
    let name = p.full_name.clone().unwrap_or_default();
    let plain = aggregates::identity::fold::fold(&name);
    let words: Vec<&str> = plain.split(' ').collect();
    let full_name = match rng.below(3) {
        0 => plain.clone(),
        1 => format!("{} {}", words[0], words[words.len() - 1]),
        _ => name.clone(),
    };
    Person {
        full_name: Some(full_name),
        date_of_birth: None,
        estimated_age: p.estimated_age.or_else(|| {
            let (dob, as_of) = (p.date_of_birth?, p.age_as_of?);
            u8::try_from((as_of - dob).num_days() / 365).ok()
        }),
        ..p.clone()
    }
}

async fn fill(db: &Db, n: usize, rng: &mut Rng) -> Vec<Person> {
    let mut people = Vec::with_capacity(n);
    let at = chrono::Utc::now();
    for chunk in 0..n.div_ceil(5000) {
        let rows: Vec<(Person, UnitPath)> = (0..5000.min(n - chunk * 5000))
            .map(|_| {
                let p = person(rng);
                let unit =
                    UnitPath::from_codes(&["VN", "12", p.residence_unit.as_deref().unwrap()])
                        .unwrap();
                (p, unit)
            })
            .collect();
        projections::with_db!(db, pool => {
            let mut tx = pool.begin().await.expect("begin");
            for (i, (p, unit)) in rows.iter().enumerate() {
                let row = NewIdentity {
                    case_id: Uuid::now_v7(),
                    child_id: Uuid::now_v7(),
                    case_number: format!("12-2026-{:06}", chunk * 5000 + i + 1),
                    acting: unit,
                    person: p.clone(),
                    at,
                };
                insert(&mut *tx, "child_identities", &row).await.expect("insert");
            }
            tx.commit().await.expect("commit");
        });
        people.extend(rows.into_iter().map(|(p, _)| p));
        eprint!("\r[identities] {}   ", people.len());
    }
    eprintln!();
    people
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn measure(db: &Db, rules: &MatchRules, people: &[Person], queries: usize) -> String {
    let mut rng = Rng(0x5eed_0002);
    let mut samples = Vec::with_capacity(queries);
    let mut found = 0usize;
    for q in 0..queries {
        let query = if q % 2 == 0 {
            variant(&people[rng.below(people.len())], &mut rng)
        } else {
            let mut p = person(&mut rng);
            p.full_name = Some(format!("Khổng Thị {}", rng.pick(GIVEN_F)));
            p
        };
        let t = Instant::now();
        let keys = Keys::of(&query, rules);
        let scored = scored_candidates(db, rules, &keys).await.expect("search");
        samples.push(t.elapsed());
        found += scored.len();
    }
    samples.sort();
    format!(
        "{} searches: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.1} candidates answered on average",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
        percentile(&samples, 1.0),
        found as f64 / samples.len() as f64
    )
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut identities = 100_000usize;
    let mut queries = 200usize;
    let mut postgres = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--identities" => {
                identities = args.next().and_then(|v| v.parse().ok()).expect("a number")
            }
            "--queries" => queries = args.next().and_then(|v| v.parse().ok()).expect("a number"),
            "--postgres" => postgres = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let rules = MatchRules::shipped();
    println!("## Child matching (issue 12)\n");
    println!("Generated by `cargo run --release -p casebook-bench --bin matching -- --identities {identities} --queries {queries}{}`.\n",
        if postgres { " --postgres" } else { "" });
    for (name, json) in [
        (
            "shipped fixture (the weights were set on it)",
            aggregates::identity::SHIPPED_FIXTURE_JSON,
        ),
        (
            "held-out fixture (not used to set them)",
            include_str!("../../../aggregates/data/matching-holdout.json"),
        ),
    ] {
        let fixture = parse_fixture(json).expect("fixture");
        let r = evaluate(&fixture, &rules);
        println!(
            "- {name}: {} records, {} pairs, {} of the same child; precision {:.3}, recall {:.3} ({} found wrongly, {} missed)",
            fixture.records.len(), r.pairs, r.true_positives + r.false_negatives,
            r.precision(), r.recall(), r.false_positives, r.false_negatives
        );
    }
    let dir = std::env::temp_dir().join(format!("casebook-matching-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let db = casebook::startup::open_store(&casebook::config::Settings::for_database(&url))
        .await
        .expect("store");
    projections::projector::Projections::new(db.clone())
        .prepare()
        .await
        .expect("views");
    let mut rng = Rng(0x5eed_0001);
    let t = Instant::now();
    let people = fill(&db, identities, &mut rng).await;
    eprintln!("filled in {:.1} s", t.elapsed().as_secs_f64());
    println!(
        "- SQLite, {identities} identities: {}",
        measure(&db, &rules, &people, queries).await
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    if postgres {
        let pg = casebook::testing::PgServer::start(&["fsync=off"]);
        let admin = sqlx::PgPool::connect(&pg.url("postgres"))
            .await
            .expect("connect");
        sqlx::query("CREATE DATABASE matching")
            .execute(&admin)
            .await
            .expect("database");
        admin.close().await;
        let db = casebook::startup::open_store(&casebook::config::Settings::for_database(
            &pg.url("matching"),
        ))
        .await
        .expect("store");
        projections::projector::Projections::new(db.clone())
            .prepare()
            .await
            .expect("views");
        let mut rng = Rng(0x5eed_0001);
        let people = fill(&db, identities, &mut rng).await;
        println!(
            "- PostgreSQL, {identities} identities: {}",
            measure(&db, &rules, &people, queries).await
        );
        db.close().await;
    }
}
