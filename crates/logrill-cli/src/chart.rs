//! Terminal charts of a result table (`… | chart`, `--chart`).
//!
//! The kind of chart follows from the data:
//!
//! * **Over time**: when the first column holds times (`count by bucket(time, 1h)`), a
//!   vertical bar chart, one bar per row, the height being the last numeric column. When
//!   there are more rows than columns of screen, the latest rows are shown (and the chart
//!   says so).
//! * **Ranked**: otherwise (`top 10 path`, `count by status`), a horizontal bar per row,
//!   labelled by the non-numeric columns (or the first column when every column is a
//!   number), with the value written after the bar.
//!
//! Bars are drawn with Unicode block elements in eighths of a cell, or with `#` in plain
//! ASCII. Lengths are proportional to the values; zero, negative and missing values draw
//! no bar (the value is still written), a positive value always draws at least the
//! smallest mark. Every line fits in `width` columns. Text from the log (labels) is made
//! safe for a terminal: control characters never reach it.

use logrill::stage::parse::Value;

/// Height of a chart over time, in lines.
pub const HEIGHT: usize = 8;
/// Narrowest chart drawn; a smaller `width` is taken as this.
pub const MIN_WIDTH: usize = 20;

const VERTICAL: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const HORIZONTAL: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// Draw the table `columns`/`rows` as a chart at most `width` columns wide (see the
/// module documentation). `ascii`: only ASCII characters in the result.
pub fn render(
    columns: &[String],
    rows: &[Vec<Value<'static>>],
    width: usize,
    ascii: bool,
) -> String {
    let width = width.max(MIN_WIDTH);
    if rows.is_empty() {
        return "(no rows to chart)\n".to_string();
    }
    let ncols = rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(columns.len());
    let Some(value_col) = (0..ncols).rev().find(|&c| numeric_column(rows, c)) else {
        return "(nothing to chart: no column of numbers)\n".to_string();
    };
    let text = if value_col != 0 && time_column(rows, 0) {
        over_time(columns, rows, value_col, width, ascii)
    } else {
        ranked(columns, rows, ncols, value_col, width, ascii)
    };
    // Every line within `width`, whatever went before (a long column name in a heading).
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.extend(line.chars().take(width));
        out.push('\n');
    }
    out
}

