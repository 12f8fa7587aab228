//! Charts of the report as inline SVG, drawn with `plotters` (its SVG backend: shapes and
//! `<text>` elements, no fonts or images embedded or fetched).
//!
//! A chart over time is a column of panels sharing the time axis, one per series (requests,
//! bytes, each status class), each with its own name and scale written on it: nothing is
//! told by colour alone. The SVG carries `role="img"`, a `<title>` and a `<desc>`; the
//! report puts a table of the same numbers next to it.

use anyhow::anyhow;
use plotters::prelude::*;

/// One series of a chart over time.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Its name, written on the panel (`requests`).
    pub name: String,
    /// A value per bucket (`None`: no value).
    pub values: Vec<Option<f64>>,
    /// How to write its axis numbers.
    pub unit: Unit,
    pub color: RGBColor,
}

/// Units of an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Bytes,
}

/// Width of a chart, in SVG units (it scales down with the page).
pub const WIDTH: u32 = 960;

/// The buckets of a chart over time.
#[derive(Debug, Clone, Copy)]
pub struct TimeAxis<'a> {
    /// Where each bucket starts (unix seconds, increasing).
    pub starts: &'a [i64],
    /// The UTC offset the times are shown in, in seconds.
    pub offset: i32,
    /// The width of a bucket, in seconds.
    pub width: i64,
}

/// A chart over time (`id` names its title and description elements): one panel of
/// `panel_height` per series, over the buckets of `axis`.
pub fn over_time(
    id: &str,
    title: &str,
    desc: &str,
    axis: &TimeAxis<'_>,
    panels: &[Panel],
    panel_height: u32,
) -> anyhow::Result<String> {
    let (starts, offset) = (axis.starts, axis.offset);
    let width = axis.width.max(1);
    let t0 = starts.first().copied().unwrap_or(0);
    let t_end = starts.last().copied().unwrap_or(t0);
    // The x axis counts buckets from the first: bar i spans [i, i + 1).
    let n = ((t_end - t0) / width + 1).max(1) as f64;
    let pos: Vec<f64> = starts
        .iter()
        .map(|&t| (t - t0) as f64 / width as f64)
        .collect();
    let span = t_end + width - t0;
    let step = label_step(span, width);
    let years = civil(t0, offset).0[..4] != civil(t_end, offset).0[..4];
    // A label at each bucket that starts a round step: a date at midnight (and for steps
    // of days), else the time of day.
    let label = move |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 1e-6 {
            return String::new();
        }
        let t = t0 + i as i64 * width;
        if !aligned(t, offset, step) {
            return String::new();
        }
        let (date, hm) = civil(t, offset);
        if step >= 86_400 || (t + offset as i64).rem_euclid(86_400) == 0 {
            if years {
                date
            } else {
                date[5..].to_string()
            }
        } else {
            hm
        }
    };
    let marks: Vec<f64> = (0..n as i64)
        .filter(|i| aligned(t0 + i * width, offset, step))
        .map(|i| i as f64)
        .collect();
    let height = panel_height * panels.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow!("drawing a chart: {e}"))?;
        let areas = root.split_evenly((panels.len().max(1), 1));
        for (panel, area) in panels.iter().zip(&areas) {
            let max = panel.values.iter().flatten().fold(0.0f64, |m, &v| m.max(v));
            // Headroom above the tallest bar; values near f64::MAX get none (no infinity).
            let top = match max * 1.08 {
                t if t.is_finite() && max > 0.0 => t,
                _ if max > 0.0 => max,
                _ => 1.0,
            };
            let unit = panel.unit;
            let mut chart = ChartBuilder::on(area)
                .margin_top(6)
                .margin_right(16)
                .margin_left(6)
                .x_label_area_size(26)
                .y_label_area_size(74)
                .caption(
                    &panel.name,
                    ("sans-serif", 16).into_font().style(FontStyle::Bold),
                )
                .build_cartesian_2d(0f64..n, 0f64..top)
                .map_err(|e| anyhow!("drawing a chart: {e}"))?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n as usize + 1)
                .set_tick_mark_size(LabelAreaPosition::Bottom, 0)
                .y_labels(4)
                .x_label_formatter(&label)
                .y_label_formatter(&|y| axis_number(*y, unit))
                .label_style(("sans-serif", 13).into_font().color(&RGBColor(40, 40, 40)))
                .light_line_style(RGBColor(235, 235, 235))
                .bold_line_style(RGBColor(215, 215, 215))
                .axis_style(RGBColor(90, 90, 90))
                .draw()
                .map_err(|e| anyhow!("drawing a chart: {e}"))?;
            chart
                .draw_series(
                    marks.iter().map(|&x| {
                        PathElement::new(vec![(x, 0.0), (x, top)], RGBColor(225, 225, 225))
                    }),
                )
                .map_err(|e| anyhow!("drawing a chart: {e}"))?;
            let gap = if n > 120.0 { 0.0 } else { 0.15 };
            let style = panel.color.filled();
            chart
                .draw_series(pos.iter().zip(&panel.values).filter_map(|(&x, v)| {
                    let v = (*v)?;
                    (v > 0.0).then(|| {
                        Rectangle::new([(x + gap / 2.0, 0.0), (x + 1.0 - gap / 2.0, v)], style)
                    })
                }))
                .map_err(|e| anyhow!("drawing a chart: {e}"))?;
        }
        root.present()
            .map_err(|e| anyhow!("drawing a chart: {e}"))?;
    }
    Ok(accessible(&svg, id, title, desc))
}

