//! The frame of every page: language, title, navigation by role, the logout form.

use super::format::pick;
use super::session::Staff;
use crate::http::errors::Lang;
use aggregates::codes::Role;

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub id: &'static str,
}

/// What the layout needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: &'static str,
    pub en: bool,
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    /// The path of this page, for the language switch to come back to.
    pub here: String,
    pub skip_label: String,
    pub logout_label: String,
    pub other_lang_label: String,
    pub other_lang: &'static str,
    pub app_name: String,
    /// "Phiên làm việc đến 14:30 05/03/2026": a form sent later goes to the login page.
    pub session_until: String,
}

impl Chrome {
    fn base(lang: Lang, title: &str) -> Self {
        Self {
            lang: lang.code(),
            en: lang == Lang::En,
            title: title.to_owned(),
            user: None,
            csrf: String::new(),
            nav: Vec::new(),
            here: "/".to_owned(),
            skip_label: pick(lang, "Bỏ qua đến nội dung", "Skip to content"),
            logout_label: pick(lang, "Đăng xuất", "Log out"),
            other_lang_label: pick(lang, "English", "Tiếng Việt"),
            other_lang: if lang == Lang::En { "vi" } else { "en" },
            app_name: pick(lang, "Hồ sơ bảo vệ trẻ em", "Child protection cases"),
            session_until: String::new(),
        }
    }

    pub fn anonymous(lang: Lang, title: &str) -> Self {
        Self::base(lang, title)
    }

    pub fn for_staff(staff: &Staff, title: &str) -> Self {
        let lang = staff.lang;
        let mut chrome = Self::base(lang, title);
        chrome.user = Some(staff.caller.user.display_name.clone());
        chrome.csrf = staff.csrf.clone();
        if let Some(at) = staff.expires_at {
            chrome.session_until = format!(
                "{} {}",
                pick(lang, "Phiên làm việc đến", "Session until"),
                super::format::time(at)
            );
        }
        let mut nav = Vec::new();
        let case_role = [
            Role::HotlineOperator,
            Role::SocialWorker,
            Role::Approver,
            Role::Supervisor,
        ]
        .iter()
        .any(|r| staff.has_role(*r));
        if staff.has_role(Role::SocialWorker) || staff.has_role(Role::Approver) {
            nav.push(NavLink {
                href: "/",
                label: pick(lang, "Việc cần làm", "My work"),
                id: "nav-my-work",
            });
        }
        if staff.has_role(Role::HotlineOperator) || staff.has_role(Role::SocialWorker) {
            nav.push(NavLink {
                href: "/intake",
                label: pick(lang, "Tiếp nhận", "Intake"),
                id: "nav-intake",
            });
        }
        if case_role {
            nav.push(NavLink {
                href: "/cases",
                label: pick(lang, "Hồ sơ", "Cases"),
                id: "nav-cases",
            });
        }
        if staff.has_role(Role::SocialWorker) || staff.has_role(Role::Approver) {
            nav.push(NavLink {
                href: "/duplicates",
                label: pick(lang, "Trùng hồ sơ", "Duplicates"),
                id: "nav-duplicates",
            });
        }
        if staff.has_role(Role::Approver) {
            nav.push(NavLink {
                href: "/approvals",
                label: pick(lang, "Phê duyệt", "Approvals"),
                id: "nav-approvals",
            });
        }
        if staff.has_role(Role::Approver) || staff.has_role(Role::Supervisor) {
            nav.push(NavLink {
                href: "/caseload",
                label: pick(lang, "Phân công", "Caseload"),
                id: "nav-caseload",
            });
            nav.push(NavLink {
                href: "/board",
                label: pick(lang, "Bảng hạn", "Deadline board"),
                id: "nav-board",
            });
        }
        if staff.has_role(Role::Supervisor) {
            nav.push(NavLink {
                href: "/statistics",
                label: pick(lang, "Thống kê", "Statistics"),
                id: "nav-statistics",
            });
            nav.push(NavLink {
                href: "/reports",
                label: pick(lang, "Báo cáo", "Reports"),
                id: "nav-reports",
            });
        }
        if staff.has_role(Role::Admin) {
            nav.push(NavLink {
                href: "/accounts",
                label: pick(lang, "Tài khoản", "Accounts"),
                id: "nav-accounts",
            });
            nav.push(NavLink {
                href: "/deliveries",
                label: pick(lang, "Gửi cảnh báo", "Webhook deliveries"),
                id: "nav-deliveries",
            });
        }
        if case_role {
            // The unread count in words, in the header of every page.
            let label = match staff.unread {
                0 => pick(lang, "Hộp thư", "Inbox"),
                n => format!(
                    "{} ({})",
                    pick(lang, "Hộp thư", "Inbox"),
                    super::inbox::unread_words(n, lang)
                ),
            };
            nav.push(NavLink {
                href: "/inbox",
                label,
                id: "nav-inbox",
            });
        }
        nav.push(NavLink {
            href: "/password",
            label: pick(lang, "Đổi mật khẩu", "Change password"),
            id: "nav-password",
        });
        chrome.nav = nav;
        chrome
    }

    pub fn at(mut self, here: &str) -> Self {
        self.here = here.to_owned();
        self
    }
}
