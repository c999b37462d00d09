//! Tài khoản (admins): users, grants, disable, reset password; never any case content. Every
//! change goes through the API's own user functions (checks, account trail, sessions ended).

use super::cases::{texts, Texts};
use super::format::{self, label, pick};
use super::pages::Chrome;
use super::session::{field, form_pairs, Staff};
use super::{html, see_other, WebError};
use crate::http::admin::{NewUserDto, UserPatchDto};
use crate::http::errors::{ApiError, Lang};
use crate::http::extract::parse_json;
use crate::http::AppState;
use crate::store::users;
use actix_web::{web, HttpRequest, HttpResponse};
use aggregates::codes::{Code, Role};
use askama::Template;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub href: String,
    pub username: String,
    pub display_name: String,
    pub grants: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub page: Chrome,
    pub users: Vec<UserRow>,
    pub roles: Vec<(String, String)>,
    pub error: Option<String>,
    pub values: Vec<(String, String)>,
    pub t: Texts,
}

impl AccountsPage {
    pub fn value(&self, name: &str) -> &str {
        field(&self.values, name)
    }
}

fn grants_text(state: &AppState, u: &users::User, lang: Lang) -> String {
    u.grants
        .iter()
        .map(|g| {
            let unit = state
                .units
                .get(g.unit.as_str())
                .map_or_else(|| g.unit.to_string(), |u| u.name);
            format!(
                "{} — {unit} ({})",
                label::<Role>(g.role.code(), lang),
                g.unit
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn require_admin(staff: &Staff) -> Result<(), WebError> {
    if staff.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(WebError::Forbidden(staff.lang))
    }
}

fn problem_text(e: &ApiError, lang: Lang) -> String {
    let mut parts = vec![e.title.get(lang).to_owned()];
    parts.extend(
        e.errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message.get(lang))),
    );
    parts.join(" — ")
}

fn account_texts(lang: Lang) -> Texts {
    texts(
        lang,
        &[
            ("heading", "Tài khoản", "Accounts"),
            ("username", "Tên đăng nhập", "Username"),
            ("display_name", "Tên hiển thị", "Display name"),
            ("grants", "Quyền", "Grants"),
            ("state", "Tình trạng", "State"),
            ("new", "Tạo tài khoản", "Create an account"),
            (
                "password",
                "Mật khẩu dùng một lần (ít nhất 12 ký tự)",
                "One-time password (at least 12 characters)",
            ),
            ("role", "Vai trò", "Role"),
            ("unit", "Mã đơn vị", "Unit code"),
            ("grant", "Quyền", "Grant"),
            ("create", "Tạo", "Create"),
            ("disable", "Khóa tài khoản", "Disable the account"),
            ("enable", "Mở khóa tài khoản", "Enable the account"),
            (
                "reset",
                "Đặt lại mật khẩu (dùng một lần)",
                "Reset the password (one-time)",
            ),
            ("save_grants", "Lưu quyền", "Save grants"),
            ("back", "Danh sách tài khoản", "All accounts"),
            (
                "no_content",
                "Quản trị viên không xem nội dung hồ sơ.",
                "Administrators see no case content.",
            ),
        ],
    )
}

fn roles(lang: Lang) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_owned(), pick(lang, r.label_vi(), r.label_en())))
        .collect()
}

async fn accounts_page(
    state: &AppState,
    staff: &Staff,
    error: Option<String>,
    values: Vec<(String, String)>,
) -> Result<AccountsPage, WebError> {
    let lang = staff.lang;
    let list = users::list(&state.db, "", 500)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(AccountsPage {
        page: staff
            .chrome(&pick(lang, "Tài khoản", "Accounts"))
            .at("/accounts"),
        users: list
            .iter()
            .map(|u| UserRow {
                href: format!("/accounts/{}", u.id),
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                grants: grants_text(state, u, lang),
                state: if u.disabled {
                    pick(lang, "Đã khóa", "Disabled")
                } else if u.must_change_password {
                    pick(lang, "Chờ đổi mật khẩu", "Password to be replaced")
                } else {
                    pick(lang, "Hoạt động", "Active")
                },
            })
            .collect(),
        roles: roles(lang),
        error,
        values,
        t: account_texts(lang),
    })
}

