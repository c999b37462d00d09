//! The report and dossier pages render, in both languages, escaping what users typed, with
//! their print layout hooks (no inline style).

use super::dossier::*;
use super::issued::*;
use super::reports::*;
use super::tests::{check, chrome, EVIL};
use crate::http::errors::Lang;
use askama::Template;

fn report(lang: Lang) -> ReportView {
    ReportView {
        title: "Báo cáo 6 tháng".into(),
        unit: "Lai Châu (12)".into(),
        period: "2026-H1 (01/01/2026 – 30/06/2026)".into(),
        position: "1.42".into(),
        computed_at: "09:00 16/06/2026".into(),
        mark: "MẬT".into(),
        confidential: true,
        withheld_note: Some("<5: …".into()),
        tables: vec![TableView {
            id: "abused_by_commune".into(),
            title: "Trẻ em bị xâm hại theo xã".into(),
            corner: "Xã".into(),
            groups: vec![HeaderView {
                label: "Nữ".into(),
                span: 2,
            }],
            columns: vec!["0–5".into(), "6–10".into()],
            rows: vec![RowView {
                label: EVIL.into(),
                total: lang == Lang::Vi,
                cells: vec![
                    CellView {
                        key: "abused_by_commune/03388/0".into(),
                        text: "1.234".into(),
                        withheld: false,
                    },
                    CellView {
                        key: "abused_by_commune/03388/1".into(),
                        text: "<5".into(),
                        withheld: true,
                    },
                ],
            }],
        }],
    }
}

#[test]
fn report_pages_render_escaped_in_both_languages() {
    for lang in [Lang::Vi, Lang::En] {
        let reports = ReportsPage {
            page: chrome(lang),
            picker: Picker {
                templates: Vec::new(),
                units: Vec::new(),
                periods: Vec::new(),
                audiences: Vec::new(),
            },
            chosen: Chosen {
                template: EVIL.into(),
                ..Chosen::default()
            },
            summary: Vec::new(),
            issue_key: uuid::Uuid::nil(),
            summary_heading: "Cần sửa".into(),
            report: Some(report(lang)),
            in_progress: true,
            query: "template=six_month".into(),
            t: report_texts(lang),
        }
        .render()
        .unwrap();
        check(&reports, lang);
        assert!(reports.contains("colspan=\"2\""), "merged group headers");
        assert!(reports.contains(
            "class=\"num withheld\" data-cell=\"abused_by_commune/03388/1\">&#60;5</td>"
        ));
        assert!(
            reports.contains("id=\"issue-form\"")
                && reports.contains("name=\"csrf_token\" value=\"token\"")
        );
        assert!(
            reports.contains("class=\"report-print\""),
            "the landscape print page"
        );
        let list = IssuedListPage {
            page: chrome(lang),
            rows: vec![IssuedRow {
                href: "/reports/issued/x".into(),
                template: "t".into(),
                unit: "u".into(),
                period: "p".into(),
                issued_at: "a".into(),
                by: EVIL.into(),
            }],
            t: report_texts(lang),
        }
        .render()
        .unwrap();
        check(&list, lang);
        let issued = IssuedPage {
            page: chrome(lang),
            title: "t".into(),
            unit: "u".into(),
            period: "p".into(),
            issued_at: "a".into(),
            issued_by: EVIL.into(),
            issued_by_unit: "u".into(),
            position: "1.42".into(),
            computed_at: "c".into(),
            reproduced: false,
            reproduced_words: "Không".into(),
            files: vec![FileRow {
                format: "XLSX".into(),
                href: "/reports/issued/x/file?format=xlsx".into(),
                sha256: "ab".repeat(32),
            }],
            differences: vec![DifferenceRow {
                table: "t".into(),
                row: "r".into(),
                column: "c".into(),
                issued: "2".into(),
                now: "1".into(),
            }],
            report: Some(report(lang)),
            t: report_texts(lang),
        }
        .render()
        .unwrap();
        check(&issued, lang);
        assert!(
            issued.contains("data-testid=\"reproduced\" class=\"bad\""),
            "state in words and class"
        );
    }
}

#[test]
fn dossier_pages_render_escaped_with_the_national_header() {
    for lang in [Lang::Vi, Lang::En] {
        let sheet = |code: &str, recorded: bool| SheetView {
            code: code.into(),
            title: "TIẾP NHẬN".into(),
            basis: "NĐ 56/2017/NĐ-CP, Điều 25".into(),
            recorded,
            date_line: "Phường Đoàn Kết, ngày 05 tháng 03 năm 2026".into(),
            sections: vec![SectionView {
                heading: "B. Thông tin về trẻ em".into(),
                fields: vec![
                    FieldView {
                        label: "Họ và tên".into(),
                        text: EVIL.into(),
                    },
                    FieldView {
                        label: String::new(),
                        text: "Điều 1.".into(),
                    },
                ],
                table: Some(GridView {
                    columns: vec!["Biện pháp".into()],
                    rows: vec![vec![EVIL.into()]],
                }),
            }],
            signatures: vec![SignView {
                role: "NGƯỜI TIẾP NHẬN".into(),
                name: EVIL.into(),
            }],
        };
        let html = DossierPage {
            page: chrome(lang),
            case_href: "/cases/x".into(),
            case_number: "12-2026-000001".into(),
            links: vec![FormLink {
                href: "/cases/x/dossier/01".into(),
                label: "Mẫu 01".into(),
                current: true,
            }],
            issuer: "PHƯỜNG ĐOÀN KẾT".into(),
            printed: "In lúc".into(),
            sheets: vec![sheet("01", true), sheet("05", false)],
            t: super::cases::texts(lang, &[("back", "Về", "Back")]),
        }
        .render()
        .unwrap();
        check(&html, lang);
        assert!(html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        assert!(html.contains("Độc lập - Tự do - Hạnh phúc"));
        assert!(html.contains("<article class=\"sheet\" lang=\"vi\" data-testid=\"form-01\""));
        assert!(
            html.contains("data-testid=\"not-recorded-05\""),
            "an unrecorded form says so"
        );
        assert!(html.contains("aria-current=\"page\""));
    }
}
