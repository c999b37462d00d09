//! The tests' PostgreSQL server: one per test binary, a fresh database per test, cloned from a
//! migrated template.

pub use casebook::testing::PgServer;
use std::sync::OnceLock;

/// The server shared by the tests of this binary, with a migrated template database.
pub fn shared() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = PgServer::start(&["fsync=on"]);
        let url = server.url("postgres");
        let template = server.url("casebook_template");
        // Migrate a template once; each test clones it.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = sqlx::PgPool::connect(&url)
                    .await
                    .expect("connect to the test server");
                sqlx::query("CREATE DATABASE casebook_template")
                    .execute(&admin)
                    .await
                    .expect("template");
                admin.close().await;
                let db = casebook::store::connect(&template, 2)
                    .await
                    .expect("connect template");
                casebook::store::migrate(&db)
                    .await
                    .expect("migrate template");
                casebook::units::seed(&db).await.expect("seed units");
                db.close().await;
            });
        })
        .join()
        .expect("template setup");
        server
    })
}

/// A new database cloned from the migrated template.
pub async fn fresh_database() -> String {
    let server = shared();
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&server.url("postgres"))
        .await
        .expect("connect");
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE casebook_template"
    ))
    .execute(&admin)
    .await
    .expect("create test database");
    admin.close().await;
    server.url(&name)
}