/// The width of the terminal on standard output, if it is one.
pub fn terminal_width() -> Option<usize> {
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// Whether the locale says the terminal takes UTF-8 (`LC_ALL`, else `LC_CTYPE`, else
/// `LANG`, as the C library decides). Draw with `ascii = true` when it does not.
pub fn utf8_locale() -> bool {
    let var = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
        .to_ascii_lowercase();
    var.contains("utf-8") || var.contains("utf8")
}

fn cell<'r>(row: &'r [Value<'static>], c: usize) -> &'r Value<'static> {
    row.get(c).unwrap_or(&Value::Null)
}

/// A value as a number to draw: integers, finite floats, and strings holding one (a sum
/// too big for 64 bits comes as its digits).
fn number(v: &Value<'_>) -> Option<f64> {
    let x = match v {
        Value::Int(i) => *i as f64,
        Value::Float(x) => *x,
        Value::Str(s) => {
            let s = std::str::from_utf8(s).ok()?;
            if s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
            {
                return None;
            }
            s.parse().ok()?
        }
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// Every value of column `c` that is not null is a number, and there is one.
fn numeric_column(rows: &[Vec<Value<'static>>], c: usize) -> bool {
    let mut any = false;
    for row in rows {
        match cell(row, c) {
            Value::Null => {}
            // Infinities and NaN are numbers too (drawn as no bar).
            Value::Float(_) => any = true,
            v if number(v).is_some() => any = true,
            _ => return false,
        }
    }
    any
}

/// Every value of column `c` that is not null is a time, and there is one.
fn time_column(rows: &[Vec<Value<'static>>], c: usize) -> bool {
    let mut any = false;
    for row in rows {
        match cell(row, c) {
            Value::Null => {}
            Value::Time(_) => any = true,
            _ => return false,
        }
    }
    any
}

fn column_name(columns: &[String], c: usize) -> String {
    columns
        .get(c)
        .cloned()
        .unwrap_or_else(|| format!("column {}", c + 1))
}

/// Text safe for a terminal: control characters as `?`; in ASCII mode, anything not
/// ASCII as `?` too.
fn safe(text: &str, ascii: bool) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || (ascii && !c.is_ascii()) {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// At most `max` characters of `text`, ending in an ellipsis when cut.
fn fit(text: &str, max: usize, ascii: bool) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let (mark, keep) = if ascii {
        ("...", max.saturating_sub(3))
    } else {
        ("…", max.saturating_sub(1))
    };
    if keep == 0 {
        return text.chars().take(max).collect();
    }
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(mark);
    out
}

/// A float in few characters: integers exactly, others with up to three decimals.
fn float_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() >= 1e15 || (x != 0.0 && x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A value as the text written beside its bar.
fn value_text(v: &Value<'_>) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::Float(x) => float_text(*x),
        other => other.to_string(),
    }
}

/// A number for an axis: exact below a million, else three digits and a unit.
fn compact(x: f64) -> String {
    if x.abs() < 1e6 {
        return float_text(x);
    }
    let units = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
    let mut v = x / 1e3;
    let mut unit = units[0];
    for u in &units[1..] {
        if v.abs() < 1e3 {
            break;
        }
        v /= 1e3;
        unit = u;
    }
    if v.abs() >= 1e3 {
        return format!("{x:.2e}");
    }
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{unit}")
}

/// A time for the axis, in its own offset: `2023-01-01 13:00`, or the date alone when
/// every time of the chart is a midnight.
fn time_text(v: &Value<'_>, dates_only: bool) -> String {
    match v {
        Value::Time(t) => {
            let (y, mo, d, h, mi, _, _) = t.civil();
            if dates_only {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
            }
        }
        _ => String::new(),
    }
}

/// The length of a bar in `units` (eighths of a cell, or cells in ASCII) for `value`
/// against `max` over `cells` cells: proportional, rounded, at least one unit for any
/// positive value, none for zero, negative or missing values.
pub fn bar_units(value: Option<f64>, max: f64, cells: usize, per_cell: usize) -> usize {
    let total = cells.saturating_mul(per_cell);
    match value {
        Some(v) if v > 0.0 && max > 0.0 => {
            let u = (v / max * total as f64).round();
            (u as usize).clamp(1, total.max(1))
        }
        _ => 0,
    }
}

fn over_time(
    columns: &[String],
    rows: &[Vec<Value<'static>>],
    value_col: usize,
    width: usize,
    ascii: bool,
) -> String {
    let values: Vec<Option<f64>> = rows.iter().map(|r| number(cell(r, value_col))).collect();
    let max = values.iter().flatten().fold(0.0f64, |m, &v| m.max(v));
    let top = compact(max);
    let label_w = top.chars().count().max(1);
    let plot_w = width.saturating_sub(label_w + 1).max(1);
    let n = rows.len();
    let start = n.saturating_sub(plot_w);
    let shown = n - start;
    let cell_w = (plot_w / shown).clamp(1, 8);
    let bar_w = if cell_w >= 3 { cell_w - 1 } else { cell_w };
    let per_cell = if ascii { 1 } else { 8 };
    let heights: Vec<usize> = values[start..]
        .iter()
        .map(|&v| bar_units(v, max, HEIGHT, per_cell))
        .collect();

    let mut out = String::new();
    let mut title = format!(
        "{} by {}",
        safe(&column_name(columns, value_col), ascii),
        safe(&column_name(columns, 0), ascii)
    );
    if start > 0 {
        title.push_str(&format!(" (the last {shown} of {n})"));
    }
    out.push_str(&title);
    out.push('\n');
    for level in (0..HEIGHT).rev() {
        let label = if level == HEIGHT - 1 {
            top.as_str()
        } else if level == 0 {
            "0"
        } else {
            ""
        };
        out.push_str(&format!("{label:>label_w$}"));
        out.push(match (ascii, label.is_empty()) {
            (true, _) => '|',
            (false, true) => '│',
            (false, false) => '┤',
        });
        let mut line = String::new();
        for &h in &heights {
            let ch = if ascii {
                if h > level {
                    '#'
                } else {
                    ' '
                }
            } else {
                let low = level * 8;
                if h >= low + 8 {
                    '█'
                } else if h > low {
                    VERTICAL[h - low - 1]
                } else {
                    ' '
                }
            };
            line.extend(std::iter::repeat_n(ch, bar_w));
            line.extend(std::iter::repeat_n(' ', cell_w - bar_w));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let span = shown * cell_w;
    out.push_str(&" ".repeat(label_w));
    if ascii {
        out.push('+');
        out.push_str(&"-".repeat(span));
    } else {
        out.push('└');
        out.push_str(&"─".repeat(span));
    }
    out.push('\n');
    // The first and last times under the ends of the axis, when they fit.
    let dates_only = rows[start..].iter().all(|r| match cell(r, 0) {
        Value::Time(t) => {
            let (_, _, _, h, mi, s, us) = t.civil();
            (h, mi, s, us) == (0, 0, 0, 0)
        }
        _ => true,
    });
    let first = time_text(cell(&rows[start], 0), dates_only);
    let last = time_text(cell(&rows[n - 1], 0), dates_only);
    let mut axis = " ".repeat(label_w + 1);
    axis.push_str(&first);
    // The last label ends under the end of the axis.
    let (f, l) = (first.chars().count(), last.chars().count());
    if shown > 1 && span > f + l {
        axis.push_str(&" ".repeat(span - f - l));
        axis.push_str(&last);
    }
    out.push_str(axis.trim_end());
    out.push('\n');
    out
}

fn ranked(
    columns: &[String],
    rows: &[Vec<Value<'static>>],
    ncols: usize,
    value_col: usize,
    width: usize,
    ascii: bool,
) -> String {
    let mut label_cols: Vec<usize> = (0..ncols)
        .filter(|&c| c != value_col && !numeric_column(rows, c))
        .collect();
    if label_cols.is_empty() && value_col != 0 {
        label_cols.push(0);
    }
    let labels: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if label_cols.is_empty() {
                return (i + 1).to_string();
            }
            let parts: Vec<String> = label_cols
                .iter()
                .map(|&c| match cell(r, c) {
                    Value::Null => "-".to_string(),
                    v => v.to_string(),
                })
                .collect();
            safe(&parts.join("  "), ascii)
        })
        .collect();
    let values: Vec<Option<f64>> = rows.iter().map(|r| number(cell(r, value_col))).collect();
    let texts: Vec<String> = rows
        .iter()
        .map(|r| safe(&value_text(cell(r, value_col)), ascii))
        .collect();
    let max = values.iter().flatten().fold(0.0f64, |m, &v| m.max(v));

    let value_w = texts.iter().map(|t| t.chars().count()).max().unwrap_or(1);
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    // The label gets what it needs, up to 40% of the line, and always leaves room for a
    // bar of at least a few cells.
    let label_w = longest
        .min((width * 2 / 5).max(8))
        .min(width.saturating_sub(value_w + 2 + 4))
        .max(1);
    let bar_cells = width.saturating_sub(label_w + 1 + 1 + value_w).max(1);
    let per_cell = if ascii { 1 } else { 8 };

    let mut out = String::new();
    let label_names: Vec<String> = label_cols
        .iter()
        .map(|&c| safe(&column_name(columns, c), ascii))
        .collect();
    out.push_str(&safe(&column_name(columns, value_col), ascii));
    if !label_names.is_empty() {
        out.push_str(" by ");
        out.push_str(&label_names.join(", "));
    }
    out.push('\n');
    for ((label, value), text) in labels.iter().zip(&values).zip(&texts) {
        let label = fit(label, label_w, ascii);
        let pad = label_w.saturating_sub(label.chars().count());
        out.push_str(&label);
        out.push_str(&" ".repeat(pad + 1));
        let units = bar_units(*value, max, bar_cells, per_cell);
        let mut bar = String::new();
        if ascii {
            bar.extend(std::iter::repeat_n('#', units));
        } else {
            bar.extend(std::iter::repeat_n('█', units / 8));
            if !units.is_multiple_of(8) {
                bar.push(HORIZONTAL[units % 8 - 1]);
            }
        }
        let bar_len = bar.chars().count();
        out.push_str(&bar);
        out.push_str(&" ".repeat(bar_cells.saturating_sub(bar_len) + 1));
        out.push_str(&format!("{text:>value_w$}"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use logrill::stage::parse::Timestamp;
    use std::borrow::Cow;

    fn s(text: &str) -> Value<'static> {
        Value::Str(Cow::Owned(text.as_bytes().to_vec()))
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn hour(h: i64) -> Value<'static> {
        // 2023-01-01T00:00:00Z plus h hours.
        Value::Time(Timestamp::from_unix_micros(
            (1_672_531_200 + h * 3600) * 1_000_000,
            0,
        ))
    }

    fn widths_ok(text: &str, width: usize) {
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "line wider than {width}: {line:?}"
            );
        }
    }

    /// The bars of a ranked chart, as their lengths in eighths.
    fn bar_eighths(line: &str) -> usize {
        line.chars()
            .map(|c| match c {
                '█' => 8,
                '#' => 1,
                c => HORIZONTAL.iter().position(|&h| h == c).map_or(0, |p| p + 1),
            })
            .sum()
    }

    #[test]
    fn ranked_bars_are_proportional_and_labelled() {
        let rows = vec![
            vec![s("/a"), Value::Int(100)],
            vec![s("/bb"), Value::Int(50)],
            vec![s("/ccc"), Value::Int(25)],
            vec![s("/d"), Value::Int(0)],
        ];
        let out = render(&cols(&["path", "count"]), &rows, 60, false);
        widths_ok(&out, 60);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "count by path");
        assert!(lines[1].starts_with("/a ") && lines[1].ends_with(" 100"));
        let full = bar_eighths(lines[1]);
        assert!(
            full > 8 * 20,
            "the largest bar uses most of the line: {out}"
        );
        assert_eq!(bar_eighths(lines[2]) as f64, (full as f64 / 2.0).round());
        assert_eq!(bar_eighths(lines[3]) as f64, (full as f64 / 4.0).round());
        assert_eq!(bar_eighths(lines[4]), 0);
        assert!(lines[4].ends_with(" 0"));
        // Values line up on the right edge.
        let ends: Vec<usize> = lines[1..].iter().map(|l| l.chars().count()).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{out}");
    }

    #[test]
    fn ascii_mode_is_ascii_only() {
        let rows = vec![
            vec![s("/é€\u{1b}[31m"), Value::Int(7)],
            vec![s("/x"), Value::Int(3)],
        ];
        for out in [
            render(&cols(&["path", "count"]), &rows, 40, true),
            render(
                &cols(&["time", "count"]),
                &[vec![hour(0), Value::Int(3)], vec![hour(1), Value::Int(9)]],
                40,
                true,
            ),
        ] {
            assert!(out.is_ascii(), "{out}");
            assert!(out.contains('#'), "{out}");
            widths_ok(&out, 40);
        }
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let rows = vec![vec![s("a\u{1b}[2Jb\r\n"), Value::Int(1)]];
        let out = render(&cols(&["agent", "count"]), &rows, 40, false);
        assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out:?}");
        assert_eq!(out.lines().count(), 2);
    }

    #[test]
    fn widths_are_respected_from_tiny_to_wide() {
        let long = "/".to_string() + &"very-long-path-segment/".repeat(20);
        let rows = vec![
            vec![s(&long), Value::Int(123_456_789)],
            vec![s("/short"), Value::Int(1)],
        ];
        let time_rows: Vec<_> = (0..300)
            .map(|h| vec![hour(h), Value::Int(h % 17)])
            .collect();
        for width in [0, 1, 5, 19, 20, 21, 33, 40, 80, 200] {
            for ascii in [false, true] {
                let out = render(&cols(&["path", "count"]), &rows, width, ascii);
                widths_ok(&out, width.max(MIN_WIDTH));
                assert!(out.contains("123456789"), "{width}: {out}");
                let out = render(&cols(&["time", "count"]), &time_rows, width, ascii);
                widths_ok(&out, width.max(MIN_WIDTH));
                assert_eq!(out.lines().count(), 1 + HEIGHT + 2, "{out}");
            }
        }
    }

    #[test]
    fn over_time_heights_are_proportional() {
        let rows: Vec<_> = [8, 4, 2, 1, 0]
            .iter()
            .enumerate()
            .map(|(h, &v)| vec![hour(h as i64), Value::Int(v)])
            .collect();
        let out = render(&cols(&["time", "count"]), &rows, 40, true);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "count by time");
        // Column of each bar: after the label and the axis; bars 5 wide plus a gap.
        let plot: Vec<Vec<char>> = lines[1..=HEIGHT]
            .iter()
            .map(|l| l.chars().skip(2).collect())
            .collect();
        let cell_w = (40 - 2) / 5;
        let height = |bar: usize| {
            plot.iter()
                .filter(|l| l.get(bar * cell_w) == Some(&'#'))
                .count()
        };
        assert_eq!(
            (0..5).map(height).collect::<Vec<_>>(),
            vec![HEIGHT, HEIGHT / 2, HEIGHT / 4, HEIGHT / 8, 0]
        );
        assert!(lines[1].starts_with("8|"));
        assert!(lines[HEIGHT].starts_with("0|"));
        assert!(lines[HEIGHT + 2].contains("2023-01-01 00:00"));
        assert!(lines[HEIGHT + 2].ends_with("2023-01-01 04:00"));
    }

    #[test]
    fn unicode_over_time_uses_eighths() {
        let rows = vec![vec![hour(0), Value::Int(16)], vec![hour(1), Value::Int(1)]];
        let out = render(&cols(&["time", "count"]), &rows, 30, false);
        // 1/16 of 8 lines is half a line: four eighths on the bottom line.
        let bottom = out.lines().nth(HEIGHT).unwrap_or_default();
        assert!(bottom.contains('▄'), "{out}");
        assert!(out.contains('█'));
    }

    #[test]
    fn more_rows_than_columns_shows_the_latest() {
        let rows: Vec<_> = (0..100).map(|h| vec![hour(h), Value::Int(h)]).collect();
        let out = render(&cols(&["time", "count"]), &rows, 40, true);
        assert!(out
            .lines()
            .next()
            .unwrap_or_default()
            .contains("the last 37 of 100"));
        assert!(out.contains("2023-01-05 03:00"), "{out}"); // hour 99
        widths_ok(&out, 40);
    }

    #[test]
    fn empty_null_negative_and_huge_values_do_not_panic() {
        let c = cols(&["k", "v"]);
        assert_eq!(render(&c, &[], 40, false), "(no rows to chart)\n");
        let odd = vec![
            vec![s("null"), Value::Null],
            vec![s("neg"), Value::Int(-5)],
            vec![s("max"), Value::Int(i64::MAX)],
            vec![s("min"), Value::Int(i64::MIN)],
            vec![s("huge"), Value::Float(f64::MAX)],
            vec![s("inf"), Value::Float(f64::INFINITY)],
            vec![s("nan"), Value::Float(f64::NAN)],
            vec![s("big"), s("170141183460469231731687303715884105727")],
            vec![s("short row")],
            vec![],
        ];
        for ascii in [false, true] {
            let out = render(&c, &odd, 50, ascii);
            widths_ok(&out, 50);
            assert_eq!(out.lines().count(), odd.len() + 1, "{out}");
            let line = |name: &str| {
                out.lines()
                    .find(|l| l.starts_with(name))
                    .unwrap_or_default()
                    .to_string()
            };
            assert_eq!(bar_eighths(&line("neg ")), 0, "{out}");
            assert!(line("neg ").ends_with("-5"));
            assert_eq!(bar_eighths(&line("null ")), 0);
        }
        // All zero, all null, only negatives.
        for v in [Value::Int(0), Value::Int(-3)] {
            let rows = vec![vec![s("a"), v.clone()], vec![s("b"), v]];
            let out = render(&c, &rows, 30, false);
            assert_eq!(bar_eighths(&out.lines().nth(1).unwrap_or_default()[2..]), 0);
        }
        let nulls = vec![vec![s("a"), Value::Null]];
        assert!(render(&c, &nulls, 30, false).contains("no column of numbers"));
        // Times with null, negative and huge values, and a null time.
        let rows = vec![
            vec![hour(0), Value::Null],
            vec![Value::Null, Value::Int(3)],
            vec![hour(2), Value::Int(-1)],
            vec![hour(3), Value::Int(i64::MAX)],
        ];
        for ascii in [false, true] {
            let out = render(&cols(&["t", "count"]), &rows, 30, ascii);
            widths_ok(&out, 30);
        }
    }

    #[test]
    fn numeric_labels_use_the_first_column() {
        let rows = vec![
            vec![Value::Int(200), Value::Int(30)],
            vec![Value::Int(404), Value::Int(10)],
        ];
        let out = render(&cols(&["status", "count"]), &rows, 40, true);
        assert_eq!(out.lines().next(), Some("count by status"));
        assert!(out.lines().nth(1).unwrap_or_default().starts_with("200 "));
        assert!(out.lines().nth(2).unwrap_or_default().starts_with("404 "));
        // A lone column of numbers: rows are numbered.
        let out = render(&cols(&["n"]), &[vec![Value::Int(2)]], 30, true);
        assert!(out.lines().nth(1).unwrap_or_default().starts_with("1 ##"));
    }

    #[test]
    fn bar_units_are_bounded() {
        assert_eq!(bar_units(Some(1.0), 1.0, 10, 8), 80);
        assert_eq!(bar_units(Some(1e-300), 1.0, 10, 8), 1);
        assert_eq!(bar_units(Some(0.0), 1.0, 10, 8), 0);
        assert_eq!(bar_units(Some(-1.0), 1.0, 10, 8), 0);
        assert_eq!(bar_units(None, 1.0, 10, 8), 0);
        assert_eq!(bar_units(Some(5.0), 0.0, 10, 8), 0);
        assert_eq!(bar_units(Some(f64::MAX), f64::MAX, 3, 1), 3);
        assert_eq!(bar_units(Some(1.0), 1.0, 0, 8), 1);
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(999_999.0), "999999");
        assert_eq!(compact(1_234_567.0), "1.23M");
        assert_eq!(compact(98_765_432_100.0), "98.8G");
        assert_eq!(compact(0.5), "0.5");
        assert!(compact(f64::MAX).contains('e'));
    }
}
