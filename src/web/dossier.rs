//! Hồ sơ in (the printable dossier): the case's forms of ND56's annex, Mẫu 01–07, one at a time
//! or all together, laid out for A4 paper. The forms are printed in Vietnamese, as the commune
//! files them, whatever the console's language. Every print is a case read with its access-log
//! row (`crate::app::dossier`, as the API's `GET /cases/{id}/dossier`).

use super::cases::{texts, Texts};
use super::format::pick;
use super::pages::Chrome;
use super::session::Staff;
use super::{html, WebError};
use crate::dossier::{Dossier, Form, FormSheet};
use crate::http::AppState;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct FieldView {
    pub label: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct GridView {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct SectionView {
    pub heading: String,
    pub fields: Vec<FieldView>,
    pub table: Option<GridView>,
}

#[derive(Debug, Clone)]
pub struct SignView {
    pub role: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct SheetView {
    pub code: String,
    pub title: String,
    pub basis: String,
    pub recorded: bool,
    /// "Phường Đoàn Kết, ngày 05 tháng 03 năm 2026".
    pub date_line: String,
    pub sections: Vec<SectionView>,
    pub signatures: Vec<SignView>,
}

#[derive(Debug, Clone)]
pub struct FormLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "dossier.html")]
pub struct DossierPage {
    pub page: Chrome,
    pub case_href: String,
    pub case_number: String,
    pub links: Vec<FormLink>,
    /// The People's Committee keeping the dossier, upper case as on letterheads.
    pub issuer: String,
    pub printed: String,
    pub sheets: Vec<SheetView>,
    pub t: Texts,
}

fn sheet_view(sheet: &FormSheet, place: &str) -> SheetView {
    SheetView {
        code: sheet.form.clone(),
        title: sheet.title.vi.to_uppercase(),
        basis: sheet.basis.clone(),
        recorded: sheet.recorded,
        date_line: sheet.dated.map_or_else(
            || format!("{place}, ngày …… tháng …… năm ……"),
            |d| format!("{place}, ngày {}", d.format("%d tháng %m năm %Y")),
        ),
        sections: sheet
            .sections
            .iter()
            .map(|s| SectionView {
                heading: s.heading.vi.clone(),
                fields: s
                    .fields
                    .iter()
                    .map(|f| FieldView {
                        label: f.label.vi.clone(),
                        text: f.text.vi.clone(),
                    })
                    .collect(),
                table: s.table.as_ref().map(|t| GridView {
                    columns: t.columns.iter().map(|c| c.vi.clone()).collect(),
                    rows: t
                        .rows
                        .iter()
                        .map(|r| r.iter().map(|c| c.vi.clone()).collect())
                        .collect(),
                }),
            })
            .collect(),
        signatures: sheet
            .signatures
            .iter()
            .map(|s| SignView {
                role: s.role.vi.to_uppercase(),
                name: s.name.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

/// The page of a printed dossier.
pub fn dossier_page(staff: &Staff, dossier: &Dossier, form: Option<Form>) -> DossierPage {
    let lang = staff.lang;
    let id = dossier.case_id;
    let mut links: Vec<FormLink> = Form::ALL
        .into_iter()
        .map(|f| FormLink {
            href: format!("/cases/{id}/dossier/{}", f.code()),
            label: format!("Mẫu {}", f.code()),
            current: form == Some(f),
        })
        .collect();
    links.push(FormLink {
        href: format!("/cases/{id}/dossier"),
        label: pick(lang, "Toàn bộ hồ sơ", "The whole dossier"),
        current: form.is_none(),
    });
    let here = match form {
        Some(f) => format!("/cases/{id}/dossier/{}", f.code()),
        None => format!("/cases/{id}/dossier"),
    };
    let title = match form {
        Some(f) => format!("{} — Mẫu {}", dossier.case_number, f.code()),
        None => format!(
            "{} — {}",
            dossier.case_number,
            pick(lang, "Hồ sơ", "Dossier")
        ),
    };
    DossierPage {
        page: staff.chrome(&title).at(&here),
        case_href: format!("/cases/{id}"),
        case_number: dossier.case_number.clone(),
        links,
        issuer: dossier.acting_unit_name.to_uppercase(),
        printed: format!(
            "In lúc {} bởi {}. Hồ sơ MẬT (NĐ 56/2017/NĐ-CP, Điều 24): không sao chụp, không để lộ thông tin của trẻ em và người báo tin.",
            super::format::time(dossier.printed_at),
            dossier.printed_by
        ),
        sheets: dossier
            .forms
            .iter()
            .map(|s| sheet_view(s, &dossier.acting_unit_name))
            .collect(),
        t: texts(
            lang,
            &[
                ("back", "Về trang hồ sơ", "Back to the case"),
                ("heading", "In hồ sơ", "Print the dossier"),
                (
                    "hint",
                    "In bằng lệnh In của trình duyệt (Ctrl+P), khổ A4. Mỗi lần mở trang in được ghi vào nhật ký truy cập của hồ sơ.",
                    "Print with the browser's Print command (Ctrl+P), on A4. Every opening of a print page is written to the case's access log.",
                ),
                (
                    "lang_note",
                    "",
                    "The forms are printed in Vietnamese, as the commune files them.",
                ),
                ("forms", "Các mẫu", "Forms"),
            ],
        ),
    }
}

async fn show(
    state: &AppState,
    staff: &Staff,
    id: &str,
    form: Option<Form>,
) -> Result<HttpResponse, WebError> {
    let lang = staff.lang;
    let case_id = Uuid::parse_str(id).map_err(|_| WebError::NotFound(lang))?;
    let dossier = crate::app::dossier::print(state, &staff.caller, case_id, form)
        .await
        .map_err(|e| WebError::api(lang, e))?;
    html(&dossier_page(staff, &dossier, form))
}

/// `GET /cases/{id}/dossier`: every form of the dossier, one A4 sheet after another.
pub async fn all(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    show(&state, &staff, &id, None).await
}

/// `GET /cases/{id}/dossier/{form}` (`01` … `07`): one form.
pub async fn one(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, code) = path.into_inner();
    let form = Form::parse(&code).ok_or(WebError::NotFound(staff.lang))?;
    show(&state, &staff, &id, Some(form)).await
}
