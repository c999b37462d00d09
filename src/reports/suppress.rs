//! Small cells in outputs meant to leave the unit (published tables, shared exports): a count
//! from 1 to `min - 1` is withheld, and so is a complementary cell in each row and column that
//! would otherwise give it back by subtraction from a total (each line left with a withheld
//! cell gets a second one). The periods are the template's fixed grid, so two reports cannot be
//! subtracted into a small cell either. The official report to the level above is not
//! suppressed; it is marked confidential instead (ND56 art. 24(3)).

use super::build::{Report, ReportTable};

/// The public copy of a report: small and complementary cells withheld (their values removed,
/// not just flagged), not confidential.
pub fn for_public(mut report: Report, min: u32) -> Report {
    let min = i64::from(min);
    for t in &mut report.tables {
        suppress(t, min);
    }
    report.audience = "public".into();
    report.confidential = false;
    report.suppressed_below = Some(u32::try_from(min).unwrap_or(u32::MAX));
    report
}

fn suppress(t: &mut ReportTable, min: i64) {
    let rows = t.rows.len();
    let cols = t.columns.len();
    let mut hidden = vec![vec![false; cols]; rows];
    for (r, row) in t.rows.iter().enumerate() {
        for (c, v) in row.cells.iter().enumerate() {
            if let Some(v) = v {
                hidden[r][c] = *v > 0 && *v < min;
            }
        }
    }
    // Lines: each row (across its counted columns) and each column (down every row, the total
    // row included). Repeat until no line has exactly one withheld cell.
    let counted: Vec<usize> = (0..cols).filter(|c| is_count(t, *c)).collect();
    loop {
        let mut changed = false;
        let mut lines: Vec<Vec<(usize, usize)>> = (0..rows)
            .map(|r| counted.iter().map(|c| (r, *c)).collect())
            .collect();
        lines.extend(counted.iter().map(|c| (0..rows).map(|r| (r, *c)).collect()));
        for line in lines {
            let withheld = line.iter().filter(|(r, c)| hidden[*r][*c]).count();
            if withheld != 1 {
                continue;
            }
            // The smallest other cell with a value, preferring one above zero (a zero withheld
            // protects nothing when zeros can be inferred).
            let candidate = line
                .iter()
                .filter(|(r, c)| !hidden[*r][*c])
                .filter_map(|(r, c)| t.rows[*r].cells[*c].map(|v| (v == 0, v, *r, *c)))
                .min();
            if let Some((_, _, r, c)) = candidate {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for line in hidden.iter_mut() {
        if line.iter().any(|h| *h) {
            for c in &t.derived_columns {
                line[*c] = true;
            }
        }
    }
    t.suppressed.clear();
    for (r, row) in t.rows.iter_mut().enumerate() {
        for (c, v) in row.cells.iter_mut().enumerate() {
            if hidden[r][c] {
                *v = None;
                t.suppressed.push([r, c]);
            }
        }
    }
}

/// Shares and medians are derived from counts: not a line member, but withheld in a row
/// where a count is withheld (they would give it back).
fn is_count(t: &ReportTable, c: usize) -> bool {
    !t.derived_columns.contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::build::{Header, ReportRow};

    fn table(cells: &[&[i64]]) -> ReportTable {
        let h = |s: &str| Header {
            vi: s.into(),
            en: s.into(),
            span: 1,
        };
        ReportTable {
            id: "t".into(),
            title_vi: "t".into(),
            title_en: "t".into(),
            row_dimension: "commune".into(),
            groups: vec![h("g")],
            columns: cells[0].iter().map(|_| h("c")).collect(),
            rows: cells
                .iter()
                .map(|r| ReportRow {
                    key: "k".into(),
                    vi: "k".into(),
                    en: "k".into(),
                    cells: r.iter().map(|v| Some(*v)).collect(),
                })
                .collect(),
            suppressed: Vec::new(),
            derived_columns: Vec::new(),
        }
    }

    #[test]
    fn a_small_cell_takes_a_partner_in_its_row_and_its_column() {
        // Two communes and the total row; columns: total, girls, boys.
        let mut t = table(&[&[12, 2, 10], &[20, 9, 11], &[32, 11, 21]]);
        suppress(&mut t, 5);
        let hidden = |r: usize, c: usize| t.suppressed.contains(&[r, c]);
        assert!(hidden(0, 1), "the small cell");
        // Its row and its column each hold a second withheld cell; so do theirs.
        for [r0, c0] in &t.suppressed {
            assert!(
                t.suppressed.iter().filter(|[r, _]| r == r0).count() >= 2,
                "{:?}",
                t.suppressed
            );
            assert!(
                t.suppressed.iter().filter(|[_, c]| c == c0).count() >= 2,
                "{:?}",
                t.suppressed
            );
        }
        assert!(
            t.rows[0].cells[1].is_none(),
            "the value is removed, not just flagged"
        );
        // Zeros and counts at or above the threshold alone are not withheld.
        let mut t = table(&[&[5, 0, 5], &[7, 7, 0]]);
        suppress(&mut t, 5);
        assert!(t.suppressed.is_empty());
    }
}
