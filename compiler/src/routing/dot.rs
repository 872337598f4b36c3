//! The routing tree as Graphviz DOT: the request enters on the left, a diamond per host branch,
//! a box per route chained by "no match" edges in the order they are tried, and the answers and
//! upstreams as shared leaves on the right. Shadowed routes are grey dashed boxes hung off the
//! route that takes their requests.

use std::fmt::Write;

use super::text::{heading, matches};
use super::{outcomes, RoutingTree};

/// Renders `tree` as a `digraph`.
pub fn render_dot(tree: &RoutingTree<'_>) -> String {
    let mut out = String::from(
        "digraph routes {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  \
         edge [fontname=\"Helvetica\", fontsize=9];\n  request [shape=circle, label=\"request\"];\n",
    );
    let mut leaves: Vec<String> = Vec::new();
    let mut leaf = |out: &mut String, text: String| -> String {
        let position = leaves.iter().position(|l| *l == text).unwrap_or_else(|| {
            let shape = if text.starts_with("proxy ") {
                "shape=ellipse, style=filled, fillcolor=\"#dde8f7\""
            } else {
                "shape=note"
            };
            let _ = writeln!(
                out,
                "  leaf{} [{shape}, label={}];",
                leaves.len(),
                quote(&text)
            );
            leaves.push(text);
            leaves.len() - 1
        });
        format!("leaf{position}")
    };
    let branches: Vec<_> = tree.branches().collect();
    for (b, branch) in branches.iter().enumerate() {
        let node = format!("b{b}");
        let _ = writeln!(
            out,
            "  {node} [shape=diamond, label={}];",
            quote(&heading(tree, branch))
        );
        let entry = if b + 1 == branches.len() && b > 0 {
            " [label=\"else\"]"
        } else {
            ""
        };
        let _ = writeln!(out, "  request -> {node}{entry};");
        let mut previous = (node, false);
        for t in &branch.tries {
            let id = format!("b{b}r{}", t.index);
            let label = format!("{}\n{}", t.route.label, matches(tree, t));
            if let Some(by) = t.shadowed_by {
                let _ = writeln!(
                    out,
                    "  {id} [shape=box, style=dashed, color=gray50, fontcolor=gray50, label={}];\n  \
                     b{b}r{by} -> {id} [style=dotted, color=gray50, label=\"shadows\"];",
                    quote(&format!("{label}\nshadowed, never tried"))
                );
                continue;
            }
            let _ = writeln!(out, "  {id} [shape=box, label={}];", quote(&label));
            let (from, after_try) = &previous;
            let style = if *after_try {
                " [label=\"no match\", style=dashed]"
            } else {
                ""
            };
            let _ = writeln!(out, "  {from} -> {id}{style};");
            for outcome in outcomes(tree.program, t.route) {
                let target = leaf(&mut out, outcome.to_string());
                let _ = writeln!(out, "  {id} -> {target};");
            }
            previous = (id, true);
        }
        if branch.falls_through() {
            let target = leaf(&mut out, "404 (no route)".to_string());
            let (from, _) = &previous;
            let _ = writeln!(
                out,
                "  {from} -> {target} [label=\"no match\", style=dashed];"
            );
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal: quotes and backslashes escaped, newlines as `\n` (centred lines).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
