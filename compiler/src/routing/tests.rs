use super::*;

fn program(source: &str) -> TypedProgram {
    crate::driver::check_source(source)
        .into_program()
        .unwrap_or_else(|problems| panic!("{problems:?}"))
        .0
}

const PROGRAM: &str = r#"
listen http 127.0.0.1:8080
upstream api { server 127.0.0.1:9001 }
upstream web { server 127.0.0.1:9003 }
route "api" host "a.example" path "/api/" method GET, POST { proxy api }
route "old-api" path "/api/v1/" method GET { proxy api }
route "admin" host "a.example" {
    if req.headers["x-admin"] == "yes" { proxy web }
    respond 403
}
route "static" path "/static/" { proxy web }
route "images" path "/static/img/" { redirect 301 "/img" }
"#;

#[test]
fn a_branch_per_host_then_every_other_host() {
    let p = program(PROGRAM);
    let tree = RoutingTree::new(&p);
    assert_eq!(tree.hosts.len(), 1);
    assert_eq!(tree.hosts[0].host, Some("a.example"));
    let indexes = |b: &Branch<'_>| b.tries.iter().map(|t| t.index).collect::<Vec<_>>();
    assert_eq!(indexes(&tree.hosts[0]), [0, 1, 2, 3, 4]);
    assert_eq!(indexes(&tree.other_hosts), [1, 3, 4]);
    // In a.example's branch, "admin" takes everything: the later host-less routes are shadowed
    // there, and live for every other host.
    let shadowed = |b: &Branch<'_>| b.tries.iter().map(|t| t.shadowed_by).collect::<Vec<_>>();
    assert_eq!(
        shadowed(&tree.hosts[0]),
        [None, Some(0), None, Some(2), Some(2)]
    );
    assert_eq!(shadowed(&tree.other_hosts), [None, None, Some(3)]);
    assert!(!tree.hosts[0].falls_through());
    assert!(tree.other_hosts.falls_through());
}

#[test]
fn text_shows_order_conditions_outcomes_and_shadowed_routes() {
    let p = program(PROGRAM);
    let expected = r#"host a.example
  1  api         path "/api/", method GET, POST  → proxy api
  -  old-api     path "/api/v1/", method GET     shadowed: api takes all its requests
  2  admin       any request                     → proxy web | respond 403
  -  static      path "/static/"                 shadowed: admin takes all its requests
  -  images      path "/static/img/"             shadowed: admin takes all its requests
any other host
  1  old-api     path "/api/v1/", method GET     → proxy api
  2  static      path "/static/"                 → proxy web
  -  images      path "/static/img/"             shadowed: static takes all its requests
     (no route)  anything else                   → 404 (built in)
"#;
    assert_eq!(render_text(&RoutingTree::new(&p)), expected);
}

#[test]
fn dot_chains_tries_and_shares_leaves() {
    let p = program(PROGRAM);
    let dot = render_dot(&RoutingTree::new(&p));
    assert!(dot.starts_with("digraph routes {\n"), "{dot}");
    assert!(dot.ends_with("}\n"));
    for edge in [
        "request -> b0;",
        "request -> b1 [label=\"else\"];",
        "b0 -> b0r0;",
        "b0r0 -> b0r2 [label=\"no match\", style=dashed];",
        "b0r0 -> b0r1 [style=dotted, color=gray50, label=\"shadows\"];",
        "b1 -> b1r1;",
        "b1r3 -> b1r4 [style=dotted, color=gray50, label=\"shadows\"];",
    ] {
        assert!(dot.contains(edge), "missing {edge} in\n{dot}");
    }
    // `proxy api` is one leaf that both branches point at.
    assert_eq!(dot.matches("label=\"proxy api\"").count(), 1, "{dot}");
    assert!(
        dot.contains("b0r0 -> leaf0;") && dot.contains("b1r1 -> leaf0;"),
        "{dot}"
    );
    // Quotes inside labels are escaped.
    assert!(
        dot.contains(r#"label="api\npath \"/api/\", method GET, POST""#),
        "{dot}"
    );
    // Only the branch for other hosts can fall through to the built-in 404.
    assert_eq!(dot.matches("label=\"404 (no route)\"").count(), 1, "{dot}");
    assert_eq!(dot.matches("-> leaf3 ").count(), 1, "{dot}");
    assert!(
        dot.contains("b1r3 -> leaf3 [label=\"no match\", style=dashed];"),
        "{dot}"
    );
}