/// Seconds between two labels of a time axis over `span` seconds of buckets of `width`:
/// a round step, a multiple of the width, for at most eight labels.
pub fn label_step(span: i64, width: i64) -> i64 {
    const STEPS: [i64; 17] = [
        60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
        1_209_600, 2_419_200, 7_257_600, 31_449_600,
    ];
    let width = width.max(1);
    STEPS
        .iter()
        .copied()
        .find(|&s| s % width == 0 && span / s <= 8)
        .unwrap_or_else(|| (span / 8 / width + 1) * width)
}

/// Whether a label goes at `t` (unix seconds, shown in `offset`): it starts a `step` in
/// local time (weeks start on Monday).
fn aligned(t: i64, offset: i32, step: i64) -> bool {
    let mut local = t + offset as i64;
    if step % 604_800 == 0 {
        // 1970-01-01 was a Thursday: count from Monday 1970-01-05.
        local -= 4 * 86_400;
    }
    local.rem_euclid(step.max(1)) == 0
}

/// `(YYYY-MM-DD, HH:MM)` of unix seconds `t` in UTC offset `offset`.
fn civil(t: i64, offset: i32) -> (String, String) {
    let ts =
        logrill::stage::parse::Timestamp::from_unix_micros(t.saturating_mul(1_000_000), offset);
    let (y, mo, d, h, mi, _, _) = ts.civil();
    (format!("{y:04}-{mo:02}-{d:02}"), format!("{h:02}:{mi:02}"))
}