/// `GET /accounts`.
pub async fn accounts(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, WebError> {
    require_admin(&staff)?;
    html(&accounts_page(&state, &staff, None, Vec::new()).await?)
}

/// `POST /accounts` (`username`, `display_name`, `password`, `grants[i].role`,
/// `grants[i].unit_code`, `csrf_token`): the API's user creation, with a one-time password.
pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    require_admin(&staff)?;
    let mut json = format::form_to_json(&pairs);
    if let serde_json::Value::Object(map) = &mut json {
        map.entry("grants")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        for key in ["username", "display_name", "password"] {
            map.entry(key)
                .or_insert_with(|| serde_json::Value::String(String::new()));
        }
    }
    let bytes = serde_json::to_vec(&json).map_err(|e| WebError::Internal(e.to_string()))?;
    let outcome = match parse_json::<NewUserDto>(&bytes) {
        Ok(dto) => crate::http::admin::create_user_for(&state, &staff.caller, dto).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(user) => Ok(see_other(&format!("/accounts/{}", user.id))),
        Err(e) => {
            let values: Vec<(String, String)> =
                pairs.into_iter().filter(|(k, _)| k != "password").collect();
            let page =
                accounts_page(&state, &staff, Some(problem_text(&e, staff.lang)), values).await?;
            Ok(HttpResponse::build(e.status)
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub page: Chrome,
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub grants: Vec<(String, String)>,
    pub grants_text: String,
    pub roles: Vec<(String, String)>,
    pub error: Option<String>,
    pub t: Texts,
}

async fn account_page(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    error: Option<String>,
) -> Result<AccountPage, WebError> {
    let lang = staff.lang;
    let user = users::get(&state.db, id)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .ok_or(WebError::NotFound(lang))?;
    let mut grants: Vec<(String, String)> = user
        .grants
        .iter()
        .map(|g| (g.role.code().to_owned(), g.unit.to_string()))
        .collect();
    grants.push((String::new(), String::new()));
    Ok(AccountPage {
        page: staff.chrome(&user.username).at(&format!("/accounts/{id}")),
        id: id.to_string(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        disabled: user.disabled,
        grants_text: grants_text(state, &user, lang),
        grants,
        roles: roles(lang),
        error,
        t: account_texts(lang),
    })
}

/// `GET /accounts/{id}`.
pub async fn account(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    require_admin(&staff)?;
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound(staff.lang))?;
    html(&account_page(&state, &staff, id, None).await?)
}

/// `POST /accounts/{id}` with `op` = `disable` | `enable` | `password` (`password`) |
/// `grants` (`grants[i].role`, `grants[i].unit_code`) | `display_name` (`display_name`): the
/// API's user change (disabling ends the user's sessions at once).
pub async fn change(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let pairs = form_pairs(body).await?;
    staff.check(&req, &pairs)?;
    require_admin(&staff)?;
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound(staff.lang))?;
    let json = match field(&pairs, "op") {
        "disable" => serde_json::json!({"disabled": true}),
        "enable" => serde_json::json!({"disabled": false}),
        "password" => serde_json::json!({"password": field(&pairs, "password")}),
        "display_name" => serde_json::json!({"display_name": field(&pairs, "display_name")}),
        "grants" => {
            let built = format::form_to_json(&pairs);
            serde_json::json!({"grants": built.get("grants").cloned().unwrap_or_else(|| serde_json::json!([]))})
        }
        _ => return Err(WebError::NotFound(staff.lang)),
    };
    let bytes = serde_json::to_vec(&json).map_err(|e| WebError::Internal(e.to_string()))?;
    let outcome = match parse_json::<UserPatchDto>(&bytes) {
        Ok(dto) => crate::http::admin::update_user_for(&state, &staff.caller, id, dto).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/accounts/{id}"))),
        Err(e) => {
            let page = account_page(&state, &staff, id, Some(problem_text(&e, staff.lang))).await?;
            Ok(HttpResponse::build(e.status)
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}
