//! One child, one record: a new report attached to the open case of its child (ND56 art. 25–26:
//! new information is a new report), and the links between cases about the same child. Nothing
//! is merged: a link points the case to the other case's child identity and an unlink restores
//! the identity it had.

use super::intake::validate_report;
use crate::case::aggregate::Case;
use crate::case::business_time::Bounds;
use crate::case::commands::{DistinguishChild, LinkChild, ReportCase};
use crate::case::errors::CaseError;
use crate::case::events::*;
use crate::policy::Actor;
use chrono::{DateTime, Utc};

impl Case {
    pub(super) fn attach_report(
        &self,
        r: ReportCase,
        actor: &Actor,
        t: Bounds,
        juvenile_cases: bool,
    ) -> super::Steps {
        // The new receipt follows the case's first one: an older report would have been part
        // of it.
        t.following(
            "received_at",
            r.received_at,
            &[("report", self.received_at())],
        )?;
        let report = validate_report(r, actor, t, juvenile_cases)?;
        Ok(vec![CaseEvent::ReportAttached(Box::new(ReportAttached {
            report_id: report.report_id,
            received_at: report.received_at,
            received_by: report.received_by,
            intake_point: report.intake_point,
            channel: report.channel,
            description: report.description,
            abuse_types: report.abuse_types,
            immediate_danger: report.immediate_danger,
            child: report.child,
            reporter: report.reporter,
        }))])
    }

    pub(super) fn link_child(&self, c: LinkChild, now: DateTime<Utc>) -> super::Steps {
        let current = self.child_id().ok_or(CaseError::CaseNotFound)?;
        if self
            .report
            .as_ref()
            .is_some_and(|r| r.fact.case_id == c.same_as_case_id)
        {
            return Err(CaseError::LinkedCaseIsSelf);
        }
        if current == c.child_id {
            return Err(CaseError::ChildAlreadyLinked);
        }
        Ok(vec![CaseEvent::ChildLinked(ChildLinked {
            linked_at: now,
            child_id: c.child_id,
            previous_child_id: current,
            same_as_case_id: c.same_as_case_id,
        })])
    }

    pub(super) fn unlink_child(&self, now: DateTime<Utc>) -> super::Steps {
        let link = self.child_links.last().ok_or(CaseError::ChildNotLinked)?;
        Ok(vec![CaseEvent::ChildUnlinked(ChildUnlinked {
            unlinked_at: now,
            child_id: link.previous_child_id,
            previous_child_id: link.child_id,
        })])
    }

    pub(super) fn distinguish_child(
        &self,
        c: DistinguishChild,
        now: DateTime<Utc>,
    ) -> super::Steps {
        if self
            .report
            .as_ref()
            .is_some_and(|r| r.fact.case_id == c.other_case_id)
        {
            return Err(CaseError::LinkedCaseIsSelf);
        }
        // Said once is enough: a repeat records nothing.
        if self.distinct_from.contains(&c.other_case_id) {
            return Ok(Vec::new());
        }
        Ok(vec![CaseEvent::ChildDistinguished(ChildDistinguished {
            decided_at: now,
            other_case_id: c.other_case_id,
        })])
    }
}