/// A number for an axis: `1.2k`, `3.4 MB`.
pub fn axis_number(x: f64, unit: Unit) -> String {
    match unit {
        // Counts are whole: no label at 0.5.
        Unit::Count if x.fract() != 0.0 => String::new(),
        Unit::Count => si(x, ""),
        Unit::Bytes => si(x, "B"),
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Decimal prefixes: `950`, `1.2k`, `3.4M` (with `suffix`: `3.4 MB`).
fn si(x: f64, suffix: &str) -> String {
    let units = ["", "k", "M", "G", "T", "P", "E"];
    let mut v = x;
    let mut i = 0;
    while v.abs() >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let sep = if suffix.is_empty() { "" } else { " " };
    format!("{}{sep}{}{suffix}", trim(v), units[i])
}

/// The SVG of plotters made fit for a page: no fixed size (it scales to the column), a
/// role, and a title and description for assistive technology.
fn accessible(svg: &str, id: &str, title: &str, desc: &str) -> String {
    let body = svg.trim_start_matches(|c| c != '<');
    let Some(end) = body.find('>') else {
        return String::new();
    };
    let open = &body[..end];
    // `<svg width="W" height="H" viewBox=… xmlns=…`: keep only the viewBox.
    let view_box = attr(open, "viewBox").unwrap_or_default();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{vb}\" class=\"chart\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"xMidYMid meet\">\n\
         <title id=\"{id}-title\">{t}</title>\n<desc id=\"{id}-desc\">{d}</desc>\n{inner}",
        vb = super::html::escape(&view_box),
        t = super::html::escape(title),
        d = super::html::escape(desc),
        inner = &body[end + 1..].trim_start(),
    )
}

/// The value of attribute `name` in an opening tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(x, y, width, height)` of every filled bar (`<rect>` that is not the background).
    fn bars(svg: &str) -> Vec<(f64, f64, f64, f64)> {
        svg.split("<rect")
            .skip(1)
            .filter(|r| !r.contains("fill=\"#FFFFFF\""))
            .filter_map(|r| {
                let tag = &r[..r.find('>')?];
                let get = |n: &str| attr(tag, n)?.parse::<f64>().ok();
                Some((get("x")?, get("y")?, get("width")?, get("height")?))
            })
            .collect()
    }

    fn panel(values: Vec<Option<f64>>) -> Panel {
        Panel {
            name: "requests".into(),
            values,
            unit: Unit::Count,
            color: RGBColor(50, 100, 170),
        }
    }

    #[test]
    fn bars_are_proportional_and_placed_in_time_order() {
        let starts: Vec<i64> = (0..4).map(|i| 1_672_531_200 + i * 3600).collect();
        let axis = TimeAxis {
            starts: &starts,
            offset: 0,
            width: 3600,
        };
        let svg = over_time(
            "c",
            "Requests",
            "per hour",
            &axis,
            &[panel(vec![Some(100.0), Some(50.0), None, Some(25.0)])],
            200,
        )
        .unwrap_or_default();
        let b = bars(&svg);
        assert_eq!(b.len(), 3, "{svg}");
        assert!(b[0].0 < b[1].0 && b[1].0 < b[2].0);
        // Bar 3 is the fourth bucket: a gap of one bucket before it.
        let step = b[1].0 - b[0].0;
        assert!(((b[2].0 - b[1].0) - 2.0 * step).abs() <= 2.0, "{b:?}");
        let (h0, h1, h3) = (b[0].3, b[1].3, b[2].3);
        assert!((h1 / h0 - 0.5).abs() < 0.03, "{h0} {h1}");
        assert!((h3 / h0 - 0.25).abs() < 0.03, "{h0} {h3}");
        // All bars stand on the same baseline.
        let base: Vec<f64> = b.iter().map(|r| r.1 + r.3).collect();
        assert!(base.iter().all(|y| (y - base[0]).abs() <= 1.0), "{base:?}");
    }

    #[test]
    fn svg_is_accessible_and_self_contained() {
        let svg = over_time(
            "req",
            "Requests <per> hour",
            "a & b",
            &TimeAxis {
                starts: &[0, 60],
                offset: 0,
                width: 60,
            },
            &[panel(vec![Some(1.0), Some(2.0)])],
            150,
        )
        .unwrap_or_default();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 960 150\"")
        );
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"req-title\">Requests &lt;per&gt; hour</title>"));
        assert!(svg.contains("<desc id=\"req-desc\">a &amp; b</desc>"));
        assert!(svg.contains("<text"), "labels are SVG text");
        assert!(!svg.contains("href") && !svg.contains("@font-face") && !svg.contains("<image"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn empty_zero_and_huge_series_do_not_fail() {
        for values in [
            vec![],
            vec![Some(0.0)],
            vec![None, None],
            vec![Some(f64::MAX), Some(1.0)],
            vec![Some(-5.0), Some(3.0)],
        ] {
            let starts: Vec<i64> = (0..values.len() as i64).map(|i| i * 86_400).collect();
            let axis = TimeAxis {
                starts: &starts,
                offset: 3600,
                width: 86_400,
            };
            let svg = over_time("x", "t", "d", &axis, &[panel(values)], 120);
            assert!(svg.is_ok());
        }
    }

    #[test]
    fn time_labels_fall_on_round_times() {
        assert_eq!(label_step(84 * 3600, 3600), 43_200);
        assert_eq!(label_step(3 * 3600, 60), 1800);
        assert_eq!(label_step(200 * 600, 600), 21_600);
        assert_eq!(label_step(90 * 86_400, 86_400), 1_209_600);
        assert_eq!(label_step(5000 * 86_400, 86_400) % 86_400, 0);
        // Midnight in +01:00 is 23:00 UTC the day before.
        assert!(aligned(86_400 - 3600, 3600, 86_400));
        assert!(!aligned(86_400, 3600, 86_400));
        // Weeks start on Monday (1970-01-05).
        assert!(aligned(4 * 86_400, 0, 604_800));
        let starts: Vec<i64> = (0..48).map(|h| 1_684_317_600 + h * 3600).collect(); // 2023-05-17 10:00Z
        let axis = TimeAxis {
            starts: &starts,
            offset: 0,
            width: 3600,
        };
        let svg =
            over_time("t", "t", "d", &axis, &[panel(vec![Some(1.0); 48])], 200).unwrap_or_default();
        let labels: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1)?.split('<').next())
            .map(str::trim)
            .filter(|t| t.contains(':') || t.contains('-'))
            .collect();
        assert_eq!(
            labels,
            vec!["12:00", "18:00", "05-18", "06:00", "12:00", "18:00", "05-19", "06:00"],
            "{svg}"
        );
    }

    #[test]
    fn axis_numbers() {
        assert_eq!(axis_number(950.0, Unit::Count), "950");
        assert_eq!(axis_number(1250.0, Unit::Count), "1.25k");
        assert_eq!(axis_number(3_400_000.0, Unit::Bytes), "3.4 MB");
    }
}
