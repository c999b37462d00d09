//! Every template renders, in both languages, escaping what users typed.

use super::accounts::{AccountPage, AccountsPage, UserRow};
use super::audit::{AccessRow, AuditPage, HistoryRow};
use super::case_page::*;
use super::cases::*;
use super::duplicates::{DuplicatesPage, PairView, SideView};
use super::intake::*;
use super::intake_matches::{CandidateView, Choice, MatchPanel};
use super::manage::*;
use super::pages::Chrome;
use super::session::{LoginPage, PasswordPage, SetupPage};
use super::statistics::*;
use super::steps::{field_views, FieldSpec, Input, OptView, StepPage, SummaryEntry};
use super::ErrorPage;
use crate::http::errors::Lang;
use askama::Template;

pub(super) const EVIL: &str = "<script>alert(1)</script>";

pub(super) fn chrome(lang: Lang) -> Chrome {
    let mut c = Chrome::anonymous(lang, EVIL);
    c.user = Some(EVIL.to_owned());
    c.csrf = "token".into();
    c
}

pub(super) fn check(html: &str, lang: Lang) {
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains(&format!("<html lang=\"{}\">", lang.code())));
    assert!(!html.contains("<script"), "unescaped: {html}");
    assert!(html.contains("&#60;script&#62;"), "the typed text is shown");
    assert!(!html.contains("style=\""), "no inline style (CSP)");
}

fn t() -> Texts {
    texts(Lang::Vi, &[("heading", "Tiêu đề", "Heading")])
}

fn fields(lang: Lang) -> Vec<super::steps::FieldView> {
    let specs = vec![
        FieldSpec {
            name: "received_at".into(),
            label: "Thời điểm".into(),
            input: Input::Time,
            required: true,
        },
        FieldSpec {
            name: "text".into(),
            label: "Ghi chú".into(),
            input: Input::Area,
            required: true,
        },
        FieldSpec {
            name: "abuse_types".into(),
            label: "Hình thức".into(),
            input: Input::Checks(super::format::options::<aggregates::codes::AbuseType>(lang)),
            required: true,
        },
        FieldSpec {
            name: "sex".into(),
            label: "Giới tính".into(),
            input: Input::Select(super::format::options::<aggregates::codes::Sex>(lang)),
            required: false,
        },
        FieldSpec {
            name: "consent".into(),
            label: "Đồng ý".into(),
            input: Input::Check,
            required: false,
        },
        FieldSpec {
            name: "plan_version".into(),
            label: "v".into(),
            input: Input::Hidden("2".into()),
            required: true,
        },
    ];
    let pairs = vec![
        ("text".to_owned(), EVIL.to_owned()),
        ("abuse_types".to_owned(), "violence".to_owned()),
    ];
    let errors = vec![("text".to_owned(), "Thiếu".to_owned())];
    field_views(&specs, Some(&pairs), &errors, "05/03/2026 14:30", lang)
}

