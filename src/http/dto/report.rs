//! `POST /reports` (Mẫu 01): the report and its children.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildDto {
    pub full_name: Option<String>,
    /// YYYY-MM-DD; give this or `estimated_age`.
    pub date_of_birth: Option<String>,
    pub estimated_age: Option<u8>,
    /// `male`, `female` or `unknown`.
    pub sex: String,
    pub ethnicity: Option<String>,
    /// Unit code of the place of residence.
    pub residence_unit: Option<String>,
    pub school: Option<String>,
    pub condition: Option<String>,
    /// An earlier, closed case of the same child: the new case is a new episode of that
    /// child, linked to it.
    pub previous_case_id: Option<String>,
    /// The open case of this child (found by `POST /children/matches`): the report is
    /// attached to it instead of opening a parallel case.
    pub attach_to_case_id: Option<String>,
    /// The same, by case number (a match outside the caller's jurisdiction shows only that).
    pub attach_to_case_number: Option<String>,
    /// Cases shown as possible matches that are about another child: kept, not asked again.
    #[serde(default)]
    pub not_same_as: Vec<String>,
}

/// Where a child of a report goes: a new case (a new episode when `previous` is set) or an
/// open case it is attached to.
pub struct ParsedChild {
    pub child: Child,
    pub previous: Option<Uuid>,
    pub attach_to: Option<AttachTo>,
    pub not_same_as: Vec<Uuid>,
}

pub enum AttachTo {
    Id(Uuid),
    Number(String),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterDto {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub relationship: Option<String>,
    /// Name, phone and address may be recorded only with consent.
    pub consent: bool,
}

/// `POST /reports` (Mẫu 01).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDto {
    pub received_at: String,
    pub intake_point: String,
    pub channel: String,
    pub target_group: String,
    pub incident_unit: String,
    pub description: Option<String>,
    #[serde(default)]
    pub abuse_types: Vec<String>,
    #[serde(default)]
    pub sexual_abuse_subtypes: Vec<String>,
    #[serde(default)]
    pub exploitation_subtypes: Vec<String>,
    pub abuse_environment: Option<String>,
    pub perpetrator_relationship: Option<String>,
    pub immediate_danger: Option<bool>,
    #[serde(default)]
    pub special_circumstances: Vec<String>,
    pub reporter: Option<ReporterDto>,
    pub children: Vec<ChildDto>,
}

/// A report parsed into one command per child (ids, numbers and the child's identity are filled
/// in by the handler).
pub struct ParsedReport {
    pub template: ReportCase,
    pub children: Vec<ParsedChild>,
}

