//! The routing tree as text for a terminal: a block per host branch, a line per route in the
//! order they are tried, columns aligned.

use std::fmt::Write;

use super::{conditions, outcomes, Branch, RoutingTree, Try};

/// One printed line of a branch: the route's place, its name, what it matches, where it sends
/// requests.
struct Line {
    place: String,
    label: String,
    matches: String,
    result: String,
}

/// Renders `tree`; every line ends in a newline.
pub fn render_text(tree: &RoutingTree<'_>) -> String {
    let blocks: Vec<(String, Vec<Line>)> = tree
        .branches()
        .map(|branch| (heading(tree, branch), lines(tree, branch)))
        .collect();
    let width = |f: fn(&Line) -> &str| {
        blocks
            .iter()
            .flat_map(|(_, lines)| lines.iter().map(|l| f(l).chars().count()))
            .max()
            .unwrap_or(0)
    };
    let (place_w, label_w, matches_w) = (
        width(|l| &l.place),
        width(|l| &l.label),
        width(|l| &l.matches),
    );
    let mut out = String::new();
    for (heading, lines) in &blocks {
        let _ = writeln!(out, "{heading}");
        for l in lines {
            let row = format!(
                "  {:<place_w$}  {:<label_w$}  {:<matches_w$}  {}",
                l.place, l.label, l.matches, l.result
            );
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
    out
}

/// The branch's host; the last branch is "any host" when no route names one.
pub(super) fn heading(tree: &RoutingTree<'_>, branch: &Branch<'_>) -> String {
    match branch.host {
        Some(host) => format!("host {host}"),
        None if tree.hosts.is_empty() => "any host".to_string(),
        None => "any other host".to_string(),
    }
}

fn lines(tree: &RoutingTree<'_>, branch: &Branch<'_>) -> Vec<Line> {
    let mut out = Vec::new();
    let mut place = 0;
    for t in &branch.tries {
        let result = match t.shadowed_by {
            None => {
                place += 1;
                let ends: Vec<String> = outcomes(tree.program, t.route)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                format!("→ {}", ends.join(" | "))
            }
            Some(by) => format!(
                "shadowed: {} takes all its requests",
                tree.program.routes[by].label
            ),
        };
        out.push(Line {
            place: if t.shadowed_by.is_none() {
                place.to_string()
            } else {
                "-".to_string()
            },
            label: t.route.label.clone(),
            matches: matches(tree, t),
            result,
        });
    }
    if branch.falls_through() {
        out.push(Line {
            place: String::new(),
            label: "(no route)".to_string(),
            matches: "anything else".to_string(),
            result: "→ 404 (built in)".to_string(),
        });
    }
    out
}

/// What a route matches in its branch, `any request` when nothing but the host.
pub(super) fn matches(tree: &RoutingTree<'_>, t: &Try<'_>) -> String {
    let conds = conditions(tree.program, t.route);
    if conds.is_empty() {
        "any request".to_string()
    } else {
        conds.join(", ")
    }
}