#[test]
fn every_page_renders_escaped_in_both_languages() {
    for lang in [Lang::Vi, Lang::En] {
        let page = chrome(lang);
        let mut pages: Vec<String> = vec![
            ErrorPage {
                page: page.clone(),
                heading: EVIL.into(),
                message: "m".into(),
            }
            .render()
            .unwrap(),
            LoginPage {
                page: page.clone(),
                username: EVIL.into(),
                error: Some("x".into()),
            }
            .render()
            .unwrap(),
            SetupPage {
                page: page.clone(),
                token: "abc".into(),
                username: EVIL.into(),
                display_name: String::new(),
                error: None,
            }
            .render()
            .unwrap(),
            PasswordPage {
                page: page.clone(),
                one_time: true,
                error: Some(EVIL.into()),
            }
            .render()
            .unwrap(),
            MyWorkPage {
                page: page.clone(),
                rows: vec![WorkRow {
                    case_href: "/cases/x".into(),
                    step_href: "/cases/x/steps/review".into(),
                    case_number: "12-2026-000001".into(),
                    child: EVIL.into(),
                    rule: "Rà soát".into(),
                    due: "14:30 05/03/2026".into(),
                    left: "quá hạn 2 giờ".into(),
                    state: "Quá hạn".into(),
                    state_code: "overdue".into(),
                    worker: EVIL.into(),
                    commune: "Xã".into(),
                }],
                next: Some("/?cursor=a".into()),
                t: t(),
            }
            .render()
            .unwrap(),
            CaseListPage {
                page: page.clone(),
                rows: vec![CaseRow {
                    href: "/cases/x".into(),
                    case_number: "1".into(),
                    child: EVIL.into(),
                    status: "s".into(),
                    commune: "c".into(),
                    worker: "w".into(),
                    received: "r".into(),
                    next_deadline: "n".into(),
                }],
                next: None,
                statuses: Vec::new(),
                communes: vec![OptView {
                    code: "03388".into(),
                    label: "Đoàn Kết".into(),
                    selected: true,
                    id: String::new(),
                }],
                deadline_states: Vec::new(),
                mine: true,
                q: EVIL.into(),
                error: None,
                t: t(),
            }
            .render()
            .unwrap(),
            CasePage {
                page: page.clone(),
                case_number: "12-2026-000001".into(),
                child: EVIL.into(),
                age: "~9".into(),
                commune: "Phường Đoàn Kết".into(),
                status: "Đã tiếp nhận".into(),
                worker: "w".into(),
                stages: vec![Stage {
                    label: "Đã tiếp nhận".into(),
                    current: true,
                    done: false,
                }],
                deadlines: vec![Row {
                    label: "Quá hạn".into(),
                    value: "v".into(),
                }],
                sections: vec![Section {
                    id: "child".into(),
                    title: "Trẻ".into(),
                    rows: vec![Row {
                        label: "Họ tên".into(),
                        value: EVIL.into(),
                    }],
                }],
                notes: vec![Row {
                    label: "t".into(),
                    value: EVIL.into(),
                }],
                timeline: vec![Event {
                    at: "a".into(),
                    what: "w".into(),
                }],
                actions: vec![ActionLink {
                    href: "/cases/x/steps/notes".into(),
                    label: "Thêm ghi chú".into(),
                    id: "action-notes".into(),
                }],
                audit_href: Some("/cases/x/audit".into()),
                dossier_href: "/cases/x/dossier".into(),
                done: Some("Đã ghi lại".into()),
                t: t(),
            }
            .render()
            .unwrap(),
            IntakePage {
                page: page.clone(),
                form_id: "f".into(),
                report: fields(lang),
                reporter: Vec::new(),
                children: vec![ChildBlock {
                    index: 0,
                    heading: "Trẻ 1".into(),
                    fields: fields(lang),
                    matches: Some(MatchPanel {
                        candidates: vec![CandidateView {
                            case_number: EVIL.into(),
                            commune: EVIL.into(),
                            level: "l".into(),
                            in_jurisdiction: true,
                            child: EVIL.into(),
                            status: "s".into(),
                            summary: EVIL.into(),
                            choices: vec![Choice {
                                value: EVIL.into(),
                                id: "attach-1".into(),
                                label: EVIL.into(),
                                checked: true,
                            }],
                        }],
                        shown: EVIL.into(),
                        new_choice: Choice {
                            value: "new".into(),
                            id: "new".into(),
                            label: "n".into(),
                            checked: false,
                        },
                        error: Some(EVIL.into()),
                    }),
                }],
                communes: Vec::new(),
                commune_query: EVIL.into(),
                commune_error: Some("x".into()),
                summary: vec![SummaryEntry {
                    href: "#f-text".into(),
                    message: "Ghi chú: Thiếu".into(),
                }],
                child_count: 2,
                t: t(),
            }
            .render()
            .unwrap(),
            StepPage {
                page: page.clone(),
                case_id: "x".into(),
                case_number: "1".into(),
                slug: "notes".into(),
                heading: "h".into(),
                version: 3,
                fields: fields(lang),
                summary: vec![SummaryEntry {
                    href: "#f-text".into(),
                    message: "m".into(),
                }],
                conflict: Some(EVIL.into()),
                deadline: Some("d".into()),
                t_submit: "s".into(),
                t_back: "b".into(),
                t_errors: "e".into(),
                t_required: "r".into(),
            }
            .render()
            .unwrap(),
            DuplicatesPage {
                page: page.clone(),
                pairs: vec![PairView {
                    index: 0,
                    level: "l".into(),
                    likely: true,
                    summary: EVIL.into(),
                    commune: EVIL.into(),
                    first: SideView {
                        href: "/cases/a".into(),
                        case_number: EVIL.into(),
                        child: EVIL.into(),
                        status: "s".into(),
                    },
                    second: SideView {
                        href: "/cases/b".into(),
                        case_number: "2".into(),
                        child: EVIL.into(),
                        status: "s".into(),
                    },
                    first_id: "a".into(),
                    second_id: "b".into(),
                }],
                notice: Some(EVIL.into()),
                error: Some(EVIL.into()),
                t: t(),
            }
            .render()
            .unwrap(),
            ApprovalsPage {
                page: page.clone(),
                groups: vec![Group {
                    id: "plans",
                    title: "Kế hoạch".into(),
                    action: "a".into(),
                    lines: vec![Line {
                        href: "/cases/x".into(),
                        case_number: "1".into(),
                        child: EVIL.into(),
                        detail: "d".into(),
                        action_href: "/x".into(),
                    }],
                }],
                t: t(),
            }
            .render()
            .unwrap(),
            CaseloadPage {
                page: page.clone(),
                counts: vec![("Đánh giá".into(), "1.234".into())],
                workers: vec![WorkerLoad {
                    name: EVIL.into(),
                    total: "1".into(),
                    by_status: "b".into(),
                    next: "n".into(),
                    cases: Vec::new(),
                }],
                t: t(),
            }
            .render()
            .unwrap(),
            BoardPage {
                page: page.clone(),
                rows: vec![BoardRow {
                    commune: EVIL.into(),
                    rule: "r".into(),
                    overdue: "1".into(),
                    due_soon: "0".into(),
                    drill: "/board?unit=1&rule=r".into(),
                }],
                lines: vec![BoardLine {
                    href: "/cases/x".into(),
                    case_number: "1".into(),
                    rule: "r".into(),
                    due: "d".into(),
                    state: "s".into(),
                }],
                drilled: Some("d".into()),
                t: t(),
            }
            .render()
            .unwrap(),
            StatisticsPage {
                page: page.clone(),
                from: EVIL.into(),
                to: String::new(),
                unit: String::new(),
                unit_name: "Lai Châu".into(),
                charts: vec![Chart {
                    id: "sex".into(),
                    title: "Giới tính".into(),
                    height: 56,
                    csv_section: "sex".into(),
                    bars: vec![
                        Bar {
                            label: "Nữ".into(),
                            value: "<5".into(),
                            y: 0,
                            text_y: 16,
                            width: 0,
                        },
                        Bar {
                            label: "Nam".into(),
                            value: "12".into(),
                            y: 28,
                            text_y: 44,
                            width: 300,
                        },
                    ],
                }],
                csv_href: "/statistics.csv?from=&to=".into(),
                error: None,
                t: t(),
            }
            .render()
            .unwrap(),
            AuditPage {
                page: page.clone(),
                case_id: "x".into(),
                case_number: "1".into(),
                history: vec![HistoryRow {
                    sequence: 1,
                    kind: "CaseReported".into(),
                    occurred: "o".into(),
                    recorded: "r".into(),
                    who: EVIL.into(),
                    role: "r".into(),
                    unit: "u".into(),
                }],
                access: vec![AccessRow {
                    at: "a".into(),
                    who: "w".into(),
                    role: "r".into(),
                    view: "record".into(),
                }],
                as_of: String::new(),
                as_of_sections: Vec::new(),
                as_of_error: None,
                t: t(),
            }
            .render()
            .unwrap(),
            AccountsPage {
                page: page.clone(),
                users: vec![UserRow {
                    href: "/accounts/x".into(),
                    username: "u".into(),
                    display_name: EVIL.into(),
                    grants: "g".into(),
                    state: "s".into(),
                }],
                roles: vec![("admin".into(), "Quản trị".into())],
                error: None,
                values: Vec::new(),
                t: t(),
            }
            .render()
            .unwrap(),
            AccountPage {
                page: page.clone(),
                id: "x".into(),
                username: "u".into(),
                display_name: EVIL.into(),
                disabled: false,
                grants: vec![("social_worker".into(), "03388".into())],
                grants_text: "g".into(),
                roles: vec![("social_worker".into(), "Cán bộ".into())],
                error: None,
                t: t(),
            }
            .render()
            .unwrap(),
        ];
        for html in pages.drain(..) {
            check(&html, lang);
        }
    }
}

