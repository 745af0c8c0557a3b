//! Charts drawn as SVG on the server: no script, no canvas. Each chart is an image with a
//! title for screen readers, followed by the same figures as a visually hidden table.

use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 12.0;

/// A round upper bound for the axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= max.max(1) {
                return step * factor;
            }
        }
        step *= 10;
    }
}

/// Vertical bars, one per label; each bar stacks its series (colours by class `series-N`).
#[component]
pub fn BarChart(
    /// Accessible title of the chart.
    title: &'static str,
    /// Names of the stacked series, in order.
    series: Vec<&'static str>,
    /// (label, one value per series).
    bars: Vec<(String, Vec<u64>)>,
    /// Element id, for the title and the table.
    id: &'static str,
) -> AnyView {
    let max = nice_max(
        bars.iter()
            .map(|(_, v)| v.iter().sum::<u64>())
            .max()
            .unwrap_or(0),
    );
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / bars.len().max(1) as f64;
    let bar_width = (slot * 0.7).max(2.0);
    let scale = move |v: u64| v as f64 / max as f64 * plot_height;
    let title_id = format!("{id}-title");
    let grid = [0u64, max / 2, max]
        .into_iter()
        .map(|v| {
            let y = TOP + plot_height - scale(v);
            view! {
                <line x1=LEFT x2=WIDTH y1=y y2=y class="chart-grid"/>
                <text x=LEFT - 6.0 y=y + 4.0 class="chart-axis" text-anchor="end">{v}</text>
            }
        })
        .collect_view();
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let x = LEFT + slot * i as f64 + (slot - bar_width) / 2.0;
            let mut y = TOP + plot_height;
            let parts = values
                .iter()
                .enumerate()
                .map(|(s, v)| {
                    let h = scale(*v);
                    y -= h;
                    view! {
                        <rect x=x y=y width=bar_width height=h class=format!("series-{s}")>
                            <title>{format!("{label}: {v}")}</title>
                        </rect>
                    }
                })
                .collect_view();
            // Every other label when the days are crowded.
            let show = bars.len() <= 8 || i % 2 == 0;
            view! {
                {parts}
                {show.then(|| view! {
                    <text x=x + bar_width / 2.0 y=HEIGHT - 6.0 class="chart-axis" text-anchor="middle">{label.clone()}</text>
                })}
            }
        })
        .collect_view();
    let legend = (series.len() > 1).then(|| {
        view! {
            <ul class="chart-legend" aria-hidden="true">
                {series.iter().enumerate().map(|(s, name)| view! {
                    <li><span class=format!("swatch series-{s}")></span>{*name}</li>
                }).collect_view()}
            </ul>
        }
    });
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=title_id.clone() class="chart-svg">
                <title id=title_id.clone()>{title}</title>
                {grid}
                {rects}
            </svg>
            {legend}
            <table class="sr-only">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Day"</th>{series.iter().map(|s| view! { <th scope="col">{*s}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {bars.into_iter().map(|(label, values)| view! {
                        <tr><th scope="row">{label}</th>{values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
    .into_any()
}

/// Horizontal bars with their names: the most active people.
#[component]
pub fn RankChart(title: &'static str, rows: Vec<(String, u64)>, id: &'static str) -> AnyView {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1);
    let row_height = 28.0;
    let height = row_height * rows.len().max(1) as f64 + 8.0;
    let label_width = 220.0;
    let title_id = format!("{id}-title");
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-labelledby=title_id.clone() class="chart-svg">
                <title id=title_id.clone()>{title}</title>
                {rows.iter().enumerate().map(|(i, (name, v))| {
                    let y = 4.0 + row_height * i as f64;
                    let w = (*v as f64 / max as f64) * (WIDTH - label_width - 60.0);
                    let name = if name.chars().count() > 30 { format!("{}…", name.chars().take(29).collect::<String>()) } else { name.clone() };
                    view! {
                        <text x=label_width - 8.0 y=y + 18.0 class="chart-label" text-anchor="end">{name}</text>
                        <rect x=label_width y=y + 4.0 width=w.max(1.0) height=row_height - 10.0 class="series-0"/>
                        <text x=label_width + w + 6.0 y=y + 18.0 class="chart-axis">{*v}</text>
                    }
                }).collect_view()}
            </svg>
            <table class="sr-only">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Person"</th><th scope="col">"Events"</th></tr></thead>
                <tbody>{rows.into_iter().map(|(n, v)| view! { <tr><th scope="row">{n}</th><td>{v}</td></tr> }).collect_view()}</tbody>
            </table>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::nice_max;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(17), 20);
        assert_eq!(nice_max(51), 100);
        assert_eq!(nice_max(1_000), 1_000);
    }
}
