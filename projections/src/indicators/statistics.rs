//! `GET /statistics` on the indicator engine: the figures of procedure.md §7 for one unit and
//! period, from the registry's definitions (incident commune for abuse counts, the acting
//! commune at the event's time for measures).

use super::engine::{Cells, Period, Snapshot};
use super::Registry;
use crate::views::queries::StatisticsCounts;
use std::collections::BTreeMap;

/// The indicators the statistics read; a registry override must keep them.
pub const REQUIRED: &[&str] = &[
    "0101",
    "0101.16_17",
    "0101.incidents",
    "received",
    "closed",
    "open_at_end",
    "children_by_measure",
    "children_by_service",
    "deadlines",
];

fn by(cells: Cells) -> BTreeMap<String, i64> {
    cells.into_iter().map(|(k, v)| (k.join("/"), v)).collect()
}

/// The statistics counts under the unit with path key `unit_key`.
pub fn statistics(
    registry: &Registry,
    s: &Snapshot,
    unit_key: &str,
    period: &Period,
) -> StatisticsCounts {
    let ind = |code: &str| {
        registry
            .get(code)
            .expect("required indicators are checked at load")
    };
    let total = |code: &str| s.total(ind(code), unit_key, period);
    let count = |code: &str, dims: &[&str]| {
        let dims: Vec<String> = dims.iter().map(|d| (*d).to_owned()).collect();
        s.count(ind(code), unit_key, period, &dims)
    };
    let mut compliance: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (key, n) in count("deadlines", &["rule", "state"]) {
        if let [rule, state] = key.as_slice() {
            compliance
                .entry(rule.clone())
                .or_default()
                .insert(state.clone(), n);
        }
    }
    StatisticsCounts {
        abused_children: total("0101"),
        abused_juveniles: total("0101.16_17"),
        abused_incidents: total("0101.incidents"),
        abused_by_sex: by(count("0101", &["sex"])),
        abused_by_age_group: by(count("0101", &["age_group"])),
        abused_by_abuse_type: by(count("0101", &["abuse_type"])),
        abused_by_environment: by(count("0101", &["environment"])),
        received_by_intake_point: by(count("received", &["intake_point"])),
        received_by_channel: by(count("received", &["channel"])),
        opened: total("received"),
        closed: total("closed"),
        closed_by_reason: by(count("closed", &["reason"])),
        open_at_end: total("open_at_end"),
        children_by_measure: by(count("children_by_measure", &["measure"])),
        children_by_service_type: by(count("children_by_service", &["service_type"])),
        compliance,
    }
}