#[test]
fn step_forms_show_errors_by_their_fields_and_keep_what_was_typed() {
    let html = StepPage {
        page: chrome(Lang::Vi),
        case_id: "x".into(),
        case_number: "1".into(),
        slug: "notes".into(),
        heading: "h".into(),
        version: 7,
        fields: fields(Lang::Vi),
        summary: vec![SummaryEntry {
            href: "#f-text".into(),
            message: "Ghi chú: Thiếu".into(),
        }],
        conflict: None,
        deadline: None,
        t_submit: "Ghi lại".into(),
        t_back: "b".into(),
        t_errors: "Cần sửa".into(),
        t_required: "bắt buộc".into(),
    }
    .render()
    .unwrap();
    assert!(html.contains("<input type=\"hidden\" name=\"version\" id=\"version\" value=\"7\">"));
    assert!(html.contains("name=\"plan_version\" value=\"2\""));
    assert!(html.contains("<a href=\"#f-text\">Ghi chú: Thiếu</a>"));
    assert!(html.contains("id=\"f-text-error\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("value=\"violence\" checked"),
        "a chosen box stays ticked"
    );
    assert!(
        html.contains("<label for=\"f-received_at\">"),
        "every field labelled"
    );
    assert!(html.contains("name=\"csrf_token\" value=\"token\""));
}
