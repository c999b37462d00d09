//! The Vietnamese and English labels of the values a report shows, and each dimension's
//! fixed list of values (the code lists): a report's grid never depends on what the data holds.

use aggregates::codes::*;
use aggregates::deadlines::RuleSet;
use std::collections::HashMap;

/// Labels for one report: communes by code, deadline rules by id, codes by their lists.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub communes: HashMap<String, String>,
    pub rules: Vec<(String, String, String)>,
}

fn of<C: Code>(v: &str) -> Option<(String, String)> {
    C::parse(v)
        .ok()
        .map(|c| (c.label_vi().to_owned(), c.label_en().to_owned()))
}

fn all<C: Code>() -> Vec<String> {
    C::codes().into_iter().map(str::to_owned).collect()
}

const AGE_GROUPS: &[(&str, &str, &str)] = &[
    ("0_5", "0–5 tuổi", "0–5"),
    ("6_10", "6–10 tuổi", "6–10"),
    ("11_15", "11–15 tuổi", "11–15"),
    ("16_17", "16–17 tuổi", "16–17"),
];

const STATES: &[(&str, &str, &str)] = &[
    ("met", "Đúng hạn", "Met"),
    ("met_late", "Trễ hạn", "Met late"),
    ("overdue", "Quá hạn", "Overdue"),
    ("pending", "Chưa đến hạn", "Pending"),
];

const KINDS: &[(&str, &str, &str)] = &[
    ("urgent", "Biện pháp khẩn cấp", "Urgent measures"),
    ("plan", "Kế hoạch được duyệt", "Approved plan"),
    ("service", "Dịch vụ đã cung cấp", "Service delivered"),
];

fn table(t: &[(&str, &str, &str)], v: &str) -> Option<(String, String)> {
    t.iter()
        .find(|(c, _, _)| *c == v)
        .map(|(_, vi, en)| ((*vi).to_owned(), (*en).to_owned()))
}

impl Labels {
    pub fn new(communes: HashMap<String, String>, rules: &RuleSet) -> Self {
        Self {
            communes,
            rules: rules
                .rules()
                .iter()
                .map(|r| (r.id.clone(), r.label.vi.clone(), r.label.en.clone()))
                .collect(),
        }
    }

    /// The (vi, en) label of a dimension's value; the value itself when it has none.
    pub fn label(&self, dim: &str, v: &str) -> (String, String) {
        if v == "unknown" {
            return ("Không rõ".into(), "Unknown".into());
        }
        let found = match dim {
            "commune" => self.communes.get(v).map(|n| (n.clone(), n.clone())),
            "rule" => self
                .rules
                .iter()
                .find(|(id, _, _)| id == v)
                .map(|(_, vi, en)| (vi.clone(), en.clone())),
            "age_group" => table(AGE_GROUPS, v),
            "state" => table(STATES, v),
            "kind" => table(KINDS, v),
            "sex" => of::<Sex>(v),
            "abuse_type" => of::<AbuseType>(v),
            "environment" => of::<AbuseEnvironment>(v),
            "perpetrator_relationship" => of::<PerpetratorRelationship>(v),
            "target_group" => of::<TargetGroup>(v),
            "intake_point" => of::<IntakePoint>(v),
            "channel" => of::<Channel>(v),
            "closure_reason" | "reason" => of::<ClosureReason>(v),
            "outcome" => of::<InitialOutcome>(v),
            "measure" => of::<UrgentMeasure>(v).or_else(|| of::<PlanMeasure>(v)),
            "service_type" => of::<ServiceType>(v),
            "to_kind" => of::<ReferralKind>(v),
            "ground" => of::<CourtPetitionGround>(v),
            _ => None,
        };
        found.unwrap_or_else(|| (v.to_owned(), v.to_owned()))
    }

    /// A dimension's fixed list of values (communes are the report unit's, given apart).
    pub fn values(&self, dim: &str) -> Vec<String> {
        let codes = |t: &[(&str, &str, &str)]| t.iter().map(|(c, _, _)| (*c).to_owned()).collect();
        match dim {
            "rule" => self.rules.iter().map(|(id, _, _)| id.clone()).collect(),
            "age_group" => codes(AGE_GROUPS),
            "state" => codes(STATES),
            "kind" => codes(KINDS),
            "sex" => all::<Sex>(),
            "abuse_type" => all::<AbuseType>(),
            "environment" => all::<AbuseEnvironment>(),
            "perpetrator_relationship" => all::<PerpetratorRelationship>(),
            "target_group" => all::<TargetGroup>(),
            "intake_point" => all::<IntakePoint>(),
            "channel" => all::<Channel>(),
            "closure_reason" | "reason" => all::<ClosureReason>(),
            "outcome" => all::<InitialOutcome>(),
            "measure" => {
                let mut v = all::<UrgentMeasure>();
                v.extend(all::<PlanMeasure>());
                v
            }
            "service_type" => all::<ServiceType>(),
            "to_kind" => all::<ReferralKind>(),
            "ground" => all::<CourtPetitionGround>(),
            _ => Vec::new(),
        }
    }
}