impl ReportDto {
    pub fn parse(self, units: &UnitDirectory) -> Result<ParsedReport, ApiError> {
        let mut f = Fields::default();
        let received_at = f.time("received_at", &self.received_at);
        let intake_point = f.code::<IntakePoint>("intake_point", &self.intake_point);
        let channel = f.code::<Channel>("channel", &self.channel);
        let target_group = f.code::<TargetGroup>("target_group", &self.target_group);
        let incident_unit = commune_path(&mut f, units, "incident_unit", &self.incident_unit);
        let description = f.opt_text::<20_000>("description", self.description.as_deref());
        f.max_items("abuse_types", &self.abuse_types, 20);
        let abuse_types = f.codes::<AbuseType>("abuse_types", &self.abuse_types);
        let sexual =
            f.codes::<SexualAbuseSubtype>("sexual_abuse_subtypes", &self.sexual_abuse_subtypes);
        let exploitation =
            f.codes::<ExploitationSubtype>("exploitation_subtypes", &self.exploitation_subtypes);
        let environment =
            f.opt_code::<AbuseEnvironment>("abuse_environment", self.abuse_environment.as_deref());
        let relationship = f.opt_code::<PerpetratorRelationship>(
            "perpetrator_relationship",
            self.perpetrator_relationship.as_deref(),
        );
        let special =
            f.codes::<SpecialCircumstance>("special_circumstances", &self.special_circumstances);
        let reporter = self.reporter.map(|r| {
            let name = f.opt_text::<200>("reporter.name", r.name.as_deref());
            let phone = f.opt_text::<200>("reporter.phone", r.phone.as_deref());
            let address = f.opt_text::<200>("reporter.address", r.address.as_deref());
            let relationship =
                f.opt_text::<200>("reporter.relationship", r.relationship.as_deref());
            (name, phone, address, relationship, r.consent)
        });
        if self.children.is_empty() {
            f.push(
                "children",
                "required",
                "Cần ít nhất một trẻ em",
                "Name at least one child",
            );
        }
        f.max_items("children", &self.children, MAX_CHILDREN);
        let mut children = Vec::new();
        for (i, c) in self.children.iter().enumerate() {
            let p = |name: &str| format!("children[{i}].{name}");
            let full_name = f.opt_text::<200>(&p("full_name"), c.full_name.as_deref());
            let date_of_birth = match &c.date_of_birth {
                Some(d) => f.date(&p("date_of_birth"), d).map(Some),
                None => Some(None),
            };
            let sex = f.code::<Sex>(&p("sex"), &c.sex);
            let ethnicity = f.opt_text::<200>(&p("ethnicity"), c.ethnicity.as_deref());
            let residence_unit = match &c.residence_unit {
                Some(u) => unit_path(&mut f, units, &p("residence_unit"), u)
                    .map(|path| Some(path.unit().clone())),
                None => Some(None),
            };
            let school = f.opt_text::<200>(&p("school"), c.school.as_deref());
            let condition = f.opt_text::<20_000>(&p("condition"), c.condition.as_deref());
            let previous = f.opt_uuid(&p("previous_case_id"), c.previous_case_id.as_deref());
            let attach_id = f.opt_uuid(&p("attach_to_case_id"), c.attach_to_case_id.as_deref());
            let attach_to = match (attach_id.flatten(), &c.attach_to_case_number) {
                (Some(id), None) => Some(AttachTo::Id(id)),
                (None, Some(number)) if number.len() <= 40 => {
                    Some(AttachTo::Number(number.clone()))
                }
                (None, None) => None,
                _ => {
                    f.push(
                        &p("attach_to_case_id"),
                        "ambiguous_attachment",
                        "Chỉ nêu một hồ sơ để gộp tin báo, theo mã hoặc theo số",
                        "Name one case to attach to, by id or by number",
                    );
                    None
                }
            };
            if attach_to.is_some() && c.previous_case_id.is_some() {
                f.push(
                    &p("previous_case_id"),
                    "attach_or_episode",
                    "Gộp vào hồ sơ đang mở hoặc mở đợt mới, không cả hai",
                    "Attach to an open case or open a new episode, not both",
                );
            }
            f.max_items(&p("not_same_as"), &c.not_same_as, 50);
            let not_same_as: Vec<Uuid> = c
                .not_same_as
                .iter()
                .filter_map(|raw| f.uuid(&p("not_same_as"), raw))
                .collect();
            if let (
                Some(full_name),
                Some(date_of_birth),
                Some(sex),
                Some(ethnicity),
                Some(residence_unit),
                Some(school),
                Some(condition),
                Some(previous),
            ) = (
                full_name,
                date_of_birth,
                sex,
                ethnicity,
                residence_unit,
                school,
                condition,
                previous,
            ) {
                children.push(ParsedChild {
                    child: Child {
                        full_name,
                        date_of_birth,
                        estimated_age: c.estimated_age,
                        sex,
                        ethnicity,
                        residence_unit,
                        school,
                        condition,
                    },
                    previous,
                    attach_to,
                    not_same_as,
                });
            }
        }
        let reporter = match reporter {
            None => Some(None),
            Some((Some(name), Some(phone), Some(address), Some(relationship), consent)) => {
                Some(Some(Reporter {
                    name,
                    phone,
                    address,
                    relationship,
                    consent,
                }))
            }
            Some(_) => None,
        };
        f.finish()?;
        let (
            Some(received_at),
            Some(intake_point),
            Some(channel),
            Some(target_group),
            Some(incident_unit),
            Some(description),
            Some(abuse_environment),
            Some(perpetrator_relationship),
            Some(reporter),
        ) = (
            received_at,
            intake_point,
            channel,
            target_group,
            incident_unit,
            description,
            environment,
            relationship,
            reporter,
        )
        else {
            return Err(ApiError::validation(Vec::new()));
        };
        Ok(ParsedReport {
            template: ReportCase {
                case_id: Uuid::nil(),
                case_number: String::new(),
                report_id: Uuid::nil(),
                child_id: Uuid::nil(),
                received_at,
                intake_point,
                channel,
                target_group,
                incident_unit,
                description,
                abuse_types,
                sexual_abuse_subtypes: sexual,
                exploitation_subtypes: exploitation,
                abuse_environment,
                perpetrator_relationship,
                immediate_danger: self.immediate_danger,
                special_circumstances: special,
                child: Child::default(),
                reporter,
                previous_case_id: None,
                not_same_as: Vec::new(),
            },
            children,
        })
    }
}
