//! Attaching a report to the open case of its child (issue 12): the intake side of "one
//! child, one record". A report about a child whose case is open joins that case
//! (`ReportAttached`) instead of opening a parallel one.

use super::errors::ApiError;
use super::AppState;
use projections::record::fold;
use uuid::Uuid;

/// The command attaching a report's child `index` to the open case `target`, checked against
/// that case now so that a refusal comes before anything is written.
pub async fn attach_command(
    state: &AppState,
    actor: &aggregates::policy::Actor,
    now: chrono::DateTime<chrono::Utc>,
    index: usize,
    target: super::dto::AttachTo,
    mut report: aggregates::case::commands::ReportCase,
) -> Result<(Uuid, String, aggregates::case::commands::CaseCommand), ApiError> {
    use aggregates::case::commands::{CaseAction, CaseCommand};
    let field = format!("children[{index}].attach_to_case_id");
    let not_found = || {
        ApiError::validation(vec![super::errors::FieldError::new(
            field.clone(),
            "case_not_found",
            super::errors::Bilingual::new("Không tìm thấy hồ sơ", "No such case"),
        )])
    };
    let case_id = match target {
        super::dto::AttachTo::Id(id) => id,
        super::dto::AttachTo::Number(number) => {
            // The number is resolved on the cases view: a case opened a moment ago must be in it.
            state
                .projections
                .wait_for_head(&[projections::projector::CASES], state.settings.view_wait())
                .await
                .map_err(|_| {
                    ApiError::unavailable(
                        "views_catching_up",
                        "Dữ liệu tổng hợp đang được cập nhật; hãy thử lại sau giây lát",
                        "The views are catching up with recent changes; retry shortly",
                        1,
                    )
                })?;
            projections::views::queries::id_by_number(&state.db, &number)
                .await
                .map_err(|e| ApiError::internal(&e))?
                .ok_or_else(not_found)?
        }
    };
    let events = state
        .commands
        .load(case_id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let case = fold(&events);
    let number = case
        .report
        .as_ref()
        .map(|r| r.fact.case_number.clone())
        .ok_or_else(not_found)?;
    report.case_id = case_id;
    let command = CaseCommand {
        actor: actor.clone(),
        now,
        expected_version: None,
        action: CaseAction::AttachReport(Box::new(report)),
    };
    case.decide(command.clone(), state.commands.services())
        .map_err(ApiError::from)?;
    Ok((case_id, number, command))
}
