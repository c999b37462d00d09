//! The command line: `casebook serve | migrate | user add | units import | projections rebuild |
//! demo`.

use crate::config::Settings;
use crate::startup::{self, Application};
use crate::store::users::{self, NewUser};
use crate::{auth, telemetry, units};
use aggregates::codes::{Code, Role};
use aggregates::policy::Grant;
use aggregates::units::UnitCode;
use clap::{Parser, Subcommand};
use projections::projector::{Projections, View};
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "casebook",
    version,
    about = "Case management for child protection in Vietnam"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve,
    /// Apply migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the administrative-unit registry.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Manage the read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Fill an empty embedded store with a demo commune (03388 Phường Đoàn Kết, Lai Châu): its
    /// people, with random passwords printed once, and a few dozen synthetic cases at every
    /// stage. Refused on a store that already holds cases.
    Demo,
    /// The child matcher (issue 12).
    Children {
        #[command(subcommand)]
        command: ChildrenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChildrenCommand {
    /// Measure the matcher on a labelled fixture (same shape as
    /// aggregates/data/matching-fixture.json; the shipped one when none is given), with the
    /// matching rules in force (CASEBOOK_MATCHING): prints precision and recall.
    Evaluate {
        fixture: Option<PathBuf>,
        /// Also list every pair judged wrongly.
        #[arg(long)]
        mistakes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        username: String,
        /// `<role>:<unit_code>`, e.g. `admin:VN`, `social_worker:03388`; repeat for several.
        #[arg(long = "grant", required = true)]
        grants: Vec<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: there is no default password).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Load or update the registry from a file (same shape as reference/units-2025-07-01.json).
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Rebuild read models from the event log (all when none is named).
    Rebuild { names: Vec<String> },
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> Result<(), String> {
    let settings = cli.settings;
    telemetry::init(&settings)?;
    match cli.command {
        Command::Serve => {
            let app = Application::build(settings)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(
                port = app.port(),
                scheme = app.scheme(),
                store = app.db.kind(),
                "casebook is serving"
            );
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            startup::open_store(&settings)
                .await
                .map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    grants,
                    display_name,
                    password_stdin: _,
                },
        } => add_user(&settings, &username, &grants, display_name.as_deref()).await,
        Command::Children {
            command: ChildrenCommand::Evaluate { fixture, mistakes },
        } => evaluate(&settings, fixture.as_deref(), mistakes),
        Command::Units {
            command: UnitsCommand::Import { file },
        } => {
            let json =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let db = startup::open_store(&settings)
                .await
                .map_err(|e| e.to_string())?;
            let n = units::import(&db, &json).await.map_err(|e| e.to_string())?;
            println!("{n} units loaded");
            Ok(())
        }
        Command::Projections {
            command: ProjectionsCommand::Rebuild { names },
        } => rebuild(&settings, &names).await,
        Command::Demo => demo(&settings).await,
    }
}

async fn add_user(
    settings: &Settings,
    username: &str,
    grants: &[String],
    display_name: Option<&str>,
) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    crate::http::admin::check_new_user(username, &password)?;
    let db = startup::open_store(settings)
        .await
        .map_err(|e| e.to_string())?;
    let directory = units::UnitDirectory::load(&db)
        .await
        .map_err(|e| e.to_string())?;
    let mut parsed = Vec::new();
    for grant in grants {
        let (role, unit) = grant
            .split_once(':')
            .ok_or_else(|| format!("--grant `{grant}` must be <role>:<unit_code>"))?;
        let role = Role::parse(role).map_err(|e| {
            format!(
                "--grant `{grant}`: {e}; roles are {}",
                Role::codes().join(", ")
            )
        })?;
        let unit = UnitCode::parse(unit).map_err(|e| format!("--grant `{grant}`: {e}"))?;
        if directory.get(unit.as_str()).is_none() {
            return Err(format!(
                "--grant `{grant}`: no unit `{unit}` in the registry"
            ));
        }
        parsed.push(Grant { role, unit });
    }
    crate::http::admin::check_grants(&parsed)?;
    let hash = auth::hash_password(&password).map_err(|e| e.to_string())?;
    let id = uuid::Uuid::now_v7();
    users::create(
        &db,
        &NewUser {
            id,
            username,
            display_name: display_name.unwrap_or(username),
            password_hash: &hash,
            grants: &parsed,
            now: chrono::Utc::now(),
        },
    )
    .await
    .map_err(|e| match e {
        users::UserStoreError::UsernameTaken => format!("the username `{username}` is taken"),
        users::UserStoreError::Db(e) => e.to_string(),
    })?;
    println!("{id}");
    Ok(())
}

