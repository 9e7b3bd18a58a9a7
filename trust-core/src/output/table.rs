//! Go's text/tabwriter as docker's table formatter configures it (min width 10,
//! padding 3, spaces): every tab-terminated cell is padded to its column's width;
//! the last cell of a line is not.

const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// Aligns rows of cells into a table and appends it to `out`.
pub fn write_table(rows: &[Vec<String>], out: &mut String) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns.saturating_sub(1)];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max((cell.chars().count() + PADDING).max(MIN_WIDTH));
        }
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_like_go_tabwriter() {
        let rows =
            vec![vec!["SIGNER".to_string(), "KEYS".to_string()], vec!["alice".to_string(), "236f8822d445".to_string()]];
        let mut out = String::new();
        write_table(&rows, &mut out);
        assert_eq!(out, "SIGNER    KEYS\nalice     236f8822d445\n");
        let rows = vec![vec!["SIGNED TAG".to_string(), "x".to_string()], vec!["v1".to_string(), "y".to_string()]];
        let mut out = String::new();
        write_table(&rows, &mut out);
        assert_eq!(out, "SIGNED TAG   x\nv1           y\n");
    }
}