async fn demo(settings: &Settings) -> Result<(), String> {
    let summary = crate::demo::run(settings).await?;
    println!(
        "casebook demo: {} synthetic cases of commune {} (Phường Đoàn Kết, Lai Châu) in {}",
        summary.cases,
        crate::demo::COMMUNE,
        settings.database_url
    );
    println!("The passwords are shown this once; note them now.\n");
    println!(
        "{:<12} {:<18} {:<8} {:<24} password",
        "username", "role", "unit", "name"
    );
    for (username, display, role, unit, password) in &summary.accounts {
        println!(
            "{username:<12} {:<18} {unit:<8} {display:<24} {password}",
            role.code()
        );
    }
    println!(
        "\nStart it with `casebook serve{}` and open http://{}/",
        if settings.database_url == "sqlite://data/casebook.db" {
            String::new()
        } else {
            format!(" --database-url {}", settings.database_url)
        },
        settings.listen
    );
    Ok(())
}

async fn rebuild(settings: &Settings, names: &[String]) -> Result<(), String> {
    use projections::projector::DUPLICATES;
    let all = || {
        View::ALL
            .iter()
            .map(|v| v.name())
            .chain([DUPLICATES])
            .collect::<Vec<_>>()
    };
    let names: Vec<String> = if names.is_empty() {
        all().into_iter().map(str::to_owned).collect()
    } else {
        names.to_vec()
    };
    let mut views = Vec::new();
    let mut duplicates = false;
    for n in &names {
        match View::parse(n) {
            Some(view) => views.push(view),
            None if n == DUPLICATES => duplicates = true,
            None => {
                return Err(format!(
                    "no projection `{n}`; projections are {}",
                    all().join(", ")
                ))
            }
        }
    }
    let matching = startup::matching_rules(settings).map_err(|e| e.to_string())?;
    let db = startup::open_store(settings)
        .await
        .map_err(|e| e.to_string())?;
    let projections = Projections::with_matching(db, std::sync::Arc::new(matching));
    let style = |unit: &str| {
        indicatif::ProgressStyle::with_template(&format!(
            "{{prefix:>10}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .map(|s| s.progress_chars("=> "))
        .map_err(|e| e.to_string())
    };
    // The views rebuild side by side, each from the whole log into its own tables and swapped
    // in under its own lock: a rebuild waits on round trips more than on CPU, so together they
    // take about as long as the slowest alone.
    let bars = indicatif::MultiProgress::new();
    let mut tasks = Vec::new();
    for view in views {
        let bar = bars.add(indicatif::ProgressBar::new(0));
        bar.set_style(style("events")?);
        bar.set_prefix(view.name());
        let projections = projections.clone();
        tasks.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let n = projections
                .rebuild(view, |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await;
            bar.finish();
            (view, n, started.elapsed().as_secs_f64())
        }));
    }
    for task in tasks {
        let (view, n, secs) = task.await.map_err(|e| e.to_string())?;
        let n = n.map_err(|e| format!("{}: {e}", view.name()))?;
        println!(
            "{}: {n} events replayed in {secs:.1} s ({:.0} events/s)",
            view.name(),
            n as f64 / secs.max(1e-9)
        );
    }
    // After the identities view: the matcher reads it.
    if duplicates {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_prefix(DUPLICATES);
        let started = std::time::Instant::now();
        let n = projections
            .rebuild_duplicates(|done| bar.set_position(done))
            .await
            .map_err(|e| e.to_string())?;
        bar.finish();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{DUPLICATES}: {n} open cases and events looked at in {secs:.1} s ({:.0}/s)",
            n as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

/// `casebook children evaluate`: every pair of the fixture compared, as `possible` or better
/// counting as found (what an operator is shown at intake).
fn evaluate(
    settings: &Settings,
    fixture: Option<&std::path::Path>,
    mistakes: bool,
) -> Result<(), String> {
    use aggregates::identity::evaluate::{evaluate, parse_fixture};
    let rules = startup::matching_rules(settings).map_err(|e| e.to_string())?;
    let (json, name) = match fixture {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
            path.display().to_string(),
        ),
        None => (
            aggregates::identity::SHIPPED_FIXTURE_JSON.to_owned(),
            "the shipped fixture (aggregates/data/matching-fixture.json)".to_owned(),
        ),
    };
    let fixture = parse_fixture(&json).map_err(|e| format!("{name}: {e}"))?;
    let result = evaluate(&fixture, &rules);
    println!("fixture: {name}");
    println!(
        "records: {}, pairs: {}, pairs of the same child: {}",
        fixture.records.len(),
        result.pairs,
        result.true_positives + result.false_negatives
    );
    println!(
        "found: {} right, {} wrong; missed: {}",
        result.true_positives, result.false_positives, result.false_negatives
    );
    println!("precision: {:.3}", result.precision());
    println!("recall: {:.3}", result.recall());
    if mistakes {
        for (a, b, score, same) in &result.mistakes {
            let what = if *same { "missed" } else { "wrongly found" };
            println!("  {what}: {a} / {b} (score {score:.1})");
        }
    }
    Ok(())
}
